#include "wire/bubble.h"

#include "wire/constants.h"

namespace shipworm::wire {

Parsed<Ipv6View> parse_bubble(const Ipv6View& ip) {
  if (!is_bubble(ip)) return DropReason::kNotBubble;
  return ip;
}

bool write_bubble(Writer& w, const Ipv6Address& src, const Ipv6Address& dst,
                  std::uint8_t hop_limit) {
  write_ipv6_header(w, Ipv6Header{src, dst, kNextHeaderNone, hop_limit, 0, 0, 0});
  return w.ok();
}

}  // namespace shipworm::wire
