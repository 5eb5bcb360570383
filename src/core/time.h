// Time in core/: engines never read a clock; the caller passes `now` in (design.md §1), so
// tests and the simulator drive time by hand.
#pragma once

#include <chrono>

namespace shipworm::core {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

inline double seconds_between(TimePoint earlier, TimePoint later) {
  return std::chrono::duration<double>(later - earlier).count();
}

}  // namespace shipworm::core
