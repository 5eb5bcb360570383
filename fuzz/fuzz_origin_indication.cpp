// parse_origin_indication: accepts exactly "00 00 + 6 bytes" (more may follow), decodes the
// obfuscated mapping, and write_origin_indication gives the same 8 bytes back.
#include <array>
#include <cstring>

#include "fuzz_support.h"
#include "wire/encapsulation.h"
#include "wire/teredo_address.h"

using namespace shipworm;
using namespace shipworm::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  auto origin = wire::parse_origin_indication(in);
  const bool well_formed = size >= wire::kOriginIndicationSize && data[0] == 0 && data[1] == 0;
  FUZZ_CHECK(origin.ok() == well_formed);
  if (!origin) {
    FUZZ_CHECK(origin.reason() == wire::DropReason::kOriginTruncated);
    return 0;
  }
  FUZZ_CHECK(origin->port == static_cast<std::uint16_t>(~wire::load_u16(in, 2) & 0xffff));
  FUZZ_CHECK(origin->address.value == ~wire::load_u32(in, 4));

  std::array<std::uint8_t, wire::kOriginIndicationSize> out{};
  wire::Writer w(out);
  wire::write_origin_indication(w, *origin);
  FUZZ_CHECK(w.ok() && w.size() == out.size());
  FUZZ_CHECK(std::memcmp(out.data(), data, out.size()) == 0);

  // Obfuscation is an involution.
  FUZZ_CHECK(wire::obfuscate_ipv4(wire::obfuscate_ipv4(origin->address)) == origin->address);
  FUZZ_CHECK(wire::obfuscate_port(wire::obfuscate_port(origin->port)) == origin->port);
  return 0;
}
