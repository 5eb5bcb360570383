// Time in core/: engines never read a clock; the caller passes `now` in (docs/architecture.md),
// so tests and the simulator drive time by hand.
#pragma once

#include <chrono>

namespace shipworm::core {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// What every deadline() / next_deadline() in core/ returns when nothing is scheduled: later
// than any real time, so that a caller can take the minimum of several deadlines.
inline constexpr TimePoint kNoDeadline = TimePoint::max();

inline double seconds_between(TimePoint earlier, TimePoint later) {
  return std::chrono::duration<double>(later - earlier).count();
}

}  // namespace shipworm::core
