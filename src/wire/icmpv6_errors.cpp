#include "wire/icmpv6_errors.h"

#include <algorithm>

#include "wire/constants.h"
#include "wire/icmpv6.h"

namespace shipworm::wire {

bool icmpv6_error_allowed(const Ipv6View& invoking) {
  if (invoking.dst.is_multicast()) return false;
  if (invoking.src.is_multicast() || invoking.src.is_unspecified()) return false;
  // Teredo traffic carries no extension headers before ICMPv6 in practice; an error about a
  // packet whose first header is ICMPv6 is refused when that message is an error (< 128).
  if (invoking.next_header == kNextHeaderIcmpv6) {
    const Bytes payload = invoking.payload();
    if (payload.empty() || payload[0] < 128) return false;
  }
  return true;
}

bool write_icmpv6_error(Writer& w, const Ipv6Address& src, const Ipv6Address& dst,
                        std::uint8_t type, std::uint8_t code, Bytes invoking) {
  constexpr std::size_t kOverhead = kIpv6HeaderSize + 8;  // IPv6 + type/code/sum/param
  Icmpv6PacketWriter pw(w, src, dst, kNdHopLimit, type, code);
  w.u32(0);  // unused (§3.1, §3.3)
  w.bytes(invoking.first(std::min(invoking.size(), kIcmpv6ErrorMaxSize - kOverhead)));
  return pw.finish();
}

}  // namespace shipworm::wire
