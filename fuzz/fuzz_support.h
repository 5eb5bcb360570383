// Shared helpers for the libFuzzer targets in fuzz/ (docs/architecture.md, "House rules": tier 4).
//
// Every target defines LLVMFuzzerTestOneInput. With SHIPWORM_FUZZ the targets link against
// libFuzzer; otherwise replay_main.cpp drives them over the checked-in seed corpus, so the
// g++ builds (release, asan) replay the corpus as ordinary CTest tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/constants.h"
#include "wire/ipv6_packet.h"

// An invariant the code under test must keep. A failure is a finding: print where, then
// abort() so that libFuzzer (or the replay driver under ASan) saves and reports the input.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

namespace shipworm::fuzz {

using wire::Bytes;
using wire::MutableBytes;

// True if `inner` lies entirely inside `outer` (an empty span anywhere is fine only if its
// pointer is inside or one past `outer`, which is what subspan() produces).
inline bool within(Bytes inner, Bytes outer) {
  const auto* begin = outer.data();
  const auto* end = outer.data() + outer.size();
  if (inner.empty())
    return inner.data() == nullptr || (inner.data() >= begin && inner.data() <= end);
  return inner.data() >= begin && inner.data() + inner.size() <= end;
}

inline Bytes as_bytes(const std::uint8_t* data, std::size_t size) { return {data, size}; }

// If `packet` (starting with an IPv6 header) parses and carries ICMPv6, recomputes the
// ICMPv6 checksum in place so that the parsers behind the checksum test are reached by
// mutated inputs too. Returns false if nothing was changed.
inline bool repair_icmpv6_checksum(MutableBytes packet) {
  auto ip = wire::parse_ipv6(packet);
  if (!ip || ip->next_header != wire::kNextHeaderIcmpv6 || ip->payload_length < 4) return false;
  MutableBytes icmp = packet.subspan(wire::kIpv6HeaderSize, ip->payload_length);
  const std::uint16_t before = wire::load_u16(icmp, 2);
  wire::store_u16(icmp, 2, 0);
  const std::uint16_t sum = wire::icmpv6_checksum(ip->src, ip->dst, icmp);
  wire::store_u16(icmp, 2, sum);
  return sum != before;
}

// Copies the input so that it can be mutated (libFuzzer's input buffer is read-only).
inline std::vector<std::uint8_t> copy_of(Bytes b) { return {b.begin(), b.end()}; }

}  // namespace shipworm::fuzz
