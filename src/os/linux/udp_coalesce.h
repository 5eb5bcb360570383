// Coalescing IPv6/UDP packets of one flow into one UDP GSO super-packet for a TUN write with a
// virtio_net_hdr (os/linux/tun_device.h, vnet_hdr; docs/os-linux.md "TUN offloads").
//
// The kernel takes a super-packet = the first packet's IPv6 and UDP headers followed by the
// payloads of all the packets, with gso_type VIRTIO_NET_HDR_GSO_UDP_L4, gso_size = the
// payload length of each segment (the last may be shorter) and a partial checksum
// (VIRTIO_NET_HDR_F_NEEDS_CSUM, csum_start = 40, csum_offset = 6), and cuts it back into
// the original packets: same headers, lengths and checksums per segment (skb_segment via
// __udp_gso_segment), so what leaves the host is what arrived, one packet at a time.
//
// Only plain IPv6/UDP packets take part: version 6, Next Header 17 (no extension headers),
// lengths consistent (IPv6 payload length = UDP length = what was read), a non-empty
// payload, and a UDP checksum that is present and correct (the kernel recomputes it for
// each segment, so a corrupt packet would otherwise leave with a valid checksum). Packets of
// one flow agree on the first 4 bytes (version, traffic class, flow label), Next Header, Hop
// Limit, both addresses and both ports.
//
// Pure: no system call, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wire/bytes.h"

namespace shipworm::os {

inline constexpr std::size_t kIpv6UdpHeaders = 40 + 8;
inline constexpr std::size_t kMaxCoalescedSegments = 64;
// The IPv6 Payload Length field (16 bits) holds the whole super-packet's UDP length.
inline constexpr std::size_t kMaxCoalescedPayload = 65535 - 8;

// The UDP payload length of `packet` if it may be coalesced (see above), else 0.
std::size_t coalescable_udp_payload(wire::Bytes packet);

// Same IPv6/UDP flow: both packets must already be coalescable.
bool same_udp_flow(wire::Bytes a, wire::Bytes b);

// Turns the first packet's headers into the super-packet's: IPv6 payload length and UDP
// length for `total_payload` bytes of UDP payload, and the UDP checksum field set to the
// folded (not inverted) pseudo-header sum over that length, which is what the kernel
// expects of a CHECKSUM_PARTIAL packet. Returns the 6 bytes it overwrote (payload length,
// UDP length, checksum) for restore_udp_head().
struct UdpHeadBackup {
  std::uint16_t payload_length = 0;
  std::uint16_t udp_length = 0;
  std::uint16_t checksum = 0;
};
UdpHeadBackup make_udp_gso_head(wire::MutableBytes first, std::size_t total_payload);
void restore_udp_head(wire::MutableBytes first, const UdpHeadBackup& backup);

// TCP, the same way (VIRTIO_NET_HDR_GSO_TCPV6; the kernel cuts it with tcp_gso_segment,
// which gives each segment its sequence number and clears PSH/FIN on all but the last).
// A coalescable TCP packet: IPv6 without extension headers, Next Header 6, lengths
// consistent, a TCP header that fits, a non-empty payload, flags ACK or ACK|PSH only, and a
// correct checksum. Returns the payload length, else 0.
std::size_t coalescable_tcp_payload(wire::Bytes packet);
// TCP header length (data offset * 4) of a coalescable packet.
std::size_t tcp_header_length(wire::Bytes packet);
// `next` may follow the run that starts with `first` and holds `run_payload` bytes so far:
// same IPv6 fields as same_udp_flow, same TCP header but for the sequence number, the
// checksum and PSH (ports, acknowledgment, data offset, window, urgent pointer, options:
// timestamps included), and its sequence number = first's + run_payload. Both coalescable;
// a run ends after a packet with PSH (the caller's rule).
bool tcp_can_follow(wire::Bytes first, std::size_t run_payload, wire::Bytes next);
bool tcp_has_psh(wire::Bytes packet);
// Like make_udp_gso_head: Payload Length for the whole, PSH set when the run's last packet
// had it, checksum field = folded pseudo-header sum. restore_tcp_head() undoes it.
struct TcpHeadBackup {
  std::uint16_t payload_length = 0;
  std::uint8_t flags = 0;
  std::uint16_t checksum = 0;
};
TcpHeadBackup make_tcp_gso_head(wire::MutableBytes first, std::size_t total_payload, bool psh);
void restore_tcp_head(wire::MutableBytes first, const TcpHeadBackup& backup);

}  // namespace shipworm::os
