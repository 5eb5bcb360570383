#include "os/linux/udp_coalesce.h"

#include <cstring>

#include "wire/checksum.h"

namespace shipworm::os {
namespace {

using wire::fold_sum;
using wire::load_u16;
using wire::pseudo_header_sum;
using wire::store_u16;

constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpPsh = 0x08;

}  // namespace

std::size_t coalescable_udp_payload(wire::Bytes packet) {
  if (packet.size() <= kIpv6UdpHeaders) return 0;
  if ((packet[0] >> 4) != 6 || packet[6] != kUdp) return 0;
  const std::size_t udp_length = packet.size() - 40;
  if (load_u16(packet, 4) != udp_length || load_u16(packet, 44) != udp_length) return 0;
  if (load_u16(packet, 46) == 0) return 0;  // no checksum: invalid in IPv6 (RFC 8200 §8.1)
  const std::uint32_t sum = pseudo_header_sum(packet, udp_length, kUdp);
  if (fold_sum(wire::ones_complement_sum(packet.subspan(40), sum)) != 0xffff) return 0;
  return udp_length - 8;
}

bool same_udp_flow(wire::Bytes a, wire::Bytes b) {
  // Bytes 0-3: version, traffic class, flow label; 6-7: Next Header, Hop Limit; 8-39: source
  // and destination; 40-43: ports.
  return std::memcmp(a.data(), b.data(), 4) == 0 &&
         std::memcmp(a.data() + 6, b.data() + 6, 38) == 0;
}

UdpHeadBackup make_udp_gso_head(wire::MutableBytes first, std::size_t total_payload) {
  const UdpHeadBackup backup{load_u16(first, 4), load_u16(first, 44), load_u16(first, 46)};
  const auto udp_length = static_cast<std::uint16_t>(total_payload + 8);
  store_u16(first, 4, udp_length);
  store_u16(first, 44, udp_length);
  store_u16(first, 46, fold_sum(pseudo_header_sum(first, udp_length, kUdp)));
  return backup;
}

void restore_udp_head(wire::MutableBytes first, const UdpHeadBackup& backup) {
  store_u16(first, 4, backup.payload_length);
  store_u16(first, 44, backup.udp_length);
  store_u16(first, 46, backup.checksum);
}

std::size_t tcp_header_length(wire::Bytes packet) {
  return static_cast<std::size_t>(packet[52] >> 4) * 4;
}

bool tcp_has_psh(wire::Bytes packet) { return (packet[53] & kTcpPsh) != 0; }

std::size_t coalescable_tcp_payload(wire::Bytes packet) {
  if (packet.size() < 60 || (packet[0] >> 4) != 6 || packet[6] != kTcp) return 0;
  const std::size_t tcp_length = packet.size() - 40;
  if (load_u16(packet, 4) != tcp_length) return 0;
  const std::size_t header = tcp_header_length(packet);
  if (header < 20 || header >= tcp_length) return 0;  // no payload: nothing to coalesce
  if ((packet[53] & ~kTcpPsh) != kTcpAck) return 0;   // ACK, maybe PSH; nothing else
  const std::uint32_t sum = pseudo_header_sum(packet, tcp_length, kTcp);
  if (fold_sum(wire::ones_complement_sum(packet.subspan(40), sum)) != 0xffff) return 0;
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
  return wire::load_u32(next, 44) ==
         wire::load_u32(first, 44) + static_cast<std::uint32_t>(run_payload);
}

TcpHeadBackup make_tcp_gso_head(wire::MutableBytes first, std::size_t total_payload, bool psh) {
  const TcpHeadBackup backup{load_u16(first, 4), first[53], load_u16(first, 56)};
  const std::size_t tcp_length = tcp_header_length(first) + total_payload;
  store_u16(first, 4, static_cast<std::uint16_t>(tcp_length));
  if (psh) first[53] = static_cast<std::uint8_t>(first[53] | kTcpPsh);
  store_u16(first, 56, fold_sum(pseudo_header_sum(first, tcp_length, kTcp)));
  return backup;
}

void restore_tcp_head(wire::MutableBytes first, const TcpHeadBackup& backup) {
  store_u16(first, 4, backup.payload_length);
  first[53] = backup.flags;
  store_u16(first, 56, backup.checksum);
}

}  // namespace shipworm::os
