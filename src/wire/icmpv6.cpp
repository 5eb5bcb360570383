#include "wire/icmpv6.h"

#include "wire/checksum.h"
#include "wire/constants.h"

namespace shipworm::wire {

Parsed<Icmpv6View> parse_icmpv6(const Ipv6View& ip) {
  if (ip.next_header != kNextHeaderIcmpv6) return DropReason::kNotIcmpv6;
  const Bytes m = ip.payload();
  if (m.size() < 4) return DropReason::kIcmpv6Truncated;
  if (icmpv6_checksum(ip.src, ip.dst, m) != 0) return DropReason::kIcmpv6BadChecksum;
  return Icmpv6View{m[0], m[1], load_u16(m, 2), m};
}

Parsed<Echo> parse_echo(const Icmpv6View& icmp) {
  if (icmp.type != kIcmpEchoRequest && icmp.type != kIcmpEchoReply) {
    return DropReason::kIcmpv6UnexpectedType;
  }
  if (icmp.code != 0) return DropReason::kEchoBadCode;
  if (icmp.message.size() < 8) return DropReason::kEchoTruncated;
  return Echo{icmp.type == kIcmpEchoRequest, load_u16(icmp.message, 4), load_u16(icmp.message, 6),
              icmp.message.subspan(8)};
}

Icmpv6PacketWriter::Icmpv6PacketWriter(Writer& w, const Ipv6Address& src, const Ipv6Address& dst,
                                       std::uint8_t hop_limit, std::uint8_t type, std::uint8_t code)
    : w_(w), start_(w.size()), src_(src), dst_(dst) {
  write_ipv6_header(w_, Ipv6Header{src, dst, kNextHeaderIcmpv6, hop_limit, 0, 0, 0});
  w_.u8(type);
  w_.u8(code);
  w_.u16(0);  // checksum, patched in finish()
}

bool Icmpv6PacketWriter::finish() {
  if (!w_.ok()) return false;
  const MutableBytes packet = w_.written().subspan(start_);
  const std::size_t icmp_len = packet.size() - kIpv6HeaderSize;
  if (icmp_len > 0xffff) return false;
  store_u16(packet, 4, static_cast<std::uint16_t>(icmp_len));
  const MutableBytes icmp = packet.subspan(kIpv6HeaderSize);
  store_u16(icmp, 2, icmpv6_checksum(src_, dst_, icmp));
  return true;
}

bool write_echo(Writer& w, const EchoParams& p) {
  Icmpv6PacketWriter pw(w, p.src, p.dst, p.hop_limit,
                        p.is_request ? kIcmpEchoRequest : kIcmpEchoReply, 0);
  w.u16(p.identifier);
  w.u16(p.sequence);
  w.bytes(p.data);
  return pw.finish();
}

}  // namespace shipworm::wire
