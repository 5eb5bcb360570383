// The client's hook script (Miredo's HookScript): run on every Teredo address change with
// Miredo's environment (STATE, OLD_STATE, IFACE, ADDRESS, OLD_ADDRESS, LLADDRESS, MTU; see
// /etc/miredo/client-hook) plus SHIPWORM_* extras, so that a Miredo hook works unchanged.
//
// posix_spawn (fork + exec, no shell), in its own session with the default signal mask,
// stdin from /dev/null, stdout/stderr shared with the daemon's log. One at a time, in order,
// so that "up" and "down" are seen in the order they happened; a run longer than the
// timeout is killed (its whole session). The exit is watched with a pidfd in the event
// loop: the loop never waits for a hook. Time comes in through on_timer(now).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "daemon/log.h"
#include "os/linux/event_loop.h"
#include "os/linux/unique_fd.h"

namespace shipworm::daemon {

inline constexpr core::Duration kHookTimeout = std::chrono::seconds(10);

class HookRunner {
 public:
  HookRunner(Logger& log, os::EventLoop& loop) : log_(log), loop_(loop) {}
  ~HookRunner() { forget(); }
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // The script to run; empty: none (enqueue() then does nothing).
  void set_script(std::string path) { script_ = std::move(path); }
  [[nodiscard]] const std::string& script() const { return script_; }

  // Runs the script with this environment ("NAME=value" strings, the whole environment)
  // once those queued before it have finished.
  void enqueue(std::vector<std::string> env);

  // When on_timer() should next run: the running hook's timeout (or a short poll if the
  // kernel has no pidfd); nullopt when nothing runs.
  [[nodiscard]] std::optional<core::TimePoint> deadline() const;
  // Reaps a finished hook (and starts the next), or kills one past its timeout.
  void on_timer(core::TimePoint now);
  // At exit: runs what is queued, waiting for each (bounded by the timeout).
  void drain();
  // Nothing running and nothing queued.
  [[nodiscard]] bool idle() const { return pid_ < 0 && queue_.empty(); }

 private:
  void start_next();
  void spawn(const std::vector<std::string>& env);
  bool reap();  // true if the hook has exited (and was reaped)
  void forget();

  Logger& log_;
  os::EventLoop& loop_;
  std::string script_;
  std::deque<std::vector<std::string>> queue_;
  pid_t pid_ = -1;
  os::UniqueFd pidfd_;
  core::TimePoint started_{};
  core::TimePoint deadline_{};
  bool killed_ = false;
  std::string state_;
};

}  // namespace shipworm::daemon
