// TeredoAddress (RFC 4380 §4, RFC 5991 §3.1) and the address text codecs.
//   - A 16-byte input is an IPv6 address: from_ipv6 decodes it exactly when it lies in
//     2001::/32, and to_ipv6 must give the same 16 bytes back; the flag helpers agree with
//     the raw bits; the text form parses back to the same address.
//   - Any input is also tried as text for Ipv6Address::parse / Ipv4Address::parse: whatever
//     parses must print and parse back to the same value.
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "wire/ip_address.h"
#include "wire/teredo_address.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

void check_binary(const std::uint8_t* data) {
  const wire::Ipv6Address a = wire::Ipv6Address::from_bytes(Bytes{data, 16});
  FUZZ_CHECK(std::memcmp(a.bytes.data(), data, 16) == 0);
  const auto t = wire::TeredoAddress::from_ipv6(a);
  const bool prefix = data[0] == 0x20 && data[1] == 0x01 && data[2] == 0 && data[3] == 0;
  FUZZ_CHECK(t.has_value() == prefix);
  FUZZ_CHECK(wire::is_teredo(a) == prefix);
  if (t) {
    const wire::Ipv6Address back = t->to_ipv6();
    if (back != a) __builtin_trap();  // the round trip the brief asks for, stated plainly
    FUZZ_CHECK(t->server.value == wire::load_u32(a.bytes, 4));
    FUZZ_CHECK(t->flags == wire::load_u16(a.bytes, 8));
    FUZZ_CHECK(t->cone() == ((data[8] & 0x80) != 0));
    if (t->rfc5991_compliant()) {
      FUZZ_CHECK(wire::make_flags(t->cone(), t->random_bits()) == t->flags);
    }
    FUZZ_CHECK(wire::TeredoAddress::from_ipv6(back) == t);
    // The client prefix built from the server address keeps the first 64 bits.
    const wire::Ipv6Address prefix64 = wire::teredo_prefix(t->server);
    FUZZ_CHECK(std::memcmp(prefix64.bytes.data(), data, 8) == 0);
  }
  const auto reparsed = wire::Ipv6Address::parse(a.to_string());
  FUZZ_CHECK(reparsed.has_value() && *reparsed == a);
}

void check_text(std::string_view text) {
  if (const auto v6 = wire::Ipv6Address::parse(text)) {
    const std::string s = v6->to_string();
    const auto again = wire::Ipv6Address::parse(s);
    FUZZ_CHECK(again.has_value() && *again == *v6);
    FUZZ_CHECK(again->to_string() == s);  // the canonical form is a fixed point
  }
  if (const auto v4 = wire::Ipv4Address::parse(text)) {
    const std::string s = v4->to_string();
    FUZZ_CHECK(s == text);  // dotted quad only, so the text is already canonical
    const auto again = wire::Ipv4Address::parse(s);
    FUZZ_CHECK(again.has_value() && *again == *v4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 16) check_binary(data);
  check_text(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
