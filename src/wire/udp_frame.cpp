#include "wire/udp_frame.h"

#include <cassert>
#include <cstring>

#include "wire/checksum.h"

namespace shipworm::wire {

namespace {

// Tagged frames reach us only if the XDP program or the NIC leaves the tags in place; the
// fast path does not handle them, but counting them apart from "not IPv4" tells an
// operator why nothing is answered.
constexpr std::uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;  // IEEE 802.1ad

constexpr std::uint16_t kIpv4MoreFragments = 0x2000;
constexpr std::uint16_t kIpv4FragmentOffset = 0x1fff;
constexpr std::uint8_t kIpv4VersionIhl = 0x45;  // version 4, 5 words: no options

constexpr std::size_t kIpOffset = kEthernetHeaderLength;
constexpr std::size_t kUdpOffset = kEthernetHeaderLength + kIpv4HeaderLength;  // when we build

// Folds a ones_complement_sum() to 16 bits. A received header or segment whose checksum is
// right folds to 0xFFFF (RFC 1071 §1: the sum including the checksum field is all ones).
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// The RFC 768 pseudo-header (source, destination, zero, protocol, UDP length) summed
// arithmetically, so no 12-byte buffer has to be assembled for it.
std::uint32_t pseudo_header_sum(Ipv4Address source, Ipv4Address destination,
                                std::size_t udp_length) {
  return (source.value >> 16) + (source.value & 0xffff) + (destination.value >> 16) +
         (destination.value & 0xffff) + kIpProtocolUdp + static_cast<std::uint32_t>(udp_length);
}

MacAddress load_mac(Bytes b, std::size_t at) {
  MacAddress m;
  std::memcpy(m.bytes.data(), b.data() + at, m.bytes.size());
  return m;
}

}  // namespace

Parsed<UdpFrame> parse_udp_frame(Bytes frame, UdpFrameChecks checks) {
  if (frame.size() < kEthernetHeaderLength) return DropReason::kEthernetTruncated;
  const std::uint16_t ether_type = load_u16(frame, 12);
  if (ether_type == kEtherTypeVlan || ether_type == kEtherTypeQinQ) {
    return DropReason::kEthernetVlanTagged;
  }
  if (ether_type != kEtherTypeIpv4) return DropReason::kEthernetNotIpv4;

  const Bytes ip = frame.subspan(kIpOffset);
  if (ip.size() < kIpv4HeaderLength) return DropReason::kIpv4Truncated;
  if ((ip[0] >> 4) != 4) return DropReason::kIpv4BadVersion;
  const std::size_t header_length = std::size_t{ip[0] & 0x0fU} * 4;
  if (header_length < kIpv4HeaderLength) return DropReason::kIpv4BadHeaderLength;
  if (header_length > ip.size()) return DropReason::kIpv4Truncated;
  // Verified before any other field is believed: a corrupted Total Length or protocol would
  // otherwise be counted under a misleading reason.
  if (fold(ones_complement_sum(ip.first(header_length))) != 0xffff) {
    return DropReason::kIpv4BadChecksum;
  }
  const std::size_t total_length = load_u16(ip, 2);
  if (total_length < header_length) return DropReason::kIpv4BadHeaderLength;
  // Shorter is fine: Ethernet pads frames to 60 bytes, and the padding belongs to no layer.
  if (total_length > ip.size()) return DropReason::kIpv4LengthExceedsFrame;
  if ((load_u16(ip, 6) & (kIpv4MoreFragments | kIpv4FragmentOffset)) != 0) {
    return DropReason::kIpv4Fragment;
  }
  if (ip[9] != kIpProtocolUdp) return DropReason::kIpv4NotUdp;

  const Bytes udp = ip.subspan(header_length, total_length - header_length);
  if (udp.size() < kUdpHeaderLength) return DropReason::kUdpTruncated;
  if (load_u16(udp, 4) != udp.size()) return DropReason::kUdpLengthMismatch;

  UdpFrame f;
  f.destination_mac = load_mac(frame, 0);
  f.source_mac = load_mac(frame, 6);
  f.ttl = ip[8];
  f.source = {Ipv4Address{load_u32(ip, 12)}, load_u16(udp, 0)};
  f.destination = {Ipv4Address{load_u32(ip, 16)}, load_u16(udp, 2)};
  const std::uint16_t field = load_u16(udp, 6);
  const std::uint32_t pseudo =
      pseudo_header_sum(f.source.address, f.destination.address, udp.size());
  const bool offload_pending = checks.accept_offload_pending && field == fold(pseudo);
  if (field != 0 && !offload_pending && fold(ones_complement_sum(udp, pseudo)) != 0xffff) {
    return DropReason::kUdpBadChecksum;
  }
  f.payload = udp.subspan(kUdpHeaderLength);
  return f;
}

std::size_t build_udp_frame_headers(MutableBytes frame, const MacAddress& destination_mac,
                                    const MacAddress& source_mac, Endpoint source,
                                    Endpoint destination, std::uint16_t ip_id,
                                    std::size_t payload_length) {
  if (payload_length > kMaxUdpFramePayload || frame.size() < kUdpFrameHeaderLength ||
      payload_length > frame.size() - kUdpFrameHeaderLength) {
    return 0;
  }
  const std::size_t udp_length = kUdpHeaderLength + payload_length;
  Writer w(frame.first(kUdpFrameHeaderLength));
  w.bytes(destination_mac.bytes);
  w.bytes(source_mac.bytes);
  w.u16(kEtherTypeIpv4);

  w.u8(kIpv4VersionIhl);
  w.u8(0);  // DSCP 0 (best effort), not ECN-capable
  w.u16(static_cast<std::uint16_t>(kIpv4HeaderLength + udp_length));
  // DF stays clear and the Identification is the caller's: this path keeps no path-MTU
  // state, so a router on a narrower link may fragment the reply rather than drop it, and
  // distinct IDs let the receiver reassemble it (RFC 6864 §4.1).
  w.u16(ip_id);
  w.u16(0);  // flags, fragment offset
  w.u8(kUdpFrameTtl);
  w.u8(kIpProtocolUdp);
  w.u16(0);  // header checksum, patched below
  w.u32(source.address.value);
  w.u32(destination.address.value);

  w.u16(source.port);
  w.u16(destination.port);
  w.u16(static_cast<std::uint16_t>(udp_length));
  w.u16(0);  // checksum, patched below
  assert(w.ok() && w.size() == kUdpFrameHeaderLength);

  const MutableBytes ip = frame.subspan(kIpOffset, kIpv4HeaderLength);
  store_u16(ip, 10, static_cast<std::uint16_t>(~fold(ones_complement_sum(ip))));
  const MutableBytes udp = frame.subspan(kUdpOffset, udp_length);
  const auto checksum = static_cast<std::uint16_t>(~fold(ones_complement_sum(
      udp, pseudo_header_sum(source.address, destination.address, udp_length))));
  // RFC 768: a computed 0 is sent as its other one's-complement form, all ones, because a
  // zero field means "no checksum".
  store_u16(udp, 6, checksum == 0 ? 0xffff : checksum);
  return kUdpFrameHeaderLength + payload_length;
}

std::size_t build_udp_frame(MutableBytes out, const MacAddress& destination_mac,
                            const MacAddress& source_mac, Endpoint source, Endpoint destination,
                            std::uint16_t ip_id, Bytes payload) {
  if (payload.size() > kMaxUdpFramePayload || out.size() < kUdpFrameHeaderLength ||
      payload.size() > out.size() - kUdpFrameHeaderLength) {
    return 0;
  }
  // memmove: the caller may pass a payload that already lies in `out`, even at offset 42.
  if (!payload.empty()) {
    std::memmove(out.data() + kUdpFrameHeaderLength, payload.data(), payload.size());
  }
  return build_udp_frame_headers(out, destination_mac, source_mac, source, destination, ip_id,
                                 payload.size());
}

}  // namespace shipworm::wire
