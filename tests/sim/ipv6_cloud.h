// The IPv6 side of the simulated internet: native prefixes route to their hosts, and the
// Teredo prefix 2001::/32 to the nearest relay that advertises it (RFC 4380 §5.4: relays
// advertise reachability of the prefix; the IPv6 routing system picks the closest).
// "Nearest" is the smallest |region difference| between where the packet enters the cloud
// and where the relay sits, ties to the relay added first.
#pragma once

#include <cstdint>
#include <vector>

#include "core/time.h"
#include "link.h"
#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::sim {

class World;
class SimHost;

class Ipv6Cloud {
 public:
  explicit Ipv6Cloud(World& world) : world_(world) {}

  void add_native(SimHost* host, const wire::Ipv6Address& address) {
    natives_.push_back({host, address});
  }
  void add_relay(SimHost* relay) { relays_.push_back(relay); }
  // Withdraw / restore a relay's route (RFC 4380 §7.3.5: an overloaded relay stops
  // advertising the prefix and traffic moves to the next one).
  void set_advertising(SimHost* relay, bool on);

  // A packet enters the cloud from a node in `region`.
  void send(int region, wire::Bytes packet);
  [[nodiscard]] SimHost* nearest_relay(int region) const;
  [[nodiscard]] std::uint64_t unroutable() const { return unroutable_; }

  LinkProfile core{std::chrono::milliseconds(15), std::chrono::milliseconds(5)};

 private:
  struct Native {
    SimHost* host;
    wire::Ipv6Address address;
  };
  World& world_;
  std::vector<Native> natives_;
  std::vector<SimHost*> relays_;
  std::vector<SimHost*> withdrawn_;
  std::uint64_t unroutable_ = 0;
};

}  // namespace shipworm::sim
