// Value parsers for configuration directives (internal to daemon/). Each returns the typed
// value, or an explanation of what is wrong with the text (without the "(valid: ...)" part,
// which the directive table adds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "daemon/config_file.h"

namespace shipworm::daemon::config_values {

struct Problem {
  explicit Problem(std::string what_is_wrong, std::string valid_instead = {})
      : what(std::move(what_is_wrong)), valid(std::move(valid_instead)) {}
  std::string what;   // what is wrong with the text
  std::string valid;  // when set, replaces the directive's "(valid: ...)" for this problem
};
template <typename T>
using Parsed = std::variant<T, Problem>;  // value, or what is wrong

bool iequals(std::string_view a, std::string_view b);
std::string lower(std::string_view s);

Parsed<std::uint64_t> unsigned_in_range(std::string_view text, std::uint64_t min,
                                        std::uint64_t max);

// Any IPv4 literal (dotted quad).
Parsed<wire::Ipv4Address> ipv4(std::string_view text);
// An IPv4 literal that passes the RFC 4380 §5.2.4 global-unicast test; `what` names the
// address in the explanation ("a Teredo server address").
Parsed<wire::Ipv4Address> global_ipv4(std::string_view text, std::string_view what);
// A local address to bind to: any unicast IPv4 (0.0.0.0 = any), not multicast, broadcast
// or loopback.
Parsed<wire::Ipv4Address> bind_ipv4(std::string_view text);

// RFC 1123 host name syntax (labels of letters, digits and '-', 1..63 each, 253 in all,
// optional trailing dot). A name made only of digits and dots is treated as a mistyped IPv4
// address and rejected.
bool is_host_name(std::string_view text);
// An IPv4 literal (which must be global unicast) or a host name.
Parsed<ServerName> server_name(std::string_view text);

// "2001::", "2001:0000::" or "2001::/32": a /32 prefix; returns its high 32 bits.
Parsed<std::uint32_t> teredo_prefix(std::string_view text);

// Linux interface name: 1..15 bytes, not "." or "..", no '/', ':' or white space.
Parsed<std::string> interface_name(std::string_view text);
// An absolute path.
Parsed<std::string> absolute_path(std::string_view text);
// "none" (returns "") or an absolute path that fits sockaddr_un.sun_path.
Parsed<std::string> socket_path(std::string_view text);
// "IPv4:PORT" or "[IPv6]:PORT", PORT 1..65535.
Parsed<ListenAddress> listen_address(std::string_view text);

}  // namespace shipworm::daemon::config_values
