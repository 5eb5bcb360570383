// parse_router_solicitation (RFC 4861 §6.1.1 as used by RFC 4380 §5.2.1). Each input is tried
// as it is and with its ICMPv6 checksum repaired. An accepted RS satisfies every validity rule;
// one with no options rebuilds byte for byte (but bytes 0-3 and the checksum field) with
// write_router_solicitation.
#include <cstring>
#include <vector>

#include "fuzz_support.h"
#include "wire/router_discovery.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

void check(Bytes in) {
  auto ip = wire::parse_ipv6(in);
  if (!ip) return;
  auto rs = wire::parse_router_solicitation(*ip);
  if (!rs) return;
  auto icmp = wire::parse_icmpv6(*ip);
  FUZZ_CHECK(icmp.ok());
  FUZZ_CHECK(icmp->type == wire::kIcmpRouterSolicitation && icmp->code == 0);
  FUZZ_CHECK(ip->hop_limit == wire::kNdHopLimit && icmp->message.size() >= 8);
  FUZZ_CHECK(!(rs->has_source_link_layer && ip->src.is_unspecified()));

  // Walk the options again: each has a non-zero length and stays inside the message.
  Bytes opts = icmp->message.subspan(8);
  bool slla = false;
  while (!opts.empty()) {
    FUZZ_CHECK(opts.size() >= 2 && opts[1] != 0 && std::size_t{opts[1]} * 8 <= opts.size());
    slla = slla || opts[0] == wire::kNdOptionSourceLinkLayer;
    opts = opts.subspan(std::size_t{opts[1]} * 8);
  }
  FUZZ_CHECK(slla == rs->has_source_link_layer);

  if (icmp->message.size() == 8 && ip->dst == wire::kAllRouters &&
      wire::load_u32(icmp->message, 4) == 0) {
    std::vector<std::uint8_t> out(ip->packet.size());
    wire::Writer w(out);
    FUZZ_CHECK(wire::write_router_solicitation(w, ip->src));
    FUZZ_CHECK(w.size() == ip->packet.size());
    FUZZ_CHECK(std::memcmp(out.data() + 4, ip->packet.data() + 4, 38) == 0);
    FUZZ_CHECK(std::memcmp(out.data() + 44, ip->packet.data() + 44, 4) == 0);
    auto ip2 = wire::parse_ipv6(Bytes{out});
    FUZZ_CHECK(ip2 && wire::parse_router_solicitation(*ip2).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  check(in);
  std::vector<std::uint8_t> fixed = copy_of(in);
  if (repair_icmpv6_checksum(fixed)) check(fixed);
  return 0;
}
