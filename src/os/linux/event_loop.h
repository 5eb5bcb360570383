// The single-threaded event loop every daemon role runs (docs/os-linux.md).
//
// One epoll(7) instance watches:
//  - the owner's descriptors (UDP sockets, the TUN device, netlink, the control socket),
//    each with a callback invoked when it is readable;
//  - one timerfd (timerfd_create(2), CLOCK_BOOTTIME, absolute) armed to the single earliest
//    deadline the owner asks for. The sans-I/O engines return "my next deadline"; the owner
//    passes the minimum to set_deadline() after each event. One timer, not one per peer:
//    the engines keep their own timer wheels/heaps.
//  - one signalfd (signalfd(2)) for SIGTERM, SIGINT, SIGHUP and SIGUSR1, delivered as ordinary
//    callbacks on the loop thread, so handlers may do anything (no async-signal-safety
//    rules). Those signals are blocked with pthread_sigmask when the loop is created; create
//    the loop before starting any other thread so that the threads inherit the mask.
//
// Readiness is level-triggered by default: a callback reads one bounded batch (say 64
// datagrams) and returns, so one busy socket cannot starve the TUN device or the timer; if
// data is left the next epoll_wait reports it again. Trigger::edge is available for callers
// that always drain to EAGAIN. EPOLLERR/EPOLLHUP also invoke the readable callback: the
// following read returns the error.
//
// Callbacks may add or remove registrations (including their own) and call stop(). Each
// registration has a unique 64-bit id in epoll_data, so an event already fetched for a
// descriptor that was removed (or closed and reused) in the same round is dropped, never
// delivered to the wrong callback. Dispatch does not allocate.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "os/linux/os_error.h"
#include "os/linux/unique_fd.h"

namespace shipworm::os {

class EventLoop {
 public:
  // The time points are std::chrono::steady_clock's type (what core/ takes), but they count
  // CLOCK_BOOTTIME, which goes on while the host is suspended; libstdc++'s steady_clock is
  // CLOCK_MONOTONIC, which stops. The two differ by the time the host slept: never mix
  // EventLoop::now() with std::chrono::steady_clock::now().
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Callback = std::function<void()>;
  enum class Trigger { level, edge };

  // Creates the epoll, timerfd and signalfd descriptors and blocks the handled signals.
  // Heap-allocated because registrations capture its address.
  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `on_readable` whenever `fd` is readable (or has an error/hangup). One callback per
  // descriptor; the caller keeps ownership of fd and must remove() it before closing it.
  Status add(int fd, Callback on_readable, Trigger trigger = Trigger::level);
  Status remove(int fd);

  // The one deadline: when CLOCK_BOOTTIME reaches `when`, on_deadline's callback runs once
  // (a deadline already in the past fires on the next round). Setting a new deadline replaces
  // the old one; the callback normally sets the next.
  void on_deadline(Callback cb) { deadline_cb_ = std::move(cb); }
  void set_deadline(TimePoint when);
  void clear_deadline();
  [[nodiscard]] std::optional<TimePoint> deadline() const { return deadline_; }

  // SIGTERM, SIGINT, SIGHUP, SIGUSR1 only. With no handler, SIGTERM and SIGINT call stop()
  // and SIGHUP/SIGUSR1 are ignored.
  Status on_signal(int signo, Callback cb);

  // Runs until stop(). Returns an error only if epoll_wait itself fails (EINTR is retried).
  // stop() is sticky: once called (even before run()), run() returns after the current round.
  Status run();
  // One round: waits at most `timeout` (negative: forever) and dispatches what is ready.
  // Returns the number of events dispatched. For tests and for embedding.
  Result<int> run_once(std::chrono::milliseconds timeout);
  void stop() { stopping_ = true; }
  [[nodiscard]] bool stopping() const { return stopping_; }

  // CLOCK_BOOTTIME now, as a steady_clock time point (the same clock the deadline uses).
  static TimePoint now();

 private:
  EventLoop() = default;
  struct Registration {
    int fd;
    Callback cb;
  };
  void on_timer();
  void on_signalfd();
  void arm_timer();

  UniqueFd epoll_;
  UniqueFd timer_;
  UniqueFd signals_;
  std::unordered_map<std::uint64_t, Registration> regs_;  // id -> registration
  std::unordered_map<int, std::uint64_t> ids_;            // fd -> id
  std::uint64_t next_id_ = 16;                            // ids < 16 are internal
  std::optional<TimePoint> deadline_;
  Callback deadline_cb_;
  std::array<Callback, 4> signal_cbs_;  // TERM, INT, HUP, USR1
  bool stopping_ = false;
  std::array<epoll_event, 64> events_{};
};

}  // namespace shipworm::os
