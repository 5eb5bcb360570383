// NAT models (RFC 4787 vocabulary; the Teredo names of RFC 4380 §2.10-2.13 and RFC 6081 §3).
//
//   kind                       mapping (outbound)                 filtering (inbound)
//   kFullCone                  one per inside endpoint, random    anyone
//   kAddressRestricted         one per inside endpoint, random    addresses it sent to
//   kPortRestricted            one per inside endpoint, random    address:ports it sent to
//   kSymmetric                 one per (inside, remote), random   the mapping's remote only
//   kPortPreservingSymmetric   per (inside, remote); the first    the mapping's remote only
//                              keeps the inside port, later ones
//                              (other remotes) get random ports
//   kSequentialSymmetric       per (inside, remote), ports        the mapping's remote only
//                              allocated one after the other
//
// A mapping lives `mapping_timeout` after the last outbound packet that used it (inbound
// traffic does not refresh it, the conservative RFC 4787 §4.3 choice). Hairpinning (RFC 4787
// §6): a packet from inside to the NAT's own public address is translated and looped back
// in, or dropped when the NAT does not hairpin. reboot() forgets every mapping: the next
// packets get new ports (rebinding).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "core/time.h"
#include "sim_random.h"
#include "wire/ip_address.h"

namespace shipworm::sim {

enum class NatKind : std::uint8_t {
  kFullCone,
  kAddressRestricted,
  kPortRestricted,
  kSymmetric,
  kPortPreservingSymmetric,
  kSequentialSymmetric,
};
inline constexpr NatKind kAllNatKinds[] = {
    NatKind::kFullCone,  NatKind::kAddressRestricted,       NatKind::kPortRestricted,
    NatKind::kSymmetric, NatKind::kPortPreservingSymmetric, NatKind::kSequentialSymmetric};
std::string_view to_string(NatKind k);
inline bool is_symmetric(NatKind k) {
  return k == NatKind::kSymmetric || k == NatKind::kPortPreservingSymmetric ||
         k == NatKind::kSequentialSymmetric;
}

struct NatConfig {
  NatKind kind = NatKind::kPortRestricted;
  wire::Ipv4Address public_ip;
  core::Duration mapping_timeout = std::chrono::seconds(120);
  bool hairpinning = false;
  std::size_t max_mappings = 4096;  // a table-full NAT drops new flows
};

class NatModel {
 public:
  NatModel(NatConfig config, SimRandom random);

  // The public source of a packet from `inside` to `remote`, creating or refreshing the
  // mapping; nullopt when no mapping can be made (table full).
  std::optional<wire::Endpoint> outbound(const wire::Endpoint& inside, const wire::Endpoint& remote,
                                         core::TimePoint now);
  // The inside endpoint for a packet from `remote` to public `port`, or nullopt when it is
  // filtered (no live mapping, or the filter refuses the remote).
  std::optional<wire::Endpoint> inbound(const wire::Endpoint& remote, std::uint16_t port,
                                        core::TimePoint now);
  void reboot() {
    mappings_.clear();
    by_port_.clear();
  }
  // Drops the mappings that have timed out; returns how many are live.
  std::size_t expire(core::TimePoint now);
  [[nodiscard]] std::size_t size() const { return mappings_.size(); }
  [[nodiscard]] const NatConfig& config() const { return config_; }

 private:
  struct Key {
    wire::Endpoint inside;
    wire::Endpoint remote;  // zero for endpoint-independent mappings
    auto operator<=>(const Key&) const = default;
  };
  struct Mapping {
    std::uint16_t port = 0;
    core::TimePoint last_out{};
    std::set<wire::Endpoint> contacted;
  };
  bool live(const Mapping& m, core::TimePoint now) const {
    return now - m.last_out < config_.mapping_timeout;
  }
  std::optional<std::uint16_t> allocate(const wire::Endpoint& inside, bool first_for_inside);
  void erase(std::map<Key, Mapping>::iterator it);

  NatConfig config_;
  SimRandom random_;
  std::map<Key, Mapping> mappings_;
  std::map<std::uint16_t, Key> by_port_;
  std::uint16_t next_sequential_ = 0;
};

}  // namespace shipworm::sim
