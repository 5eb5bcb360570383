// RFC 6081 §4 trailers: type-length-value records after the IPv6 packet.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "wire/bytes.h"
#include "wire/constants.h"
#include "wire/ip_address.h"
#include "wire/nonce.h"
#include "wire/parsed.h"

namespace shipworm::wire {

enum class NdDiscoveryType : std::uint8_t { kSolicitation = 0, kAdvertisement = 1 };

struct Trailers {
  std::optional<Nonce32> nonce;                              // §4.2, type 0x01
  std::array<Endpoint, kMaxAlternateAddresses> alternate{};  // §4.3, type 0x03
  std::size_t alternate_count = 0;
  bool has_alternate = false;
  std::optional<NdDiscoveryType> nd;         // §4.4, type 0x04 (other values: unknown -> ignored)
  std::optional<std::uint16_t> random_port;  // §4.5, type 0x05 or 0x02 (§9)
  std::uint8_t unknown_skipped = 0;          // unknown types whose action was "skip"
  bool filtering_probe = false;              // shipworm's private type 0xA5 (constants.h)
  // §5.1.2: processing stops at the first malformed trailer; these say which one.
  bool malformed = false;
  std::uint8_t malformed_type = 0;
};

// Processes trailers in order (RFC 6081 §5.1.2). A trailer is malformed if fewer than 2 bytes
// remain, if its value runs past the end, or if a known type has a length its section does not
// allow; processing stops there and what came before is kept. An unknown type whose top two
// bits are 01 means "discard the packet" (§4.1): kTrailerUnknownDiscard. Other unknown types
// are skipped. When a type repeats, the first occurrence counts.
Parsed<Trailers> parse_trailers(Bytes data);

void write_nonce_trailer(Writer& w, Nonce32 nonce);
// 1 to 4 entries (length 8..26); the reserved field is sent as zero (§4.3).
void write_alternate_address_trailer(Writer& w, std::span<const Endpoint> entries);
void write_nd_option_trailer(Writer& w, NdDiscoveryType type);
void write_filtering_probe_trailer(Writer& w);
void write_random_port_trailer(Writer& w, std::uint16_t port,
                               std::uint8_t type = kTrailerRandomPort);

}  // namespace shipworm::wire
