#include "ipv6_cloud.h"

#include <algorithm>
#include <cstdlib>

#include "wire/ipv6_packet.h"
#include "wire/teredo_address.h"
#include "world.h"

namespace shipworm::sim {

void Ipv6Cloud::set_advertising(SimHost* relay, bool on) {
  const auto it = std::find(withdrawn_.begin(), withdrawn_.end(), relay);
  if (on && it != withdrawn_.end()) withdrawn_.erase(it);
  if (!on && it == withdrawn_.end()) withdrawn_.push_back(relay);
}

SimHost* Ipv6Cloud::nearest_relay(int region) const {
  SimHost* best = nullptr;
  int best_distance = 0;
  for (SimHost* r : relays_) {
    if (std::find(withdrawn_.begin(), withdrawn_.end(), r) != withdrawn_.end()) continue;
    const int d = std::abs(r->region() - region);
    if (best == nullptr || d < best_distance) {
      best = r;
      best_distance = d;
    }
  }
  return best;
}

void Ipv6Cloud::send(int region, wire::Bytes packet) {
  const auto ip = wire::parse_ipv6(packet);
  if (!ip) {
    ++unroutable_;
    return;
  }
  SimHost* target = nullptr;
  if (wire::is_teredo(ip->dst)) {
    target = nearest_relay(region);
  } else {
    for (const auto& n : natives_) {
      if (n.address == ip->dst) target = n.host;
    }
  }
  if (target == nullptr) {
    ++unroutable_;
    return;
  }
  std::vector<std::uint8_t> copy(ip->packet.begin(), ip->packet.end());
  for (const auto d : transit(core, core, world_.random())) {
    world_.queue().after(d, [this, target, copy] {
      if (target->down()) return;
      world_.trace("ipv6", copy);
      target->on_ipv6(copy);
      world_.after_event(*target);
    });
  }
}

}  // namespace shipworm::sim
