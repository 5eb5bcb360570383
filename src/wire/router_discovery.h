// Router Solicitation and Router Advertisement (RFC 4861 §4.1, §4.2, §6.1), as used by
// Teredo qualification (RFC 4380 §5.2.1, §5.3.2).
#pragma once

#include <cstdint>
#include <optional>

#include "wire/bytes.h"
#include "wire/icmpv6.h"
#include "wire/ipv6_packet.h"
#include "wire/parsed.h"

namespace shipworm::wire {

struct RouterSolicitation {
  bool has_source_link_layer = false;
};

// The router-side checks of RFC 4861 §6.1.1: hop limit 255, valid checksum, code 0,
// ICMP length >= 8, every option length > 0 and inside the message, and no source
// link-layer option when the source is the unspecified address.
Parsed<RouterSolicitation> parse_router_solicitation(const Ipv6View& ip);

struct PrefixInformation {
  std::uint8_t prefix_length = 0;
  std::uint8_t flags = 0;  // L = 0x80, A = 0x40
  std::uint32_t valid_lifetime = 0;
  std::uint32_t preferred_lifetime = 0;
  Ipv6Address prefix;
};

struct RouterAdvertisement {
  std::uint8_t cur_hop_limit = 0;
  std::uint8_t flags = 0;  // M = 0x80, O = 0x40
  std::uint16_t router_lifetime = 0;
  std::uint32_t reachable_time = 0;
  std::uint32_t retrans_timer = 0;
  int prefix_count = 0;      // Teredo clients require exactly one (RFC 4380 §5.2.1)
  PrefixInformation prefix;  // the first Prefix Information option, if prefix_count > 0
  std::optional<std::uint32_t> mtu;
};

// The host-side checks of RFC 4861 §6.1.2: link-local source, hop limit 255, valid checksum,
// code 0, ICMP length >= 16, option lengths > 0 and inside the message. A Prefix
// Information option must have length 4 and a prefix length <= 128, an MTU option length 1
// (RFC 4861 §4.6.2, §4.6.4); unknown options are ignored (§4.2).
Parsed<RouterAdvertisement> parse_router_advertisement(const Ipv6View& ip);

// An RS from `src` to ff02::2 with hop limit 255 and no options (RFC 4380 §5.2.1).
bool write_router_solicitation(Writer& w, const Ipv6Address& src);

struct RouterAdvertisementParams {
  Ipv6Address src;  // the server link-local address (RFC 4380 §5.3.2)
  Ipv6Address dst;  // the RS source
  std::uint8_t cur_hop_limit = 0;
  std::uint8_t flags = 0;
  std::uint16_t router_lifetime = 0;
  std::uint32_t reachable_time = 0;
  std::uint32_t retrans_timer = 2000;
  PrefixInformation prefix{64, 0x40, 0xffffffff, 0xffffffff, {}};  // A flag, infinite
  std::optional<std::uint32_t> mtu = 1280;                         // RFC 4380 §5.1.2
};
bool write_router_advertisement(Writer& w, const RouterAdvertisementParams& p);

}  // namespace shipworm::wire
