#include "wire/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace shipworm::wire {

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  // inet_pton accepts exactly the dotted-quad form (no octal, no short forms).
  // Empty text would also hand memcpy a null pointer (UB even for zero bytes).
  if (text.empty() || text.size() > INET_ADDRSTRLEN - 1 ||
      text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  char buf[INET_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  in_addr a{};
  if (inet_pton(AF_INET, buf, &a) != 1) return std::nullopt;
  return Ipv4Address{ntohl(a.s_addr)};
}

std::string Ipv4Address::to_string() const {
  const auto o = octets();
  return std::to_string(o[0]) + '.' + std::to_string(o[1]) + '.' + std::to_string(o[2]) + '.' +
         std::to_string(o[3]);
}

bool is_global_unicast(Ipv4Address a) {
  struct Range {
    std::uint32_t net;
    std::uint32_t mask;
  };
  static constexpr Range kNotGlobal[] = {
      {0x00000000, 0xff000000},  // 0.0.0.0/8
      {0x0a000000, 0xff000000},  // 10.0.0.0/8
      {0x7f000000, 0xff000000},  // 127.0.0.0/8
      {0xa9fe0000, 0xffff0000},  // 169.254.0.0/16
      {0xac100000, 0xfff00000},  // 172.16.0.0/12
      {0xc0586300, 0xffffff00},  // 192.88.99.0/24 (6to4 relay anycast)
      {0xc0a80000, 0xffff0000},  // 192.168.0.0/16
      {0xe0000000, 0xf0000000},  // 224.0.0.0/4
      {0xffffffff, 0xffffffff},  // limited broadcast
  };
  for (const auto& r : kNotGlobal) {
    if ((a.value & r.mask) == r.net) return false;
  }
  return true;
}

std::string Endpoint::to_string() const { return address.to_string() + ':' + std::to_string(port); }

Ipv6Address Ipv6Address::from_bytes(Bytes b) {
  Ipv6Address a;
  std::memcpy(a.bytes.data(), b.data(), a.bytes.size());
  return a;
}

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN - 1 ||
      text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  Ipv6Address a;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::string Ipv6Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

}  // namespace shipworm::wire
