#include "daemon/hook_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstring>

namespace shipworm::daemon {

using namespace std::chrono_literals;

namespace {

// The STATE= variable, for the log lines ("?" if none).
std::string state_of(const std::vector<std::string>& env) {
  for (const auto& e : env) {
    if (e.starts_with("STATE=")) return e.substr(6);
  }
  return "?";
}

}  // namespace

void HookRunner::enqueue(std::vector<std::string> env) {
  if (script_.empty()) return;
  queue_.push_back(std::move(env));
  if (pid_ < 0) start_next();
}

std::optional<core::TimePoint> HookRunner::deadline() const {
  if (pid_ < 0) return std::nullopt;
  return pidfd_.get() >= 0 ? deadline_ : std::min(deadline_, os::EventLoop::now() + 50ms);
}

void HookRunner::on_timer(core::TimePoint now) {
  if (pid_ < 0) return;
  if (reap()) return;
  if (now >= deadline_ && !killed_) {
    log_.warning("hook {} still running after {} s: killing it", script_,
                 std::chrono::duration_cast<std::chrono::seconds>(kHookTimeout).count());
    ::kill(-pid_, SIGKILL);
    killed_ = true;
    deadline_ = now + 1s;
  }
}

void HookRunner::drain() {
  while (pid_ >= 0 || !queue_.empty()) {
    if (pid_ < 0) {
      start_next();
      continue;
    }
    if (pidfd_.get() >= 0) {
      pollfd p{pidfd_.get(), POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - os::EventLoop::now());
      (void)::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    } else {
      ::usleep(20000);
    }
    on_timer(os::EventLoop::now());
  }
}

void HookRunner::start_next() {
  while (pid_ < 0 && !queue_.empty()) {
    std::vector<std::string> env = std::move(queue_.front());
    queue_.pop_front();
    spawn(env);
  }
}

void HookRunner::spawn(const std::vector<std::string>& env) {
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));  // NOLINT
  envp.push_back(nullptr);
  std::string path = script_;
  std::array<char*, 2> argv{path.data(), nullptr};

  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_init(&fa);
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD})
    sigaddset(&defaults, s);
  ::posix_spawnattr_setsigmask(&attr, &none);  // the event loop blocks its signals
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path.c_str(), &fa, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    log_.error("cannot run hook {}: {}", script_, std::strerror(rc));
    return;
  }
  pid_ = pid;
  killed_ = false;
  started_ = os::EventLoop::now();
  deadline_ = started_ + kHookTimeout;
  state_ = state_of(env);
  pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd_.get() >= 0) {
    if (!loop_.add(pidfd_.get(), [this] { reap(); })) pidfd_.reset();
  }
  log_.info("hook {} started (STATE={}, pid {})", script_, state_, pid);
}

bool HookRunner::reap() {
  if (pid_ < 0) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return false;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(os::EventLoop::now() - started_)
          .count();
  if (r < 0) {
    log_.warning("hook {}: waitpid: {}", script_, std::strerror(errno));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    log_.info("hook {} (STATE={}) done in {} ms", script_, state_, ms);
  } else if (WIFEXITED(status)) {
    log_.warning("hook {} (STATE={}) exited with status {}", script_, state_, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    log_.warning("hook {} (STATE={}) killed by signal {}", script_, state_, WTERMSIG(status));
  }
  forget();
  start_next();
  return true;
}

void HookRunner::forget() {
  if (pidfd_.get() >= 0) {
    (void)loop_.remove(pidfd_.get());
    pidfd_.reset();
  }
  pid_ = -1;
}

}  // namespace shipworm::daemon
