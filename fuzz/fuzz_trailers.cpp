// parse_trailers (RFC 6081 §4, §5.1.2), checked against a second, deliberately naive walk of
// the same bytes: every value the parser reports must be the bytes of the first well-formed
// trailer of its type before the stop point. Then the parsed values are re-encoded with the
// write_* builders and must parse back to the same values.
#include <array>
#include <cstring>
#include <optional>

#include "fuzz_support.h"
#include "wire/trailers.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

struct Reference {
  bool discard = false;
  bool malformed = false;
  std::uint8_t malformed_type = 0;
  std::optional<std::size_t> nonce_at;      // offset of the value
  std::optional<std::size_t> alternate_at;  // offset of the value
  std::size_t alternate_len = 0;
  std::optional<std::size_t> nd_at;           // first ND trailer whose value[0] <= 1
  std::optional<std::size_t> random_port_at;  // type 0x05 or 0x02
  unsigned unknown_skipped = 0;
  bool filtering_probe = false;  // shipworm's private type 0xA5, length 0
};

bool known_length_ok(std::uint8_t type, std::size_t len) {
  switch (type) {
    case wire::kTrailerNonce:
    case wire::kTrailerNdOption:
      return len == 4;
    case wire::kTrailerRandomPort:
    case wire::kTrailerRandomPortIana:
      return len == 2;
    case wire::kTrailerAlternateAddress:
      return len == 8 || len == 14 || len == 20 || len == 26;
    case wire::kTrailerFilteringProbe:
      return len == 0;
    default:
      return true;
  }
}

Reference walk(const std::uint8_t* data, std::size_t size) {
  Reference r;
  std::size_t at = 0;
  while (at < size) {
    const std::uint8_t type = data[at];
    if (size - at < 2 || size - at - 2 < data[at + 1] || !known_length_ok(type, data[at + 1])) {
      r.malformed = true;
      r.malformed_type = type;
      return r;
    }
    const std::size_t len = data[at + 1];
    const std::size_t value = at + 2;
    if (type == wire::kTrailerNonce) {
      if (!r.nonce_at) r.nonce_at = value;
    } else if (type == wire::kTrailerAlternateAddress) {
      if (!r.alternate_at) {
        r.alternate_at = value;
        r.alternate_len = len;
      }
    } else if (type == wire::kTrailerNdOption) {
      if (!r.nd_at && data[value] <= 1) r.nd_at = value;
    } else if (type == wire::kTrailerRandomPort || type == wire::kTrailerRandomPortIana) {
      if (!r.random_port_at) r.random_port_at = value;
    } else if (type == wire::kTrailerFilteringProbe) {
      r.filtering_probe = true;
    } else if ((type & 0xc0) == 0x40) {
      r.discard = true;
      return r;
    } else {
      ++r.unknown_skipped;
    }
    at = value + len;
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  auto t = wire::parse_trailers(in);
  const Reference ref = walk(data, size);
  FUZZ_CHECK(t.ok() == !ref.discard);
  if (!t) {
    FUZZ_CHECK(t.reason() == wire::DropReason::kTrailerUnknownDiscard);
    return 0;
  }
  FUZZ_CHECK(t->malformed == ref.malformed);
  if (t->malformed) FUZZ_CHECK(t->malformed_type == ref.malformed_type);
  FUZZ_CHECK(t->unknown_skipped == (ref.unknown_skipped > 255 ? 255 : ref.unknown_skipped));
  FUZZ_CHECK(t->filtering_probe == ref.filtering_probe);

  FUZZ_CHECK(t->nonce.has_value() == ref.nonce_at.has_value());
  if (t->nonce) FUZZ_CHECK(std::memcmp(t->nonce->bytes().data(), data + *ref.nonce_at, 4) == 0);

  FUZZ_CHECK(t->random_port.has_value() == ref.random_port_at.has_value());
  if (t->random_port) FUZZ_CHECK(*t->random_port == wire::load_u16(in, *ref.random_port_at));

  FUZZ_CHECK(t->nd.has_value() == ref.nd_at.has_value());
  if (t->nd) FUZZ_CHECK(static_cast<std::uint8_t>(*t->nd) == data[*ref.nd_at]);

  FUZZ_CHECK(t->has_alternate == ref.alternate_at.has_value());
  if (t->has_alternate) {
    FUZZ_CHECK(t->alternate_count >= 1 && t->alternate_count <= wire::kMaxAlternateAddresses);
    FUZZ_CHECK(t->alternate_count == (ref.alternate_len - 2) / 6);
    for (std::size_t i = 0; i < t->alternate_count; ++i) {
      const std::size_t at = *ref.alternate_at + 2 + 6 * i;
      FUZZ_CHECK(t->alternate[i].address.value == wire::load_u32(in, at));
      FUZZ_CHECK(t->alternate[i].port == wire::load_u16(in, at + 4));
    }
  } else {
    FUZZ_CHECK(t->alternate_count == 0);
  }

  // Re-encode what was understood and parse it back.
  std::array<std::uint8_t, 64> buf{};
  wire::Writer w(buf);
  if (t->nonce) wire::write_nonce_trailer(w, *t->nonce);
  if (t->has_alternate) {
    wire::write_alternate_address_trailer(
        w, std::span<const wire::Endpoint>(t->alternate.data(), t->alternate_count));
  }
  if (t->nd) wire::write_nd_option_trailer(w, *t->nd);
  if (t->random_port) wire::write_random_port_trailer(w, *t->random_port);
  if (t->filtering_probe) wire::write_filtering_probe_trailer(w);
  FUZZ_CHECK(w.ok());
  auto back = wire::parse_trailers(w.written());
  FUZZ_CHECK(back.ok() && !back->malformed && back->unknown_skipped == 0);
  FUZZ_CHECK(back->nonce == t->nonce && back->nd == t->nd && back->random_port == t->random_port &&
             back->filtering_probe == t->filtering_probe);
  FUZZ_CHECK(back->has_alternate == t->has_alternate &&
             back->alternate_count == t->alternate_count);
  for (std::size_t i = 0; i < t->alternate_count; ++i) {
    FUZZ_CHECK(back->alternate[i] == t->alternate[i]);
  }
  return 0;
}
