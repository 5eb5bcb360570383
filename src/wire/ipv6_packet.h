// A read-only view of an IPv6 packet inside a Teredo UDP payload, and the header builder.
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/ip_address.h"
#include "wire/parsed.h"

namespace shipworm::wire {

struct Ipv6View {
  Bytes packet;    // header + payload: exactly 40 + payload_length bytes
  Bytes trailing;  // what follows the packet in the input (RFC 6081 §4 trailers)
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;
  std::uint16_t payload_length = 0;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 0;
  Ipv6Address src;
  Ipv6Address dst;

  [[nodiscard]] Bytes payload() const { return packet.subspan(40); }
};

// RFC 4380 §5.2.3 / RFC 6081 §4: version 6, and 40 + Payload Length must fit inside the
// input; anything after the packet is returned as `trailing`. (Jumbograms cannot occur:
// a UDP payload is at most 65507 bytes.)
Parsed<Ipv6View> parse_ipv6(Bytes data);

struct Ipv6Header {
  Ipv6Address src;
  Ipv6Address dst;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 0;
  std::uint16_t payload_length = 0;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;
};
void write_ipv6_header(Writer& w, const Ipv6Header& h);

}  // namespace shipworm::wire
