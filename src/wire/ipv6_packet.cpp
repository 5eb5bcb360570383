#include "wire/ipv6_packet.h"

#include "wire/constants.h"

namespace shipworm::wire {

Parsed<Ipv6View> parse_ipv6(Bytes data) {
  if (data.size() < kIpv6HeaderSize) return DropReason::kIpv6Truncated;
  if ((data[0] >> 4) != 6) return DropReason::kIpv6BadVersion;
  Ipv6View v;
  const std::uint32_t first = load_u32(data, 0);
  v.traffic_class = static_cast<std::uint8_t>(first >> 20);
  v.flow_label = first & 0xfffff;
  v.payload_length = load_u16(data, 4);
  v.next_header = data[6];
  v.hop_limit = data[7];
  const std::size_t total = kIpv6HeaderSize + v.payload_length;
  if (total > data.size()) return DropReason::kIpv6LengthExceedsDatagram;
  v.src = Ipv6Address::from_bytes(data.subspan(8, 16));
  v.dst = Ipv6Address::from_bytes(data.subspan(24, 16));
  v.packet = data.first(total);
  v.trailing = data.subspan(total);
  return v;
}

void write_ipv6_header(Writer& w, const Ipv6Header& h) {
  w.u32((6u << 28) | (std::uint32_t{h.traffic_class} << 20) | (h.flow_label & 0xfffff));
  w.u16(h.payload_length);
  w.u8(h.next_header);
  w.u8(h.hop_limit);
  w.bytes(h.src.bytes);
  w.bytes(h.dst.bytes);
}

}  // namespace shipworm::wire
