// The directive table: each directive once, with the roles that accept it, what is valid,
// its value's codec and the field that keeps it. Adding a directive = its field in
// config_file.h, one entry here, and its documentation (a row in docs/configuration.md and
// an item in packaging/man/shipworm.conf.5; tests check both). The entries are in the order
// `check-config` prints a role's settings; checks that span several directives (a required
// one, primary and secondary addresses, queue sizes) are in config_builder.cpp.
#include "daemon/config_directives.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>

namespace shipworm::daemon::config_directives {
namespace {

namespace cv = config_values;

// --- Codecs of the value classes ---

template <typename T>
Codec<T> number(std::uint64_t min, std::uint64_t max) {
  return {[min, max](std::string_view text) -> Parsed<T> {
            auto p = cv::unsigned_in_range(text, min, max);
            if (auto* e = std::get_if<Problem>(&p)) return std::move(*e);
            return static_cast<T>(std::get<std::uint64_t>(p));
          },
          [](const T& v) { return std::to_string(v); }};
}

Codec<std::chrono::seconds> seconds(std::chrono::seconds min, std::chrono::seconds max) {
  const auto n = number<std::uint64_t>(static_cast<std::uint64_t>(min.count()),
                                       static_cast<std::uint64_t>(max.count()));
  return {[n](std::string_view text) -> Parsed<std::chrono::seconds> {
            auto p = n.parse(text);
            if (auto* e = std::get_if<Problem>(&p)) return std::move(*e);
            return std::chrono::seconds{std::get<std::uint64_t>(p)};
          },
          [](const std::chrono::seconds& s) { return std::to_string(s.count()); }};
}

// A text value, or "none" for none (kept as "").
Codec<std::string> or_none(Parsed<std::string> (*parse)(std::string_view)) {
  return {[parse](std::string_view text) -> Parsed<std::string> {
            if (cv::iequals(text, "none")) return std::string();
            return parse(text);
          },
          [](const std::string& s) { return s.empty() ? std::string("none") : s; }};
}

std::string prefix_text(std::uint32_t prefix) {
  wire::Ipv6Address a;
  a.bytes[0] = static_cast<std::uint8_t>(prefix >> 24);
  a.bytes[1] = static_cast<std::uint8_t>(prefix >> 16);
  a.bytes[2] = static_cast<std::uint8_t>(prefix >> 8);
  a.bytes[3] = static_cast<std::uint8_t>(prefix);
  return a.to_string();  // "2001::", which Miredo's Prefix also accepts
}

std::string address_text(const wire::Ipv4Address& a) { return a.to_string(); }

const Codec<ServerName> kServerName{cv::server_name, [](const ServerName& n) { return n.name; }};
const Codec<wire::Ipv4Address> kServerAddress{
    [](std::string_view text) { return cv::global_ipv4(text, "a Teredo server address"); },
    address_text};
const Codec<bool> kYesNo = enum_choice<bool>("yes or no", {{"yes", true},
                                                           {"true", true},
                                                           {"on", true},
                                                           {"1", true},
                                                           {"no", false},
                                                           {"false", false},
                                                           {"off", false},
                                                           {"0", false}});
constexpr std::string_view kYesNoValid = "yes or no";

const Codec<int> kSyslogFacility{
    [](std::string_view text) -> Parsed<int> {
      if (const auto f = parse_syslog_facility(text)) return *f;
      return Problem{fmt::format("'{}' is not a syslog facility", text)};
    },
    [](const int& f) { return std::string(syslog_facility_name(f)); }};
const Codec<LogLevel> kLogLevel{[](std::string_view text) -> Parsed<LogLevel> {
                                  if (const auto l = parse_log_level(text)) return *l;
                                  return Problem{fmt::format("'{}' is not a log level", text)};
                                },
                                [](const LogLevel& l) { return std::string(to_string(l)); }};
const Codec<std::optional<ListenAddress>> kMetricsAddress{
    [](std::string_view text) -> Parsed<std::optional<ListenAddress>> {
      if (cv::iequals(text, "none")) return std::optional<ListenAddress>{};
      auto p = cv::listen_address(text);
      if (auto* e = std::get_if<Problem>(&p)) return std::move(*e);
      return std::optional<ListenAddress>{std::get<ListenAddress>(p)};
    },
    [](const std::optional<ListenAddress>& a) { return a ? a->to_string() : std::string("none"); }};

// The port is checked as written: "3544" is the Teredo port, other spellings are numbers.
const Codec<std::uint16_t> kProbePort{
    [](std::string_view text) -> Parsed<std::uint16_t> {
      if (text == "3544") return Problem{"3544 is the Teredo port itself"};
      return number<std::uint16_t>(0, 65535).parse(text);
    },
    [](const std::uint16_t& port) { return std::to_string(port); }};

// --- RelayType: the one directive whose value must agree with the role ---

enum class RelayKind { client, autoclient, relay, cone, restricted };

const Codec<RelayKind> kRelayKind =
    enum_choice<RelayKind>("a relay type", {{"client", RelayKind::client},
                                            {"autoclient", RelayKind::autoclient},
                                            {"relay", RelayKind::relay},
                                            {"cone", RelayKind::cone},
                                            {"restricted", RelayKind::restricted}});

Role role_of(RelayKind k) {
  return k == RelayKind::client || k == RelayKind::autoclient ? Role::client : Role::relay;
}

Role role_of(const Settings& s) {
  if (std::holds_alternative<ClientConfig>(s)) return Role::client;
  if (std::holds_alternative<RelayConfig>(s)) return Role::relay;
  return Role::server;
}

Directive relay_type() {
  Directive d{
      "RelayType", kClient | kRelay, "client, autoclient, relay, cone, restricted", false, {}, {},
      {}};
  d.parse = [](Settings& s, std::string_view text) -> std::optional<Problem> {
    auto p = kRelayKind.parse(text);
    if (auto* e = std::get_if<Problem>(&p)) return std::move(*e);
    const auto kind = std::get<RelayKind>(p);
    const Role role = role_of(s);
    if (role_of(kind) != role) {
      return Problem{fmt::format("'{}' makes this a {} configuration, but the role is {}", text,
                                 to_string(role_of(kind)), to_string(role)),
                     role == Role::client ? "client, autoclient" : "relay, cone, restricted"};
    }
    for_roles<kRelay>(s, [&](auto& c) { c.restricted = kind == RelayKind::restricted; });
    return std::nullopt;
  };
  d.format = [](const Settings& s, Lines& out) {
    for_roles<kClient>(s, [&](const auto&) { out.push_back("RelayType client"); });
    for_roles<kRelay>(s, [&](const auto& c) {
      out.push_back(line(
          "RelayType", kRelayKind.format(c.restricted ? RelayKind::restricted : RelayKind::cone)));
    });
  };
  return d;
}

// clang-format off
std::vector<Directive> make_table() {
  return {
    relay_type(),
    setting<kClient>("ServerAddress", kServerValid, kServerName,
      [](auto& c) -> auto& { return c.server; }),
    optional_setting<kClient>("ServerAddress2", kServerValid, kServerName,
      [](auto& c) -> auto& { return c.server2; }, "not set: ServerAddress + 1"),
    list_setting<kClient>("FallbackServer", kServerValid, kServerName,
      [](auto& c) -> auto& { return c.fallback_servers; }),
    setting<kRelay>("HostSpecificRelay", kYesNoValid, kYesNo,
      [](auto& c) -> auto& { return c.host_specific; }),
    setting<kServer>("ServerBindAddress", "a global unicast IPv4 address of this host",
      kServerAddress, [](auto& c) -> auto& { return c.primary; }),
    setting<kServer>("ServerBindAddress2",
      "a global unicast IPv4 address of this host, other than ServerBindAddress",
      kServerAddress, [](auto& c) -> auto& { return c.secondary; }),
    setting<kRelay | kServer>("Prefix", "a /32 IPv6 prefix such as 2001:0000:: or 2001::/32",
      Codec<std::uint32_t>{cv::teredo_prefix, prefix_text},
      [](auto& c) -> auto& { return c.prefix; }),
    setting<kRelay | kServer>("InterfaceMTU", "1280..65507 (RFC 4380 §5.1.2)",
      number<std::uint32_t>(kMinMtu, kMaxMtu), [](auto& c) -> auto& { return c.mtu; }),
    setting<kServer>("RateLimitRs", "0 (unlimited)..1000000 per second per source address",
      number<std::uint32_t>(0, 1000000), [](auto& c) -> auto& { return c.rate_limit_rs; }),
    setting<kServer>("RateLimitForward", "0 (unlimited)..1000000 per second per source address",
      number<std::uint32_t>(0, 1000000), [](auto& c) -> auto& { return c.rate_limit_forward; }),
    setting<kServer>("MaxIcmpPayload", "0..65467 bytes (default 88, as Miredo)",
      number<std::uint32_t>(0, kMaxMtu - wire::kIpv6HeaderSize),
      [](auto& c) -> auto& { return c.max_icmp_payload; }),
    setting<kServer>("FilteringProbePort", "0 (off), or a UDP port other than 3544", kProbePort,
      [](auto& c) -> auto& { return c.filtering_probe_port; }),
    setting<kClient | kRelay>("InterfaceName", "1 to 15 bytes without '/', ':' or spaces",
      Codec<std::string>{cv::interface_name, [](const std::string& s) { return s; }},
      [](auto& c) -> auto& { return c.interface_name; }),
    optional_setting<kClient | kRelay>("BindAddress",
      "a local unicast IPv4 address, or 0.0.0.0 for any",
      Codec<wire::Ipv4Address>{cv::bind_ipv4, address_text},
      [](auto& c) -> auto& { return c.bind_address; }, "not set: any address"),
    setting<kClient | kRelay>("BindPort", "0 (a random port) to 65535",
      number<std::uint16_t>(0, 65535), [](auto& c) -> auto& { return c.bind_port; }),
    setting<kClient>("RefreshInterval", "10..300 seconds (RFC 6081 §5.1.1; default 30)",
      seconds(kMinRefreshInterval, kMaxRefreshInterval),
      [](auto& c) -> auto& { return c.refresh_interval; }),
    setting<kClient>("SymmetricNat", "keep (RFC 6081 §5.2) or stop (RFC 4380 §5.2.1)",
      enum_choice<SymmetricNatPolicy>("a symmetric NAT policy",
        {{"keep", SymmetricNatPolicy::keep}, {"stop", SymmetricNatPolicy::stop}}),
      [](auto& c) -> auto& { return c.symmetric_nat; }),
    setting<kClient>("NonceTrailers",
      "always (RFC 6081 §5.2.3), symmetric (only behind a symmetric NAT) or never",
      enum_choice<NonceTrailerSetting>("a nonce trailer policy",
        {{"always", NonceTrailerSetting::always}, {"symmetric", NonceTrailerSetting::symmetric},
         {"never", NonceTrailerSetting::never}}),
      [](auto& c) -> auto& { return c.nonce_trailers; }),
    setting<kClient>("UnsolicitedPackets",
      "ping-test (RFC 4380 §5.2.3 case 6, rate-limited) or drop",
      enum_choice<UnsolicitedSetting>("a policy for unsolicited packets",
        {{"ping-test", UnsolicitedSetting::ping_test}, {"drop", UnsolicitedSetting::drop}}),
      [](auto& c) -> auto& { return c.unsolicited; }),
    setting<kClient | kRelay>("PeerTableSize", "16..16777216 peers",
      number<std::uint32_t>(16, 1u << 24), [](auto& c) -> auto& { return c.peer_table_size; }),
    setting<kClient | kRelay>("PeerQueueBytes", "0 (no queueing)..1048576 bytes",
      number<std::uint32_t>(0, 1u << 20), [](auto& c) -> auto& { return c.peer_queue_bytes; }),
    setting<kClient | kRelay>("TotalQueueBytes", "0..17179869184 bytes, at least PeerQueueBytes",
      number<std::uint64_t>(0, std::uint64_t{1} << 34),
      [](auto& c) -> auto& { return c.total_queue_bytes; }),
    setting<kClient>("HookScript", "an absolute path, or none", or_none(cv::absolute_path),
      [](auto& c) -> auto& { return c.hook_script; }),
    setting<kRelay>("RelayCheckSource", kYesNoValid, kYesNo,
      [](auto& c) -> auto& { return c.check_source; }),
    setting<kClient | kServer>("SecureQualification",
      "an absolute path to the client ID and secret file, or none", or_none(cv::absolute_path),
      [](auto& c) -> auto& { return c.secure_qualification_file; }),
    setting<kServer>("XdpInterface",
      "none, or the interface (1 to 15 bytes) that carries the server's addresses",
      or_none(cv::interface_name), [](auto& c) -> auto& { return c.xdp_interface; }),
    optional_setting<kAll>("SyslogFacility",
      "daemon, user, kern, local0..local7, auth, authpriv, cron, ftp, lpr, mail, news, syslog",
      kSyslogFacility, [](auto& c) -> auto& { return c.common.syslog_facility; },
      "not set: no syslog, stderr only"),
    setting<kAll>("LogLevel", "error, warning, notice, info, debug", kLogLevel,
      [](auto& c) -> auto& { return c.common.log_level; }),
    setting<kAll>("ControlSocket", "none, or an absolute path of at most 107 bytes",
      Codec<std::string>{cv::socket_path, or_none(cv::socket_path).format},
      [](auto& c) -> auto& { return c.common.control_socket; }),
    setting<kAll>("MetricsAddress", "none, IPv4:PORT or [IPv6]:PORT", kMetricsAddress,
      [](auto& c) -> auto& { return c.common.metrics; }),
  };
}
// clang-format on

const std::vector<Directive>& table() {
  static const std::vector<Directive> kTable = make_table();
  return kTable;
}

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

std::span<const Directive> directives() { return table(); }

const Directive* find_directive(std::string_view name) {
  for (const auto& d : table()) {
    if (cv::iequals(d.name, name)) return &d;
  }
  return nullptr;
}

std::string unknown_message(std::string_view name) {
  const Directive* best = nullptr;
  std::size_t best_d = 3;
  for (const auto& d : table()) {
    const auto distance = edit_distance(name, d.name);
    if (distance < best_d) {
      best_d = distance;
      best = &d;
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

std::optional<Role> relay_type_role(std::string_view value) {
  auto p = kRelayKind.parse(value);
  if (const auto* k = std::get_if<RelayKind>(&p)) return role_of(*k);
  return std::nullopt;
}

}  // namespace shipworm::daemon::config_directives

namespace shipworm::daemon {

std::vector<std::string_view> known_directives() {
  std::vector<std::string_view> out;
  out.reserve(config_directives::directives().size());
  for (const auto& d : config_directives::directives()) out.push_back(d.name);
  return out;
}

}  // namespace shipworm::daemon
