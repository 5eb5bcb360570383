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

// Sum of the IPv6 pseudo-header (RFC 8200 §8.1) for a UDP length, unfolded.
std::uint32_t pseudo_header_sum(wire::Bytes packet, std::size_t udp_length) {
  std::uint8_t tail[8] = {};
  tail[0] = static_cast<std::uint8_t>(udp_length >> 24);
  tail[1] = static_cast<std::uint8_t>(udp_length >> 16);
  tail[2] = static_cast<std::uint8_t>(udp_length >> 8);
  tail[3] = static_cast<std::uint8_t>(udp_length);
  tail[7] = kUdp;
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

}  // namespace shipworm::os
