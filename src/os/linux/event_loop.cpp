#include "os/linux/event_loop.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace shipworm::os {
namespace {

// CLOCK_BOOTTIME, not CLOCK_MONOTONIC: it keeps counting while the host is suspended, so that
// after a resume every protocol timer is as overdue as the NAT's and the peers' timers are
// (docs/os-linux.md, docs/roaming.md). timerfd_create(2) accepts it since Linux 3.15.
constexpr clockid_t kClock = CLOCK_BOOTTIME;

constexpr std::uint64_t kTimerId = 1;
constexpr std::uint64_t kSignalId = 2;
constexpr std::array<int, 4> kSignals = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

int signal_slot(int signo) {
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    if (kSignals[i] == signo) return static_cast<int>(i);
  }
  return -1;
}

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSignals) sigaddset(&set, s);
  return set;
}

Status epoll_add(int epfd, int fd, std::uint32_t events, std::uint64_t id, const char* what) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    return errno_error(std::string("adding ") + what + " to epoll");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!loop->epoll_.valid()) return errno_error("creating epoll instance");

  loop->timer_.reset(timerfd_create(kClock, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!loop->timer_.valid()) return errno_error("creating timerfd");

  // signalfd(2): the signals must be blocked, or their default action still runs.
  const sigset_t set = handled_signals();
  if (const int e = pthread_sigmask(SIG_BLOCK, &set, nullptr); e != 0) {
    return OsError(e, "blocking SIGTERM/SIGINT/SIGHUP/SIGUSR1");
  }
  loop->signals_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!loop->signals_.valid()) return errno_error("creating signalfd");

  if (auto s = epoll_add(loop->epoll_.get(), loop->timer_.get(), EPOLLIN, kTimerId, "timerfd");
      !s) {
    return s.error();
  }
  if (auto s = epoll_add(loop->epoll_.get(), loop->signals_.get(), EPOLLIN, kSignalId, "signalfd");
      !s) {
    return s.error();
  }
  return loop;
}

// The signal mask is left as is: unblocking would deliver a pending SIGTERM with its default
// action after the loop has gone, which is what the owner least expects.
EventLoop::~EventLoop() = default;

Status EventLoop::add(int fd, Callback on_readable, Trigger trigger) {
  if (ids_.contains(fd)) {
    return OsError(EEXIST, "adding fd " + std::to_string(fd) + " to the event loop");
  }
  const std::uint64_t id = next_id_++;
  std::uint32_t events = EPOLLIN;
  if (trigger == Trigger::edge) events |= EPOLLET;
  if (auto s = epoll_add(epoll_.get(), fd, events, id, ("fd " + std::to_string(fd)).c_str()); !s) {
    return s;
  }
  ids_.emplace(fd, id);
  regs_.emplace(id, Registration{fd, std::move(on_readable)});
  return {};
}

Status EventLoop::remove(int fd) {
  auto it = ids_.find(fd);
  if (it == ids_.end()) {
    return OsError(ENOENT, "removing fd " + std::to_string(fd) + " from the event loop");
  }
  regs_.erase(it->second);
  ids_.erase(it);
  // The fd may already be closed (epoll forgets closed descriptors by itself); EBADF and
  // ENOENT then say nothing useful.
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) < 0 && errno != EBADF &&
      errno != ENOENT) {
    return errno_error("removing fd " + std::to_string(fd) + " from epoll");
  }
  return {};
}

EventLoop::TimePoint EventLoop::now() {
  timespec ts{};
  clock_gettime(kClock, &ts);
  return TimePoint(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

void EventLoop::set_deadline(TimePoint when) {
  deadline_ = when;
  arm_timer();
}

void EventLoop::clear_deadline() {
  deadline_.reset();
  arm_timer();
}

void EventLoop::arm_timer() {
  itimerspec spec{};  // all zero disarms
  if (deadline_) {
    auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_->time_since_epoch()).count();
    // An all-zero it_value would disarm instead of firing: a deadline at or before the epoch
    // of the clock (i.e. long past) fires at 1 ns, which is also in the past.
    if (ns <= 0) ns = 1;
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  // Cannot fail with a valid timerfd and a normalised timespec.
  timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::on_timer() {
  std::uint64_t expirations = 0;
  // EAGAIN: the timer was re-armed after epoll reported it; nothing to do.
  if (read(timer_.get(), &expirations, sizeof expirations) < 0) return;
  if (!deadline_) return;
  if (now() < *deadline_) {  // the deadline moved later meanwhile
    arm_timer();
    return;
  }
  deadline_.reset();
  if (deadline_cb_) deadline_cb_();
}

void EventLoop::on_signalfd() {
  signalfd_siginfo info{};
  while (read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    const int signo = static_cast<int>(info.ssi_signo);
    const int slot = signal_slot(signo);
    if (slot < 0) continue;
    if (auto& cb = signal_cbs_[static_cast<std::size_t>(slot)]) {
      cb();
    } else if (signo == SIGTERM || signo == SIGINT) {
      stop();
    }
  }
}

Status EventLoop::on_signal(int signo, Callback cb) {
  const int slot = signal_slot(signo);
  if (slot < 0) {
    return OsError(EINVAL, "handling signal " + std::to_string(signo) +
                               " (only SIGTERM, SIGINT, SIGHUP and SIGUSR1 are routed)");
  }
  signal_cbs_[static_cast<std::size_t>(slot)] = std::move(cb);
  return {};
}

Result<int> EventLoop::run_once(std::chrono::milliseconds timeout) {
  const int ms = timeout.count() < 0 ? -1 : static_cast<int>(timeout.count());
  int n;
  do {
    n = epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), ms);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("waiting for events (epoll_wait)");
  for (int i = 0; i < n; ++i) {
    const std::uint64_t id = events_[static_cast<std::size_t>(i)].data.u64;
    if (id == kTimerId) {
      on_timer();
    } else if (id == kSignalId) {
      on_signalfd();
    } else if (auto it = regs_.find(id); it != regs_.end()) {
      // If the callback removes itself, the map entry (and the std::function) would be
      // destroyed while it runs, so move it out first (a move does not allocate).
      Callback cb = std::move(it->second.cb);
      cb();
      // Put it back unless the callback removed (or replaced) the registration.
      if (auto again = regs_.find(id); again != regs_.end() && !again->second.cb) {
        again->second.cb = std::move(cb);
      }
    }
  }
  return n;
}

Status EventLoop::run() {
  while (!stopping_) {
    auto r = run_once(std::chrono::milliseconds(-1));
    if (!r) return r.error();
  }
  return {};
}

}  // namespace shipworm::os
