// IPv6/UDP and IPv6/TCP packets with correct checksums, for the tests of the relay's TUN
// runs (os/linux/tun_runs.h) and of its worker (daemon/relay_worker.h). Payload bytes are
// derived from `seed`, so packets of one flow differ.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "test_util.h"
#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::test {

using Packet = std::vector<std::uint8_t>;

// UDP: 40-byte IPv6 header, 8-byte UDP header, `payload` bytes.
inline Packet udp6_packet(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                          std::uint16_t sport, std::uint16_t dport, std::size_t payload,
                          std::size_t seed, std::uint8_t hop_limit = 64) {
  const auto udp_length = static_cast<std::uint16_t>(8 + payload);
  Packet p(48 + payload);
  p[0] = 0x60;
  wire::store_u16(p, 4, udp_length);
  p[6] = 17;
  p[7] = hop_limit;
  std::copy(src.bytes.begin(), src.bytes.end(), p.begin() + 8);
  std::copy(dst.bytes.begin(), dst.bytes.end(), p.begin() + 24);
  wire::store_u16(p, 40, sport);
  wire::store_u16(p, 42, dport);
  wire::store_u16(p, 44, udp_length);
  for (std::size_t k = 0; k < payload; ++k) p[48 + k] = static_cast<std::uint8_t>(seed * 13 + k);
  auto check = static_cast<std::uint16_t>(~transport_sum(p));
  if (check == 0) check = 0xffff;
  wire::store_u16(p, 46, check);
  return p;
}

// TCP: 40-byte IPv6 header, a 32-byte TCP header (ports 40000 -> 5201, ACK 1, window 2,
// NOP NOP timestamp option), `payload` bytes. flags 0x10 = ACK, 0x18 = ACK|PSH.
inline Packet tcp6_packet(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                          std::uint32_t seq, std::size_t payload, std::size_t seed,
                          std::uint8_t flags = 0x10) {
  const std::size_t header = 32;
  Packet p(40 + header + payload);
  p[0] = 0x60;
  wire::store_u16(p, 4, static_cast<std::uint16_t>(header + payload));
  p[6] = 6;
  p[7] = 64;
  std::copy(src.bytes.begin(), src.bytes.end(), p.begin() + 8);
  std::copy(dst.bytes.begin(), dst.bytes.end(), p.begin() + 24);
  wire::store_u16(p, 40, 40000);
  wire::store_u16(p, 42, 5201);
  wire::store_u32(p, 44, seq);
  p[51] = 1;     // ack
  p[52] = 0x80;  // 32-byte header
  p[53] = flags;
  p[54] = 0x02;  // window
  p[60] = 1;     // NOP NOP TS
  p[61] = 1;
  p[62] = 8;
  p[63] = 10;
  p[67] = 42;  // TSval
  for (std::size_t k = 0; k < payload; ++k) p[72 + k] = static_cast<std::uint8_t>(seed * 5 + k);
  wire::store_u16(p, 56, static_cast<std::uint16_t>(~transport_sum(p)));
  return p;
}

}  // namespace shipworm::test
