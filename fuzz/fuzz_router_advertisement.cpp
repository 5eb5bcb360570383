// parse_router_advertisement (RFC 4861 §6.1.2 as used by RFC 4380 §5.2.1). Each input is
// tried as it is and with its ICMPv6 checksum repaired. An accepted RA satisfies the validity
// rules, and re-built with write_router_advertisement from its parsed fields it parses back
// to the same fields (the builder always writes one Prefix Information option).
#include <array>
#include <vector>

#include "fuzz_support.h"
#include "wire/router_discovery.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

bool same_prefix(const wire::PrefixInformation& a, const wire::PrefixInformation& b) {
  return a.prefix_length == b.prefix_length && a.flags == b.flags &&
         a.valid_lifetime == b.valid_lifetime && a.preferred_lifetime == b.preferred_lifetime &&
         a.prefix == b.prefix;
}

void check(Bytes in) {
  auto ip = wire::parse_ipv6(in);
  if (!ip) return;
  auto ra = wire::parse_router_advertisement(*ip);
  if (!ra) return;
  auto icmp = wire::parse_icmpv6(*ip);
  FUZZ_CHECK(icmp.ok());
  FUZZ_CHECK(ip->src.is_link_local() && ip->hop_limit == wire::kNdHopLimit);
  FUZZ_CHECK(icmp->type == wire::kIcmpRouterAdvertisement && icmp->code == 0);
  FUZZ_CHECK(icmp->message.size() >= 16);
  FUZZ_CHECK(ra->cur_hop_limit == icmp->message[4] && ra->flags == icmp->message[5]);
  FUZZ_CHECK(ra->router_lifetime == wire::load_u16(icmp->message, 6));
  FUZZ_CHECK(ra->reachable_time == wire::load_u32(icmp->message, 8));
  FUZZ_CHECK(ra->retrans_timer == wire::load_u32(icmp->message, 12));
  FUZZ_CHECK(ra->prefix_count >= 0);
  FUZZ_CHECK(static_cast<std::size_t>(ra->prefix_count) * 32 <= icmp->message.size() - 16);
  if (ra->prefix_count > 0) FUZZ_CHECK(ra->prefix.prefix_length <= 128);

  wire::RouterAdvertisementParams p;
  p.src = ip->src;
  p.dst = ip->dst;
  p.cur_hop_limit = ra->cur_hop_limit;
  p.flags = ra->flags;
  p.router_lifetime = ra->router_lifetime;
  p.reachable_time = ra->reachable_time;
  p.retrans_timer = ra->retrans_timer;
  if (ra->prefix_count > 0) p.prefix = ra->prefix;
  p.mtu = ra->mtu;
  std::array<std::uint8_t, 128> out{};
  wire::Writer w(out);
  FUZZ_CHECK(wire::write_router_advertisement(w, p));
  auto ip2 = wire::parse_ipv6(w.written());
  FUZZ_CHECK(ip2.ok() && ip2->trailing.empty());
  auto ra2 = wire::parse_router_advertisement(*ip2);
  FUZZ_CHECK(ra2.ok());
  FUZZ_CHECK(ra2->cur_hop_limit == ra->cur_hop_limit && ra2->flags == ra->flags &&
             ra2->router_lifetime == ra->router_lifetime &&
             ra2->reachable_time == ra->reachable_time && ra2->retrans_timer == ra->retrans_timer &&
             ra2->mtu == ra->mtu);
  FUZZ_CHECK(ra2->prefix_count == 1 && same_prefix(ra2->prefix, p.prefix));
  FUZZ_CHECK(ip2->src == ip->src && ip2->dst == ip->dst);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  check(in);
  std::vector<std::uint8_t> fixed = copy_of(in);
  if (repair_icmpv6_checksum(fixed)) check(fixed);
  return 0;
}
