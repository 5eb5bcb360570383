// An access link between a node and the core of the simulated internet: a one-way delay with
// uniform jitter, and independent chances of loss, duplication and reordering (a reordered
// packet is held back by `reorder_delay`, so later packets overtake it).
#pragma once

#include <chrono>
#include <vector>

#include "core/time.h"
#include "sim_random.h"

namespace shipworm::sim {

using namespace std::chrono_literals;

struct LinkProfile {
  core::Duration delay = 10ms;
  core::Duration jitter = 0ms;  // added delay uniform in [0, jitter]
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;
  core::Duration reorder_delay = 60ms;
  bool down = false;  // drops everything (an unplugged cable)
};

// The transit delays of one datagram crossing `a` then `b`: empty when it is lost, two
// entries when it is duplicated.
std::vector<core::Duration> transit(const LinkProfile& a, const LinkProfile& b, SimRandom& random);

}  // namespace shipworm::sim
