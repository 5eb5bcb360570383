// parse_icmpv6 + parse_echo (RFC 4443 §2.3, §4.1, §4.2). Each input is tried as it is and
// with its ICMPv6 checksum repaired, so that mutations reach the echo parser. An accepted
// echo is rebuilt with write_echo and must match the input's IPv6 packet (bytes 0-3, traffic
// class and flow label, are written as zero; the checksum field may legitimately be the other
// one's-complement zero) and parse back to the same echo.
#include <algorithm>
#include <cstring>
#include <vector>

#include "fuzz_support.h"
#include "wire/icmpv6.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

void check(Bytes in) {
  auto ip = wire::parse_ipv6(in);
  if (!ip) return;
  auto icmp = wire::parse_icmpv6(*ip);
  if (!icmp) {
    const auto r = icmp.reason();
    FUZZ_CHECK(r == wire::DropReason::kNotIcmpv6 || r == wire::DropReason::kIcmpv6Truncated ||
               r == wire::DropReason::kIcmpv6BadChecksum);
    return;
  }
  FUZZ_CHECK(ip->next_header == wire::kNextHeaderIcmpv6);
  FUZZ_CHECK(icmp->message.data() == ip->packet.data() + wire::kIpv6HeaderSize);
  FUZZ_CHECK(icmp->message.size() == ip->payload_length && icmp->message.size() >= 4);
  FUZZ_CHECK(icmp->type == icmp->message[0] && icmp->code == icmp->message[1]);
  FUZZ_CHECK(wire::icmpv6_checksum(ip->src, ip->dst, icmp->message) == 0);

  auto echo = wire::parse_echo(*icmp);
  if (!echo) return;
  FUZZ_CHECK(icmp->type == wire::kIcmpEchoRequest || icmp->type == wire::kIcmpEchoReply);
  FUZZ_CHECK(icmp->code == 0 && icmp->message.size() >= 8);
  FUZZ_CHECK(echo->is_request == (icmp->type == wire::kIcmpEchoRequest));
  FUZZ_CHECK(echo->data.data() == icmp->message.data() + 8 &&
             echo->data.size() == icmp->message.size() - 8);
  FUZZ_CHECK(within(echo->data, ip->packet));

  std::vector<std::uint8_t> out(ip->packet.size());
  wire::Writer w(out);
  wire::EchoParams p;
  p.is_request = echo->is_request;
  p.src = ip->src;
  p.dst = ip->dst;
  p.hop_limit = ip->hop_limit;
  p.identifier = echo->identifier;
  p.sequence = echo->sequence;
  p.data = echo->data;
  FUZZ_CHECK(wire::write_echo(w, p));
  FUZZ_CHECK(w.size() == ip->packet.size());
  constexpr std::size_t kChecksumAt = wire::kIpv6HeaderSize + 2;
  FUZZ_CHECK(std::memcmp(out.data() + 4, ip->packet.data() + 4, kChecksumAt - 4) == 0);
  FUZZ_CHECK(std::memcmp(out.data() + kChecksumAt + 2, ip->packet.data() + kChecksumAt + 2,
                         out.size() - kChecksumAt - 2) == 0);
  auto ip2 = wire::parse_ipv6(Bytes{out});
  FUZZ_CHECK(ip2.ok());
  auto icmp2 = wire::parse_icmpv6(*ip2);
  FUZZ_CHECK(icmp2.ok());
  auto echo2 = wire::parse_echo(*icmp2);
  FUZZ_CHECK(echo2 && echo2->is_request == echo->is_request &&
             echo2->identifier == echo->identifier && echo2->sequence == echo->sequence &&
             echo2->data.size() == echo->data.size() &&
             std::equal(echo2->data.begin(), echo2->data.end(), echo->data.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  check(in);
  std::vector<std::uint8_t> fixed = copy_of(in);
  if (repair_icmpv6_checksum(fixed)) check(fixed);
  return 0;
}
