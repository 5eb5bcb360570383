#include "wire/trailers.h"

namespace shipworm::wire {

Parsed<Trailers> parse_trailers(Bytes data) {
  Trailers t;
  auto stop = [&t](std::uint8_t type) {
    t.malformed = true;
    t.malformed_type = type;
    return t;
  };
  while (!data.empty()) {
    const std::uint8_t type = data[0];
    if (data.size() < 2) return stop(type);
    const std::size_t len = data[1];
    if (data.size() < 2 + len) return stop(type);
    const Bytes value = data.subspan(2, len);
    switch (type) {
      case kTrailerNonce:
        if (len != 4) return stop(type);
        if (!t.nonce) t.nonce = Nonce32::load(value);
        break;
      case kTrailerAlternateAddress: {
        if (len < 8 || (len - 2) % 6 != 0 || (len - 2) / 6 > kMaxAlternateAddresses) {
          return stop(type);
        }
        if (!t.has_alternate) {
          t.has_alternate = true;
          t.alternate_count = (len - 2) / 6;
          for (std::size_t i = 0; i < t.alternate_count; ++i) {
            const std::size_t at = 2 + 6 * i;  // after the 2 reserved bytes
            t.alternate[i] = Endpoint{Ipv4Address{load_u32(value, at)}, load_u16(value, at + 4)};
          }
        }
        break;
      }
      case kTrailerNdOption:
        if (len != 4) return stop(type);
        if (!t.nd && value[0] <= 1) t.nd = static_cast<NdDiscoveryType>(value[0]);
        break;
      case kTrailerRandomPort:
      case kTrailerRandomPortIana:
        if (len != 2) return stop(type);
        if (!t.random_port) t.random_port = load_u16(value, 0);
        break;
      case kTrailerFilteringProbe:
        if (len != 0) return stop(type);
        t.filtering_probe = true;
        break;
      default:
        if ((type >> 6) == 0x1) return DropReason::kTrailerUnknownDiscard;
        if (t.unknown_skipped < 255) ++t.unknown_skipped;
        break;
    }
    data = data.subspan(2 + len);
  }
  return t;
}

void write_nonce_trailer(Writer& w, Nonce32 nonce) {
  w.u8(kTrailerNonce);
  w.u8(Nonce32::kSize);
  nonce.store(w);
}

void write_alternate_address_trailer(Writer& w, std::span<const Endpoint> entries) {
  if (entries.empty() || entries.size() > kMaxAlternateAddresses) {
    w.fail();
    return;
  }
  w.u8(kTrailerAlternateAddress);
  w.u8(static_cast<std::uint8_t>(2 + 6 * entries.size()));
  w.u16(0);
  for (const auto& e : entries) {
    w.u32(e.address.value);
    w.u16(e.port);
  }
}

void write_nd_option_trailer(Writer& w, NdDiscoveryType type) {
  w.u8(kTrailerNdOption);
  w.u8(4);
  w.u8(static_cast<std::uint8_t>(type));
  w.zeros(3);
}

void write_filtering_probe_trailer(Writer& w) {
  w.u8(kTrailerFilteringProbe);
  w.u8(0);
}

void write_random_port_trailer(Writer& w, std::uint16_t port, std::uint8_t type) {
  w.u8(type);
  w.u8(2);
  w.u16(port);
}

}  // namespace shipworm::wire
