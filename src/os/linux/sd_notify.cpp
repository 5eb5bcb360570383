#include "os/linux/sd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace shipworm::os {

bool SdNotify::send(std::string_view state) {
  // sd_notify: > 0 sent, 0 no NOTIFY_SOCKET, < 0 -errno. Neither failure is fatal.
  return sd_notify(0, std::string(state).c_str()) > 0;
}

bool SdNotify::ready() { return send("READY=1"); }

bool SdNotify::status(std::string_view text) {
  std::string line = "STATUS=";
  for (char c : text) line += (c == '\n') ? ' ' : c;  // one assignment per line
  return send(line);
}

bool SdNotify::stopping() { return send("STOPPING=1"); }

bool SdNotify::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

}  // namespace shipworm::os
