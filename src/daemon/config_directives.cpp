#include "daemon/config_directives.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace shipworm::daemon::config_directives {
namespace {

namespace cv = config_values;
using cv::Parsed;

template <typename T, typename U>
std::optional<Problem> store(std::optional<T>& slot, Parsed<U> p) {
  if (auto* e = std::get_if<Problem>(&p)) return *e;
  slot = static_cast<T>(std::get<U>(p));
  return std::nullopt;
}

std::optional<Problem> store_number(std::optional<std::uint32_t>& slot, std::string_view text,
                                    std::uint64_t min, std::uint64_t max) {
  return store(slot, cv::unsigned_in_range(text, min, max));
}

Parsed<std::string> interface_or_none(std::string_view text) {
  if (cv::iequals(text, "none")) return std::string();
  return cv::interface_name(text);
}

Parsed<std::string> path_or_none(std::string_view text) {
  if (cv::iequals(text, "none")) return std::string();
  return cv::absolute_path(text);
}

constexpr std::string_view kBoolValid = "yes or no";

// clang-format off
const std::array kSpecs{
  // --- Miredo: miredo.conf(5) ---
  Spec{"RelayType", kClient | kRelay, false, "client, autoclient, relay, cone, restricted",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      const auto l = cv::lower(s);
      for (auto t : {"client", "autoclient", "relay", "cone", "restricted"}) {
        if (l == t) { v.relay_type = l; return std::nullopt; }
      }
      return Problem{fmt::format("'{}' is not a relay type", s)};
    }},
  Spec{"ServerAddress", kClient, false, kServerValid,
    +[](Values& v, std::string_view s) { return store(v.server, cv::server_name(s)); }},
  Spec{"ServerAddress2", kClient, false, kServerValid,
    +[](Values& v, std::string_view s) { return store(v.server2, cv::server_name(s)); }},
  Spec{"InterfaceName", kClient | kRelay, false, "1 to 15 bytes without '/', ':' or spaces",
    +[](Values& v, std::string_view s) { return store(v.interface_name, cv::interface_name(s)); }},
  Spec{"BindAddress", kClient | kRelay, false,
    "a local unicast IPv4 address, or 0.0.0.0 for any",
    +[](Values& v, std::string_view s) { return store(v.bind_address, cv::bind_ipv4(s)); }},
  Spec{"BindPort", kClient | kRelay, false, "0 (a random port) to 65535",
    +[](Values& v, std::string_view s) {
      return store(v.bind_port, cv::unsigned_in_range(s, 0, 65535));
    }},
  Spec{"InterfaceMTU", kRelay | kServer, false, "1280..65507 (RFC 4380 §5.1.2)",
    +[](Values& v, std::string_view s) { return store_number(v.mtu, s, kMinMtu, kMaxMtu); }},
  Spec{"Prefix", kRelay | kServer, false, "a /32 IPv6 prefix such as 2001:0000:: or 2001::/32",
    +[](Values& v, std::string_view s) { return store(v.prefix, cv::teredo_prefix(s)); }},
  Spec{"SyslogFacility", kAll, false,
    "daemon, user, kern, local0..local7, auth, authpriv, cron, ftp, lpr, mail, news, syslog",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      const auto f = parse_syslog_facility(s);
      if (!f) return Problem{fmt::format("'{}' is not a syslog facility", s)};
      v.syslog_facility = *f;
      return std::nullopt;
    }},
  // --- Miredo: miredo-server.conf(5) ---
  Spec{"ServerBindAddress", kServer, false, "a global unicast IPv4 address of this host",
    +[](Values& v, std::string_view s) {
      return store(v.server_bind, cv::global_ipv4(s, "a Teredo server address"));
    }},
  Spec{"ServerBindAddress2", kServer, false,
    "a global unicast IPv4 address of this host, other than ServerBindAddress",
    +[](Values& v, std::string_view s) {
      return store(v.server_bind2, cv::global_ipv4(s, "a Teredo server address"));
    }},
  // --- shipworm ---
  Spec{"FallbackServer", kClient, true, kServerValid,
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      auto p = cv::server_name(s);
      if (auto* e = std::get_if<Problem>(&p)) return *e;
      v.fallback.push_back(std::get<ServerName>(p));
      return std::nullopt;
    }},
  Spec{"RefreshInterval", kClient, false, "10..300 seconds (RFC 6081 §5.1.1; default 30)",
    +[](Values& v, std::string_view s) {
      return store_number(v.refresh_interval, s,
                          static_cast<std::uint64_t>(kMinRefreshInterval.count()),
                          static_cast<std::uint64_t>(kMaxRefreshInterval.count()));
    }},
  Spec{"PeerTableSize", kClient | kRelay, false, "16..16777216 peers",
    +[](Values& v, std::string_view s) { return store_number(v.peer_table_size, s, 16, 1u << 24); }},
  Spec{"PeerQueueBytes", kClient | kRelay, false, "0 (no queueing)..1048576 bytes",
    +[](Values& v, std::string_view s) { return store_number(v.peer_queue_bytes, s, 0, 1u << 20); }},
  Spec{"TotalQueueBytes", kClient | kRelay, false, "0..17179869184 bytes, at least PeerQueueBytes",
    +[](Values& v, std::string_view s) {
      return store(v.total_queue_bytes, cv::unsigned_in_range(s, 0, std::uint64_t{1} << 34));
    }},
  Spec{"HookScript", kClient, false, "an absolute path, or none",
    +[](Values& v, std::string_view s) { return store(v.hook_script, path_or_none(s)); }},
  Spec{"SymmetricNat", kClient, false, "keep (RFC 6081 §5.2) or stop (RFC 4380 §5.2.1)",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      if (cv::iequals(s, "keep")) { v.symmetric_nat = SymmetricNatPolicy::keep; return std::nullopt; }
      if (cv::iequals(s, "stop")) { v.symmetric_nat = SymmetricNatPolicy::stop; return std::nullopt; }
      return Problem{fmt::format("'{}' is not a symmetric NAT policy", s)};
    }},
  Spec{"NonceTrailers", kClient, false,
    "always (RFC 6081 §5.2.3), symmetric (only behind a symmetric NAT) or never",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      if (cv::iequals(s, "always")) { v.nonce_trailers = NonceTrailerSetting::always; return std::nullopt; }
      if (cv::iequals(s, "symmetric")) { v.nonce_trailers = NonceTrailerSetting::symmetric; return std::nullopt; }
      if (cv::iequals(s, "never")) { v.nonce_trailers = NonceTrailerSetting::never; return std::nullopt; }
      return Problem{fmt::format("'{}' is not a nonce trailer policy", s)};
    }},
  Spec{"UnsolicitedPackets", kClient, false,
    "ping-test (RFC 4380 §5.2.3 case 6, rate-limited) or drop",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      if (cv::iequals(s, "ping-test")) { v.unsolicited = UnsolicitedSetting::ping_test; return std::nullopt; }
      if (cv::iequals(s, "drop")) { v.unsolicited = UnsolicitedSetting::drop; return std::nullopt; }
      return Problem{fmt::format("'{}' is not a policy for unsolicited packets", s)};
    }},
  Spec{"SecureQualification", kClient | kServer, false,
    "an absolute path to the client ID and secret file, or none",
    +[](Values& v, std::string_view s) { return store(v.secure_qualification, path_or_none(s)); }},
  Spec{"HostSpecificRelay", kRelay, false, kBoolValid,
    +[](Values& v, std::string_view s) { return store(v.host_specific, cv::boolean(s)); }},
  Spec{"RelayCheckSource", kRelay, false, kBoolValid,
    +[](Values& v, std::string_view s) { return store(v.check_source, cv::boolean(s)); }},
  Spec{"RateLimitRs", kServer, false, "0 (unlimited)..1000000 per second per source address",
    +[](Values& v, std::string_view s) { return store_number(v.rate_limit_rs, s, 0, 1000000); }},
  Spec{"RateLimitForward", kServer, false, "0 (unlimited)..1000000 per second per source address",
    +[](Values& v, std::string_view s) {
      return store_number(v.rate_limit_forward, s, 0, 1000000);
    }},
  Spec{"FilteringProbePort", kServer, false, "0 (off), or a UDP port other than 3544",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      if (s == "3544") return Problem{"3544 is the Teredo port itself"};
      return store_number(v.filtering_probe_port, s, 0, 65535);
    }},
  Spec{"XdpInterface", kServer, false,
    "none, or the interface (1 to 15 bytes) that carries the server's addresses",
    +[](Values& v, std::string_view s) { return store(v.xdp_interface, interface_or_none(s)); }},
  Spec{"MaxIcmpPayload", kServer, false, "0..65467 bytes (default 88, as Miredo)",
    +[](Values& v, std::string_view s) {
      return store_number(v.max_icmp_payload, s, 0, kMaxMtu - wire::kIpv6HeaderSize);
    }},
  Spec{"LogLevel", kAll, false, "error, warning, notice, info, debug",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      const auto l = parse_log_level(s);
      if (!l) return Problem{fmt::format("'{}' is not a log level", s)};
      v.log_level = *l;
      return std::nullopt;
    }},
  Spec{"ControlSocket", kAll, false, "none, or an absolute path of at most 107 bytes",
    +[](Values& v, std::string_view s) { return store(v.control_socket, cv::socket_path(s)); }},
  Spec{"MetricsAddress", kAll, false, "none, IPv4:PORT or [IPv6]:PORT",
    +[](Values& v, std::string_view s) -> std::optional<Problem> {
      if (cv::iequals(s, "none")) { v.metrics = std::optional<ListenAddress>{}; return std::nullopt; }
      auto p = cv::listen_address(s);
      if (auto* e = std::get_if<Problem>(&p)) return *e;
      v.metrics = std::get<ListenAddress>(p);
      return std::nullopt;
    }},
};
// clang-format on

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

unsigned role_bit(Role r) {
  switch (r) {
    case Role::client:
      return kClient;
    case Role::relay:
      return kRelay;
    case Role::server:
      return kServer;
  }
  return 0;
}

std::string roles_text(unsigned mask) {
  std::string out;
  for (Role r : {Role::client, Role::relay, Role::server}) {
    if ((mask & role_bit(r)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += to_string(r);
  }
  return out;
}

std::span<const Spec> specs() { return kSpecs; }

const Spec* find_spec(std::string_view name) {
  for (const auto& s : kSpecs) {
    if (cv::iequals(s.name, name)) return &s;
  }
  return nullptr;
}

std::string unknown_message(std::string_view name) {
  const Spec* best = nullptr;
  std::size_t best_d = 3;
  for (const auto& s : kSpecs) {
    const auto d = edit_distance(name, s.name);
    if (d < best_d) {
      best_d = d;
      best = &s;
    }
  }
  if (best != nullptr) {
    return fmt::format(
        "unknown directive; did you mean {}? (valid: a directive listed in "
        "docs/configuration.md)",
        best->name);
  }
  return "unknown directive (valid: a directive listed in docs/configuration.md)";
}

}  // namespace shipworm::daemon::config_directives

namespace shipworm::daemon {

std::vector<std::string_view> known_directives() {
  std::vector<std::string_view> out;
  out.reserve(config_directives::specs().size());
  for (const auto& s : config_directives::specs()) out.push_back(s.name);
  return out;
}

}  // namespace shipworm::daemon
