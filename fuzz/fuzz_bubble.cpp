// parse_bubble (RFC 4380 §2.8) on a parsed IPv6 view: a bubble is exactly Next Header 59
// with no payload; the view comes back unchanged; write_bubble rebuilds the header; the
// trailers after a bubble (RFC 6081) parse or are discarded by name.
#include <array>
#include <cstring>

#include "fuzz_support.h"
#include "wire/bubble.h"
#include "wire/trailers.h"

using namespace shipworm;
using namespace shipworm::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  auto ip = wire::parse_ipv6(in);
  if (!ip) return 0;
  auto bubble = wire::parse_bubble(*ip);
  const bool expected = ip->next_header == wire::kNextHeaderNone && ip->payload_length == 0;
  FUZZ_CHECK(bubble.ok() == expected);
  FUZZ_CHECK(wire::is_bubble(*ip) == expected);
  if (!bubble) {
    FUZZ_CHECK(bubble.reason() == wire::DropReason::kNotBubble);
    return 0;
  }
  FUZZ_CHECK(bubble->packet.data() == ip->packet.data() &&
             bubble->packet.size() == wire::kIpv6HeaderSize);
  FUZZ_CHECK(bubble->trailing.data() == ip->trailing.data() &&
             bubble->trailing.size() == ip->trailing.size());
  FUZZ_CHECK(bubble->src == ip->src && bubble->dst == ip->dst);

  std::array<std::uint8_t, wire::kIpv6HeaderSize> out{};
  wire::Writer w(out);
  FUZZ_CHECK(wire::write_bubble(w, ip->src, ip->dst, ip->hop_limit));
  FUZZ_CHECK(w.size() == out.size());
  // Bytes 0-3 (traffic class, flow label) are always written as zero.
  FUZZ_CHECK(std::memcmp(out.data() + 4, data + 4, out.size() - 4) == 0);
  auto rebuilt = wire::parse_ipv6(Bytes{out});
  FUZZ_CHECK(rebuilt && wire::parse_bubble(*rebuilt).ok() && rebuilt->trailing.empty());

  auto t = wire::parse_trailers(bubble->trailing);
  FUZZ_CHECK(t.ok() || t.reason() == wire::DropReason::kTrailerUnknownDiscard);
  return 0;
}
