// Discrete events in simulated time: a binary heap ordered by (time, insertion number), so
// events at the same instant run in the order they were scheduled and a run is reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "core/time.h"

namespace shipworm::sim {

class EventQueue {
 public:
  using Action = std::function<void()>;

  explicit EventQueue(core::TimePoint start) : now_(start) {}

  // Schedules `action` at `at` (never before now).
  void at(core::TimePoint at, Action action) {
    heap_.push(Event{at < now_ ? now_ : at, seq_++, std::move(action)});
  }
  void after(core::Duration d, Action action) { at(now_ + d, std::move(action)); }

  // Runs the earliest event if it is due at or before `until`; false when none is.
  bool run_one(core::TimePoint until) {
    if (heap_.empty() || heap_.top().when > until) return false;
    Event e = std::move(const_cast<Event&>(heap_.top()));  // NOLINT: moved out, then popped
    heap_.pop();
    now_ = e.when;
    ++executed_;
    e.action();
    return true;
  }

  [[nodiscard]] core::TimePoint now() const { return now_; }
  void advance_to(core::TimePoint t) {
    if (t > now_) now_ = t;
  }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::uint64_t executed() const { return executed_; }

 private:
  struct Event {
    core::TimePoint when;
    std::uint64_t seq;
    Action action;
    bool operator>(const Event& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> heap_;
  core::TimePoint now_;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
};

}  // namespace shipworm::sim
