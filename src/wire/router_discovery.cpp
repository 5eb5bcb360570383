#include "wire/router_discovery.h"

#include "wire/constants.h"

namespace shipworm::wire {
namespace {

// Walks ND options (RFC 4861 §4.6): type, length in units of 8 octets, never 0.
template <class Visit>
std::optional<DropReason> walk_options(Bytes options, Visit&& visit) {
  while (!options.empty()) {
    if (options.size() < 2) return DropReason::kNdOptionTruncated;
    const std::size_t len = std::size_t{options[1]} * 8;
    if (len == 0) return DropReason::kNdOptionZeroLength;
    if (len > options.size()) return DropReason::kNdOptionTruncated;
    if (auto r = visit(options[0], options.first(len))) return r;
    options = options.subspan(len);
  }
  return std::nullopt;
}

// The checks shared by RS and RA: ICMPv6, hop limit, checksum, type, code, minimum length.
Parsed<Icmpv6View> parse_nd(const Ipv6View& ip, std::uint8_t type, std::size_t min_len) {
  auto icmp = parse_icmpv6(ip);
  if (!icmp) return icmp.reason();
  if (icmp->type != type) return DropReason::kIcmpv6UnexpectedType;
  if (ip.hop_limit != kNdHopLimit) return DropReason::kNdBadHopLimit;
  if (icmp->code != 0) return DropReason::kNdBadCode;
  if (icmp->message.size() < min_len) return DropReason::kNdTruncated;
  return icmp;
}

}  // namespace

Parsed<RouterSolicitation> parse_router_solicitation(const Ipv6View& ip) {
  auto icmp = parse_nd(ip, kIcmpRouterSolicitation, 8);
  if (!icmp) return icmp.reason();
  RouterSolicitation rs;
  auto bad = walk_options(icmp->message.subspan(8), [&](std::uint8_t type, Bytes) {
    if (type == kNdOptionSourceLinkLayer) rs.has_source_link_layer = true;
    return std::optional<DropReason>{};
  });
  if (bad) return *bad;
  if (rs.has_source_link_layer && ip.src.is_unspecified()) {
    return DropReason::kRsUnspecifiedSourceWithSlla;
  }
  return rs;
}

Parsed<RouterAdvertisement> parse_router_advertisement(const Ipv6View& ip) {
  if (!ip.src.is_link_local()) return DropReason::kRaSourceNotLinkLocal;
  auto icmp = parse_nd(ip, kIcmpRouterAdvertisement, 16);
  if (!icmp) return icmp.reason();
  const Bytes m = icmp->message;
  RouterAdvertisement ra;
  ra.cur_hop_limit = m[4];
  ra.flags = m[5];
  ra.router_lifetime = load_u16(m, 6);
  ra.reachable_time = load_u32(m, 8);
  ra.retrans_timer = load_u32(m, 12);
  auto bad =
      walk_options(m.subspan(16), [&](std::uint8_t type, Bytes opt) -> std::optional<DropReason> {
        if (type == kNdOptionPrefixInformation) {
          if (opt.size() != 32 || opt[2] > 128) return DropReason::kRaBadPrefixOption;
          if (ra.prefix_count++ == 0) {
            ra.prefix.prefix_length = opt[2];
            ra.prefix.flags = opt[3];
            ra.prefix.valid_lifetime = load_u32(opt, 4);
            ra.prefix.preferred_lifetime = load_u32(opt, 8);
            ra.prefix.prefix = Ipv6Address::from_bytes(opt.subspan(16, 16));
          }
        } else if (type == kNdOptionMtu) {
          if (opt.size() != 8) return DropReason::kRaBadMtuOption;
          ra.mtu = load_u32(opt, 4);
        }
        return std::nullopt;
      });
  if (bad) return *bad;
  return ra;
}

bool write_router_solicitation(Writer& w, const Ipv6Address& src) {
  Icmpv6PacketWriter pw(w, src, kAllRouters, kNdHopLimit, kIcmpRouterSolicitation, 0);
  w.u32(0);  // reserved
  return pw.finish();
}

bool write_router_advertisement(Writer& w, const RouterAdvertisementParams& p) {
  Icmpv6PacketWriter pw(w, p.src, p.dst, kNdHopLimit, kIcmpRouterAdvertisement, 0);
  w.u8(p.cur_hop_limit);
  w.u8(p.flags);
  w.u16(p.router_lifetime);
  w.u32(p.reachable_time);
  w.u32(p.retrans_timer);
  w.u8(kNdOptionPrefixInformation);
  w.u8(4);
  w.u8(p.prefix.prefix_length);
  w.u8(p.prefix.flags);
  w.u32(p.prefix.valid_lifetime);
  w.u32(p.prefix.preferred_lifetime);
  w.u32(0);  // reserved
  w.bytes(p.prefix.prefix.bytes);
  if (p.mtu) {
    w.u8(kNdOptionMtu);
    w.u8(1);
    w.u16(0);
    w.u32(*p.mtu);
  }
  return pw.finish();
}

}  // namespace shipworm::wire
