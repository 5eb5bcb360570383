// Raw Ethernet II + IPv4 + UDP frames, for a fast path that receives whole frames (AF_XDP)
// and builds its replies itself, without the kernel's IP and UDP layers.
//
//   Ethernet II (14)  dst MAC | src MAC | EtherType 0x0800
//   IPv4 (RFC 791)    20 bytes, or more with options (skipped on receive, never sent)
//   UDP (RFC 768)     src port | dst port | length | checksum, then the payload
//
// Only what the Teredo server needs is accepted: no VLAN tags (the NIC or the XDP program
// strips them), no fragments (a Teredo RS or bubble is far below any MTU, and reassembly
// would need state), checksums verified. Everything else is a named drop.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>

#include "wire/bytes.h"
#include "wire/ip_address.h"
#include "wire/parsed.h"

namespace shipworm::wire {

inline constexpr std::size_t kEthernetHeaderLength = 14;
inline constexpr std::size_t kIpv4HeaderLength = 20;  // without options
inline constexpr std::size_t kUdpHeaderLength = 8;
inline constexpr std::size_t kUdpFrameHeaderLength =
    kEthernetHeaderLength + kIpv4HeaderLength + kUdpHeaderLength;  // 42: the payload's offset
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint8_t kIpProtocolUdp = 17;
// Linux's default (net.ipv4.ip_default_ttl), so replies look like the kernel path's.
inline constexpr std::uint8_t kUdpFrameTtl = 64;
// The IPv4 Total Length field caps the UDP payload: 65535 - 20 - 8 (== kMaxUdpPayload).
inline constexpr std::size_t kMaxUdpFramePayload = 0xffff - kIpv4HeaderLength - kUdpHeaderLength;

struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  auto operator<=>(const MacAddress&) const = default;
};

struct UdpFrame {
  MacAddress destination_mac;
  MacAddress source_mac;
  Endpoint source;
  Endpoint destination;
  std::uint8_t ttl = 0;
  Bytes payload;  // points into the frame: exactly UDP length - 8 bytes
};

// Ethernet II with EtherType IPv4 only; 802.1Q/802.1ad tags are kEthernetVlanTagged, any
// other EtherType kEthernetNotIpv4.
// IPv4 (RFC 791): version 4, IHL >= 5 (options are skipped, not interpreted), header checksum
// verified, IHL * 4 <= Total Length <= what follows the Ethernet header (the rest is
// Ethernet padding, ignored: a minimum-size frame carries up to 18 bytes of it), no fragment
// (MF set or a non-zero offset; DF and the reserved bit are ignored), protocol 17.
// UDP (RFC 768): the strict length rule. The UDP Length must equal the IP payload length, not
// merely fit inside it: bytes between the two would belong to no layer, and a sender that
// puts them there is broken or probing. The checksum is verified unless it is zero, which
// in IPv4 means the sender computed none.
// Addresses are not judged here (broadcast, multicast, martians): that is the engine's
// policy (is_global_unicast), which counts it under its own reasons.
struct UdpFrameChecks {
  // A sender on the same host (veth, a container, a VM's virtio) hands its frames over with
  // checksum offload still pending: the UDP checksum field holds only the folded
  // pseudo-header sum, which the NIC would have completed. XDP runs before the kernel
  // would mark such a frame CHECKSUM_PARTIAL, so it cannot tell. Accepting that exact
  // value is no weaker than accepting 0 ("no checksum", which IPv4 allows anyway): the
  // checksum guards against corruption, not against senders.
  bool accept_offload_pending = false;
};
Parsed<UdpFrame> parse_udp_frame(Bytes frame, UdpFrameChecks checks = {});

// Builds a whole frame into `out`: Ethernet, a 20-byte IPv4 header (TTL 64, DF clear, the
// given Identification, header checksum) and UDP with its checksum (0xFFFF if it computes to
// 0, since 0 would mean "none"), then `payload`. Returns the frame length, or 0 (nothing
// useful written) if `out` is shorter than 42 + payload.size() or the payload exceeds
// kMaxUdpFramePayload. `payload` may overlap `out`; it is moved, not copied.
std::size_t build_udp_frame(MutableBytes out, const MacAddress& destination_mac,
                            const MacAddress& source_mac, Endpoint source, Endpoint destination,
                            std::uint16_t ip_id, Bytes payload);

// The same headers, written in front of a payload the caller has already placed at
// frame[42, 42 + payload_length) (e.g. built straight into an XSK ring slot), so the payload
// is never copied. Returns 42 + payload_length, or 0 (nothing written) if the frame is too
// short for that or the payload length exceeds kMaxUdpFramePayload.
std::size_t build_udp_frame_headers(MutableBytes frame, const MacAddress& destination_mac,
                                    const MacAddress& source_mac, Endpoint source,
                                    Endpoint destination, std::uint16_t ip_id,
                                    std::size_t payload_length);

}  // namespace shipworm::wire
