#include "os/linux/udp_coalesce.h"

#include <cstring>

#include "wire/checksum.h"

namespace shipworm::os {
namespace {

constexpr std::uint8_t kUdp = 17;

std::uint16_t load16(wire::Bytes p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}
void store16(wire::MutableBytes p, std::size_t at, std::uint16_t v) {
  p[at] = static_cast<std::uint8_t>(v >> 8);
  p[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpPsh = 0x08;

// Sum of the IPv6 pseudo-header (RFC 8200 §8.1) for an upper-layer length, unfolded.
std::uint32_t pseudo_header_sum(wire::Bytes packet, std::size_t udp_length,
                                std::uint8_t next_header = kUdp) {
  std::uint8_t tail[8] = {};
  tail[0] = static_cast<std::uint8_t>(udp_length >> 24);
  tail[1] = static_cast<std::uint8_t>(udp_length >> 16);
  tail[2] = static_cast<std::uint8_t>(udp_length >> 8);
  tail[3] = static_cast<std::uint8_t>(udp_length);
  tail[7] = next_header;
  std::uint32_t sum = wire::ones_complement_sum(packet.subspan(8, 32));
  return wire::ones_complement_sum(tail, sum);
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

std::size_t coalescable_udp_payload(wire::Bytes packet) {
  if (packet.size() <= kIpv6UdpHeaders) return 0;
  if ((packet[0] >> 4) != 6 || packet[6] != kUdp) return 0;
  const std::size_t udp_length = packet.size() - 40;
  if (load16(packet, 4) != udp_length || load16(packet, 44) != udp_length) return 0;
  if (load16(packet, 46) == 0) return 0;  // no checksum: invalid in IPv6 (RFC 8200 §8.1)
  const std::uint32_t sum = pseudo_header_sum(packet, udp_length);
  if (fold(wire::ones_complement_sum(packet.subspan(40), sum)) != 0xffff) return 0;
  return udp_length - 8;
}

bool same_udp_flow(wire::Bytes a, wire::Bytes b) {
  // Bytes 0-3: version, traffic class, flow label; 6-7: Next Header, Hop Limit; 8-39: source
  // and destination; 40-43: ports.
  return std::memcmp(a.data(), b.data(), 4) == 0 &&
         std::memcmp(a.data() + 6, b.data() + 6, 38) == 0;
}

UdpHeadBackup make_udp_gso_head(wire::MutableBytes first, std::size_t total_payload) {
  const UdpHeadBackup backup{load16(first, 4), load16(first, 44), load16(first, 46)};
  const auto udp_length = static_cast<std::uint16_t>(total_payload + 8);
  store16(first, 4, udp_length);
  store16(first, 44, udp_length);
  store16(first, 46, fold(pseudo_header_sum(first, udp_length)));
  return backup;
}

void restore_udp_head(wire::MutableBytes first, const UdpHeadBackup& backup) {
  store16(first, 4, backup.payload_length);
  store16(first, 44, backup.udp_length);
  store16(first, 46, backup.checksum);
}

std::size_t tcp_header_length(wire::Bytes packet) {
  return static_cast<std::size_t>(packet[52] >> 4) * 4;
}

bool tcp_has_psh(wire::Bytes packet) { return (packet[53] & kTcpPsh) != 0; }

std::size_t coalescable_tcp_payload(wire::Bytes packet) {
  if (packet.size() < 60 || (packet[0] >> 4) != 6 || packet[6] != kTcp) return 0;
  const std::size_t tcp_length = packet.size() - 40;
  if (load16(packet, 4) != tcp_length) return 0;
  const std::size_t header = tcp_header_length(packet);
  if (header < 20 || header >= tcp_length) return 0;  // no payload: nothing to coalesce
  if ((packet[53] & ~kTcpPsh) != kTcpAck) return 0;   // ACK, maybe PSH; nothing else
  const std::uint32_t sum = pseudo_header_sum(packet, tcp_length, kTcp);
  if (fold(wire::ones_complement_sum(packet.subspan(40), sum)) != 0xffff) return 0;
  return tcp_length - header;
}

bool tcp_can_follow(wire::Bytes first, std::size_t run_payload, wire::Bytes next) {
  const std::size_t header = tcp_header_length(first);
  if (tcp_header_length(next) != header || !same_udp_flow(first, next)) return false;
  // Acknowledgment, data offset: bytes 48-52; window: 54-55; urgent pointer and options:
  // 58 to the end of the header.
  if (std::memcmp(first.data() + 48, next.data() + 48, 5) != 0 ||
      std::memcmp(first.data() + 54, next.data() + 54, 2) != 0 ||
      std::memcmp(first.data() + 58, next.data() + 58, 40 + header - 58) != 0) {
    return false;
  }
  const auto seq = [](wire::Bytes p) {
    return std::uint32_t{p[44]} << 24 | std::uint32_t{p[45]} << 16 | std::uint32_t{p[46]} << 8 |
           std::uint32_t{p[47]};
  };
  return seq(next) == seq(first) + static_cast<std::uint32_t>(run_payload);
}

TcpHeadBackup make_tcp_gso_head(wire::MutableBytes first, std::size_t total_payload, bool psh) {
  const TcpHeadBackup backup{load16(first, 4), first[53], load16(first, 56)};
  const std::size_t tcp_length = tcp_header_length(first) + total_payload;
  store16(first, 4, static_cast<std::uint16_t>(tcp_length));
  if (psh) first[53] = static_cast<std::uint8_t>(first[53] | kTcpPsh);
  store16(first, 56, fold(pseudo_header_sum(first, tcp_length, kTcp)));
  return backup;
}

void restore_tcp_head(wire::MutableBytes first, const TcpHeadBackup& backup) {
  store16(first, 4, backup.payload_length);
  first[53] = backup.flags;
  store16(first, 56, backup.checksum);
}

}  // namespace shipworm::os
