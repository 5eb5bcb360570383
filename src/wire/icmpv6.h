// ICMPv6 (RFC 4443): the message view with checksum verification, Echo Request/Reply, and a
// builder that patches the IPv6 payload length and the checksum once the body is written.
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/ipv6_packet.h"
#include "wire/parsed.h"

namespace shipworm::wire {

struct Icmpv6View {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  Bytes message;  // the whole ICMPv6 message, header included
  [[nodiscard]] Bytes body() const { return message.subspan(4); }
};

// Requires Next Header = 58 directly after the IPv6 header (Teredo control traffic carries
// no extension headers), at least the 4-byte header, and a valid checksum (RFC 4443 §2.3).
Parsed<Icmpv6View> parse_icmpv6(const Ipv6View& ip);

struct Echo {
  bool is_request = false;
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  Bytes data;
};
// RFC 4443 §4.1/§4.2: type 128 or 129, code 0, at least identifier and sequence.
Parsed<Echo> parse_echo(const Icmpv6View& icmp);

// Writes an IPv6 header and an ICMPv6 type/code/checksum header; the caller then writes the
// message body into the same Writer and calls finish().
class Icmpv6PacketWriter {
 public:
  Icmpv6PacketWriter(Writer& w, const Ipv6Address& src, const Ipv6Address& dst,
                     std::uint8_t hop_limit, std::uint8_t type, std::uint8_t code);
  // Patches the payload length and the checksum. Returns false if the Writer overflowed.
  bool finish();

 private:
  Writer& w_;
  std::size_t start_;
  Ipv6Address src_;
  Ipv6Address dst_;
};

struct EchoParams {
  bool is_request = true;
  Ipv6Address src;
  Ipv6Address dst;
  std::uint8_t hop_limit = 64;
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  Bytes data;
};
bool write_echo(Writer& w, const EchoParams& p);

}  // namespace shipworm::wire
