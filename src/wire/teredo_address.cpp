#include "wire/teredo_address.h"

namespace shipworm::wire {

bool is_teredo(const Ipv6Address& a, std::uint32_t prefix) {
  return load_u32(a.bytes, 0) == prefix;
}

std::optional<TeredoAddress> TeredoAddress::from_ipv6(const Ipv6Address& a, std::uint32_t prefix) {
  if (!is_teredo(a, prefix)) return std::nullopt;
  const Bytes b = a.bytes;
  TeredoAddress t;
  t.server = Ipv4Address{load_u32(b, 4)};
  t.flags = load_u16(b, 8);
  t.mapped.port = obfuscate_port(load_u16(b, 10));
  t.mapped.address = obfuscate_ipv4(Ipv4Address{load_u32(b, 12)});
  return t;
}

Ipv6Address TeredoAddress::to_ipv6(std::uint32_t prefix) const {
  Ipv6Address a;
  store_u32(a.bytes, 0, prefix);
  store_u32(a.bytes, 4, server.value);
  store_u16(a.bytes, 8, flags);
  store_u16(a.bytes, 10, obfuscate_port(mapped.port));
  store_u32(a.bytes, 12, obfuscate_ipv4(mapped.address).value);
  return a;
}

Ipv6Address server_link_local(Ipv4Address server) {
  Ipv6Address a;
  a.bytes[0] = 0xfe;
  a.bytes[1] = 0x80;
  store_u16(a.bytes, 8, kFlagCone);
  store_u16(a.bytes, 10, obfuscate_port(kTeredoPort));
  store_u32(a.bytes, 12, obfuscate_ipv4(server).value);
  return a;
}

Ipv6Address client_rs_link_local(bool cone) {
  Ipv6Address a;
  a.bytes[0] = 0xfe;
  a.bytes[1] = 0x80;
  if (cone) {
    store_u16(a.bytes, 8, kFlagCone);
    store_u16(a.bytes, 10, 0xffff);
    store_u32(a.bytes, 12, 0xfffffffd);
  } else {
    store_u16(a.bytes, 10, 0xffff);
    store_u32(a.bytes, 12, 0xffffffff);
  }
  return a;
}

Ipv6Address teredo_prefix(Ipv4Address server, std::uint32_t prefix) {
  Ipv6Address a;
  store_u32(a.bytes, 0, prefix);
  store_u32(a.bytes, 4, server.value);
  return a;
}

}  // namespace shipworm::wire
