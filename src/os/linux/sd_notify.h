// Readiness and status for systemd (sd_notify(3), systemd.service(5) Type=notify).
//
// Each call sends one datagram to $NOTIFY_SOCKET. When the variable is unset (not started by
// systemd, or Type=simple) libsystemd does nothing and the calls return false; they never
// fail the daemon. NOTIFY_SOCKET is left in the environment so that re-sending works.
#pragma once

#include <string_view>

namespace shipworm::os {

class SdNotify {
 public:
  // "READY=1": setup is done (interface configured, sockets bound, qualified if a client).
  static bool ready();
  // "STATUS=...": one line shown by `systemctl status`.
  static bool status(std::string_view text);
  // "STOPPING=1": shutting down.
  static bool stopping();
  // "RELOADING=1" with MONOTONIC_USEC (required by Type=notify-reload); call ready() when
  // the reload is done.
  static bool reloading();
  // Any other assignment(s), newline separated.
  static bool send(std::string_view state);
};

}  // namespace shipworm::os
