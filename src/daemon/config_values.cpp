#include "daemon/config_values.h"

#include <fmt/core.h>

#include <cctype>
#include <charconv>

namespace shipworm::daemon::config_values {
namespace {

bool is_digits_and_dots(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) return false;
  }
  return true;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Parsed<std::uint64_t> unsigned_in_range(std::string_view text, std::uint64_t min,
                                        std::uint64_t max) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || end != text.data() + text.size() ||
      (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    return Problem{fmt::format("'{}' is not a whole number", text)};
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return Problem{fmt::format("{} is out of range", text)};
  }
  return v;
}

Parsed<wire::Ipv4Address> ipv4(std::string_view text) {
  const auto a = wire::Ipv4Address::parse(text);
  if (!a) return Problem{fmt::format("'{}' is not an IPv4 address", text)};
  return *a;
}

Parsed<wire::Ipv4Address> global_ipv4(std::string_view text, std::string_view what) {
  auto p = ipv4(text);
  if (const auto* a = std::get_if<wire::Ipv4Address>(&p);
      a != nullptr && !wire::is_global_unicast(*a)) {
    return Problem{fmt::format(
        "{} is not a global unicast IPv4 address, and {} must be one: Teredo nodes drop "
        "packets to and from private, loopback, link-local, multicast, broadcast and 6to4 "
        "anycast addresses (RFC 4380 §5.2.4)",
        text, what)};
  }
  return p;
}

Parsed<wire::Ipv4Address> bind_ipv4(std::string_view text) {
  auto p = ipv4(text);
  if (const auto* a = std::get_if<wire::Ipv4Address>(&p)) {
    const auto top = a->value >> 24;
    if (top == 127)
      return Problem{fmt::format("{} is a loopback address; Teredo traffic cannot leave it", text)};
    if (top >= 224 && top <= 239) return Problem{fmt::format("{} is a multicast address", text)};
    if (a->value == 0xFFFFFFFF) return Problem{fmt::format("{} is the broadcast address", text)};
  }
  return p;
}

bool is_host_name(std::string_view text) {
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > 253 || is_digits_and_dots(text)) return false;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    const auto label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    }
    start = dot + 1;
  }
  return true;
}

Parsed<ServerName> server_name(std::string_view text) {
  if (is_digits_and_dots(text)) {
    auto p = global_ipv4(text, "a Teredo server address");
    if (const auto* why = std::get_if<Problem>(&p)) return *why;
    return ServerName{std::string(text), std::get<wire::Ipv4Address>(p)};
  }
  if (!is_host_name(text))
    return Problem{fmt::format("'{}' is neither an IPv4 address nor a host name", text)};
  return ServerName{std::string(text), std::nullopt};
}

Parsed<std::uint32_t> teredo_prefix(std::string_view text) {
  std::string_view addr = text;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    const auto len = text.substr(slash + 1);
    if (len != "32")
      return Problem{fmt::format("'{}' is a /{} prefix; a Teredo prefix is a /32", text, len)};
  }
  const auto a = wire::Ipv6Address::parse(addr);
  if (!a) return Problem{fmt::format("'{}' is not an IPv6 prefix", text)};
  for (std::size_t i = 4; i < 16; ++i) {
    if (a->bytes[i] != 0) {
      return Problem{
          fmt::format("'{}' has bits set after the first 32; a Teredo prefix is a /32", text)};
    }
  }
  if (a->is_unspecified() || a->is_multicast() || a->is_link_local()) {
    return Problem{fmt::format("'{}' is not a global unicast IPv6 prefix", text)};
  }
  return (std::uint32_t{a->bytes[0]} << 24) | (std::uint32_t{a->bytes[1]} << 16) |
         (std::uint32_t{a->bytes[2]} << 8) | std::uint32_t{a->bytes[3]};
}

Parsed<std::string> interface_name(std::string_view text) {
  if (text.size() > 15) {
    return Problem{
        fmt::format("'{}' is {} bytes long; Linux allows at most 15", text, text.size())};
  }
  if (text == "." || text == "..")
    return Problem{fmt::format("'{}' is not allowed as a name", text)};
  for (char c : text) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) ||
        !std::isprint(static_cast<unsigned char>(c))) {
      return Problem{
          fmt::format("'{}' contains a character Linux does not allow in interface names", text)};
    }
  }
  return std::string(text);
}

Parsed<std::string> absolute_path(std::string_view text) {
  if (!text.starts_with('/')) return Problem{fmt::format("'{}' is not an absolute path", text)};
  return std::string(text);
}

Parsed<std::string> socket_path(std::string_view text) {
  if (iequals(text, "none")) return std::string();
  if (!text.starts_with('/')) return Problem{fmt::format("'{}' is not an absolute path", text)};
  if (text.size() > 107) {
    return Problem{fmt::format("'{}' is {} bytes long; a Unix socket path holds at most 107", text,
                               text.size())};
  }
  return std::string(text);
}

Parsed<ListenAddress> listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Problem{fmt::format("'{}' has no :PORT", text)};
  auto host = text.substr(0, colon);
  const auto port_text = text.substr(colon + 1);
  auto port = unsigned_in_range(port_text, 1, 65535);
  if (std::holds_alternative<Problem>(port)) {
    return Problem{fmt::format("'{}' has no valid port after the last ':'", text)};
  }
  ListenAddress out;
  out.port = static_cast<std::uint16_t>(std::get<std::uint64_t>(port));
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
    const auto a = wire::Ipv6Address::parse(host);
    if (!a) return Problem{fmt::format("'{}' is not an IPv6 address", host)};
    out.address = *a;
    return out;
  }
  const auto a = wire::Ipv4Address::parse(host);
  if (!a)
    return Problem{fmt::format("'{}' is not an IPv4 address or a bracketed IPv6 address", host)};
  out.address = *a;
  return out;
}

}  // namespace shipworm::daemon::config_values
