// The directive table, the lexer and the assembly of role configurations.
#include "daemon/config_file.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "daemon/config_values.h"

namespace shipworm::daemon {
namespace {

namespace cv = config_values;
using cv::Parsed;
using cv::Problem;

enum : unsigned { kClient = 1, kRelay = 2, kServer = 4, kAll = 7 };

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

// Every directive's value, as parsed; unset = not configured.
struct Values {
  std::optional<std::string> relay_type;  // lower case
  std::optional<ServerName> server;
  std::optional<ServerName> server2;
  std::vector<ServerName> fallback;
  std::optional<std::string> interface_name;
  std::optional<std::string> xdp_interface;  // "" = none
  std::optional<wire::Ipv4Address> bind_address;
  std::optional<std::uint16_t> bind_port;
  std::optional<std::uint32_t> mtu;
  std::optional<std::uint32_t> prefix;
  std::optional<int> syslog_facility;
  std::optional<LogLevel> log_level;
  std::optional<std::string> control_socket;
  std::optional<std::optional<ListenAddress>> metrics;
  std::optional<wire::Ipv4Address> server_bind;
  std::optional<wire::Ipv4Address> server_bind2;
  std::optional<std::uint32_t> refresh_interval;
  std::optional<std::uint32_t> peer_table_size;
  std::optional<std::uint32_t> peer_queue_bytes;
  std::optional<std::uint64_t> total_queue_bytes;
  std::optional<std::string> hook_script;
  std::optional<SymmetricNatPolicy> symmetric_nat;
  std::optional<NonceTrailerSetting> nonce_trailers;
  std::optional<UnsolicitedSetting> unsolicited;
  std::optional<bool> check_source;
  std::optional<bool> host_specific;
  std::optional<std::uint32_t> rate_limit_rs;
  std::optional<std::uint32_t> rate_limit_forward;
  std::optional<std::uint32_t> max_icmp_payload;
  std::optional<std::uint32_t> filtering_probe_port;
  std::optional<std::string> secure_qualification;
};

using Apply = std::optional<Problem> (*)(Values&, std::string_view);

struct Spec {
  std::string_view name;
  unsigned roles;
  bool repeatable;
  std::string_view valid;
  Apply apply;
};

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

constexpr std::string_view kServerValid = "a host name or a global unicast IPv4 address";
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

const Spec* find_spec(std::string_view name) {
  for (const auto& s : kSpecs) {
    if (cv::iequals(s.name, name)) return &s;
  }
  return nullptr;
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

// --- Lexer ---

struct Line {
  int number = 0;
  std::string name;   // as written
  std::string value;  // "" when absent
  std::string lex_error;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view take_word(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && !is_blank(s[n])) ++n;
  const auto word = s.substr(0, n);
  s = trim(s.substr(n));
  return word;
}

struct Lexed {
  std::vector<Line> lines;
  int line_count = 0;
};

Lexed lex(std::string_view text) {
  Lexed out;
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    auto rest = trim(raw);
    if (rest.empty() || rest.front() == '#') continue;
    Line l;
    l.number = number;
    l.name = std::string(take_word(rest));
    if (raw.find('\0') != std::string_view::npos) {
      l.lex_error = "the line contains a NUL byte (valid: text)";
    }
    if (!rest.empty()) {
      const auto value = take_word(rest);
      l.value = std::string(value);
      if (value.front() == '"' || value.front() == '\'') {
        l.lex_error = fmt::format(
            "quoted values are not part of the miredo.conf syntax (valid: the value without "
            "quotes, e.g. {} {})",
            l.name,
            trim(std::string_view(value).substr(1, value.size() >= 2 ? value.size() - 2 : 0)));
      } else if (!rest.empty() && rest.front() != '#') {
        l.lex_error = fmt::format(
            "extra text '{}' after the value '{}' (valid: one value per directive; a comment "
            "starts with ' #')",
            rest, value);
      }
    }
    out.lines.push_back(std::move(l));
  }
  out.line_count = number;
  return out;
}

// --- Assembly ---

struct Where {
  std::string source;
  int line = 0;
  std::string shown;  // the directive as written, or the flag
};

class Builder {
 public:
  Builder(std::string_view file, bool have_file) : file_(file), have_file_(have_file) {}

  ConfigResult run(std::string_view text, std::optional<Role> forced,
                   std::span<const Override> overrides) {
    const auto lexed = have_file_ ? lex(text) : Lexed{};
    end_line_ = std::max(lexed.line_count, 1);
    decide_role(lexed, forced, overrides);
    for (const auto& l : lexed.lines) file_line(l);
    std::map<std::string_view, bool> cleared;
    for (const auto& o : overrides) override_value(o, cleared);
    Config c;
    c.role = role_;
    c.role_reason = role_reason_;
    c.directive_count = lexed.lines.size();
    switch (role_) {
      case Role::client:
        c.settings = build_client();
        break;
      case Role::relay:
        c.settings = build_relay();
        break;
      case Role::server:
        c.settings = build_server();
        break;
    }
    if (result_.errors.empty()) {
      result_.config = std::move(c);
    } else {
      result_.warnings.clear();  // they may be about defaults standing in for rejected values
    }
    return std::move(result_);
  }

 private:
  void error(const std::string& source, int line, std::string directive, std::string message) {
    result_.errors.push_back({source, line, std::move(directive), std::move(message)});
  }
  void warn(const Where& w, std::string message) {
    result_.warnings.push_back({w.source, w.line, w.shown, std::move(message)});
  }
  void error_at(const Where& w, std::string message) {
    error(w.source, w.line, w.shown, std::move(message));
  }
  // Where a missing directive is reported: the line that chose the role, else the end of
  // the file; on the command line alone, no line.
  void missing(std::string_view directive, std::string message) {
    if (!role_unknown_ && !mentioned_.contains(directive)) {
      error_at(missing_where(directive), std::move(message));
    }
  }
  Where missing_where(std::string_view directive) const {
    if (!have_file_) return {"command line", 0, std::string(directive)};
    return {file_, role_line_ > 0 ? role_line_ : end_line_, std::string(directive)};
  }
  const Where* where(std::string_view name) const {
    const auto it = where_.find(name);
    return it == where_.end() ? nullptr : &it->second;
  }

  void decide_role(const Lexed& lexed, std::optional<Role> forced,
                   std::span<const Override> overrides) {
    if (forced) {
      role_ = *forced;
      role_reason_ = "requested";
      return;
    }
    auto names = [&](std::string_view directive) {
      std::vector<std::pair<int, std::string>> found;
      for (const auto& l : lexed.lines) {
        if (cv::iequals(l.name, directive)) found.emplace_back(l.number, l.value);
      }
      for (const auto& o : overrides) {
        if (cv::iequals(o.directive, directive)) found.emplace_back(0, o.value);
      }
      return found;
    };
    if (const auto sba = names("ServerBindAddress"); !sba.empty()) {
      role_ = Role::server;
      role_reason_ = "ServerBindAddress is set";
      role_line_ = sba.front().first;
      return;
    }
    for (const auto& [line, value] : names("RelayType")) {
      const auto r = relay_type_role(cv::lower(value));
      if (!r) continue;
      role_ = *r;
      role_reason_ = fmt::format("RelayType {}", cv::lower(value));
      role_line_ = line;
      return;
    }
    role_ = Role::client;
    role_reason_ = "no RelayType: the default";
    // A RelayType that names no role has been reported; do not also report what that
    // guessed role would be missing.
    role_unknown_ = !names("RelayType").empty();
  }

  static std::optional<Role> relay_type_role(std::string_view lowered) {
    if (lowered == "client" || lowered == "autoclient") return Role::client;
    if (lowered == "relay" || lowered == "cone" || lowered == "restricted") return Role::relay;
    return std::nullopt;
  }

  // Applies one value; returns false (after reporting) when it is rejected.
  bool apply(const Spec& spec, const Where& w, std::string_view value) {
    mentioned_.insert(spec.name);
    if ((spec.roles & role_bit(role_)) == 0) {
      error_at(w, fmt::format("not valid for role {} (valid for: {})", to_string(role_),
                              roles_text(spec.roles)));
      return false;
    }
    if (value.empty()) {
      error_at(w, fmt::format("needs a value (valid: {})", spec.valid));
      return false;
    }
    if (auto problem = spec.apply(values_, value)) {
      error_at(w, fmt::format("{} (valid: {})", problem->what, spec.valid));
      return false;
    }
    if (spec.name == "RelayType") {
      const auto r = relay_type_role(*values_.relay_type);
      if (r && *r != role_) {
        error_at(w, fmt::format(
                        "'{}' makes this a {} configuration, but the role is {} (valid: {})", value,
                        to_string(*r), to_string(role_),
                        role_ == Role::client ? "client, autoclient" : "relay, cone, restricted"));
        return false;
      }
    }
    where_[spec.name] = w;
    return true;
  }

  void file_line(const Line& l) {
    const Where w{file_, l.number, l.name};
    const Spec* spec = find_spec(l.name);
    if (!l.lex_error.empty()) {
      if (spec != nullptr) mentioned_.insert(spec->name);
      error_at(w, l.lex_error);
      return;
    }
    if (spec == nullptr) {
      error_at(w, unknown_message(l.name));
      return;
    }
    if (!spec->repeatable) {
      if (const auto it = first_line_.find(spec->name); it != first_line_.end()) {
        error_at(
            w, fmt::format("duplicate; already set on line {} (valid: once per file)", it->second));
        return;
      }
      first_line_[spec->name] = l.number;
    }
    apply(*spec, w, l.value);
  }

  void override_value(const Override& o, std::map<std::string_view, bool>& cleared) {
    const Where w{"command line", 0, o.flag.empty() ? o.directive : o.flag};
    const Spec* spec = find_spec(o.directive);
    if (spec == nullptr) {
      error_at(w, unknown_message(o.directive));
      return;
    }
    if (spec->repeatable && !cleared[spec->name]) {
      cleared[spec->name] = true;
      if (spec->name == "FallbackServer") values_.fallback.clear();
    }
    apply(*spec, w, o.value);
  }

  void common(CommonConfig& c) {
    c.syslog_facility = values_.syslog_facility;
    c.log_level = values_.log_level.value_or(LogLevel::notice);
    c.control_socket =
        values_.control_socket.value_or(fmt::format("/run/shipworm/{}.sock", to_string(role_)));
    if (values_.metrics) c.metrics = *values_.metrics;
  }

  void check_queues(std::uint32_t peer, std::uint64_t total) {
    if (total >= peer) return;
    const Where* w = where("TotalQueueBytes");
    if (w == nullptr) w = where("PeerQueueBytes");
    if (w == nullptr) return;
    error_at(*w, fmt::format("TotalQueueBytes {} is smaller than PeerQueueBytes {} (valid: "
                             "TotalQueueBytes >= PeerQueueBytes)",
                             total, peer));
  }

  ClientConfig build_client() {
    ClientConfig c;
    common(c.common);
    if (values_.server) {
      c.server = *values_.server;
    } else {
      missing("ServerAddress",
              fmt::format("missing; role client needs a Teredo server (valid: {}, e.g. "
                          "ServerAddress teredo.example.net)",
                          kServerValid));
    }
    c.server2 = values_.server2;
    if (c.server2 && c.server2->address && c.server.address &&
        *c.server2->address == *c.server.address) {
      error_at(*where("ServerAddress2"),
               fmt::format("{} equals ServerAddress; a Teredo server has two addresses (valid: "
                           "the server's secondary address, or omit it for primary + 1)",
                           c.server2->name));
    }
    c.fallback_servers = values_.fallback;
    if (values_.interface_name) c.interface_name = *values_.interface_name;
    c.bind_address = values_.bind_address;
    c.bind_port = values_.bind_port.value_or(0);
    if (values_.refresh_interval)
      c.refresh_interval = std::chrono::seconds{*values_.refresh_interval};
    c.peer_table_size = values_.peer_table_size.value_or(kDefaultClientPeerTableSize);
    c.peer_queue_bytes = values_.peer_queue_bytes.value_or(kDefaultPeerQueueBytes);
    c.total_queue_bytes = values_.total_queue_bytes.value_or(kDefaultTotalQueueBytes);
    check_queues(c.peer_queue_bytes, c.total_queue_bytes);
    c.hook_script = values_.hook_script.value_or("");
    c.symmetric_nat = values_.symmetric_nat.value_or(SymmetricNatPolicy::keep);
    c.nonce_trailers = values_.nonce_trailers.value_or(NonceTrailerSetting::always);
    c.unsolicited = values_.unsolicited.value_or(UnsolicitedSetting::ping_test);
    c.secure_qualification_file = values_.secure_qualification.value_or("");
    return c;
  }

  void check_prefix_mtu(std::uint32_t prefix, std::uint32_t mtu) {
    if (prefix == wire::kTeredoPrefix && mtu != wire::kDefaultMtu) {
      warn(*where("InterfaceMTU"),
           "an MTU other than 1280 with the default prefix 2001::/32 breaks interoperability "
           "with other Teredo nodes (RFC 4380 §5.1.2 SHOULD; miredo-server.conf(5))");
    }
    if (prefix != wire::kTeredoPrefix) {
      warn(*where("Prefix"),
           "a prefix other than 2001::/32 works only with clients and relays configured for it "
           "(RFC 4380 §2.6)");
    }
  }

  RelayConfig build_relay() {
    RelayConfig c;
    common(c.common);
    c.restricted = values_.relay_type == "restricted";
    c.host_specific = values_.host_specific.value_or(false);
    c.prefix = values_.prefix.value_or(wire::kTeredoPrefix);
    c.mtu = values_.mtu.value_or(wire::kDefaultMtu);
    check_prefix_mtu(c.prefix, c.mtu);
    if (values_.interface_name) c.interface_name = *values_.interface_name;
    c.bind_address = values_.bind_address;
    c.bind_port = values_.bind_port.value_or(0);
    c.peer_table_size = values_.peer_table_size.value_or(kDefaultRelayPeerTableSize);
    c.peer_queue_bytes = values_.peer_queue_bytes.value_or(kDefaultPeerQueueBytes);
    c.total_queue_bytes = values_.total_queue_bytes.value_or(kDefaultTotalQueueBytes);
    check_queues(c.peer_queue_bytes, c.total_queue_bytes);
    c.check_source = values_.check_source.value_or(true);
    return c;
  }

  ServerConfig build_server() {
    ServerConfig c;
    common(c.common);
    if (values_.server_bind) {
      c.primary = *values_.server_bind;
      if (values_.server_bind2) {
        c.secondary = *values_.server_bind2;
        if (c.secondary == c.primary) {
          error_at(*where("ServerBindAddress2"),
                   fmt::format("{} equals ServerBindAddress; the secondary address must be a "
                               "different address of this host (RFC 4380 §5.3) (valid: another "
                               "global unicast IPv4 address, or omit it for primary + 1)",
                               c.secondary.to_string()));
        }
      } else {
        c.secondary = wire::Ipv4Address{c.primary.value + 1};
        if (c.primary.value == 0xFFFFFFFF || !wire::is_global_unicast(c.secondary)) {
          error_at(*where("ServerBindAddress"),
                   fmt::format("the secondary address defaults to {} + 1 = {}, which is not "
                               "global unicast (RFC 4380 §5.2.4) (valid: set "
                               "ServerBindAddress2 to the server's second address)",
                               c.primary.to_string(), c.secondary.to_string()));
        }
      }
    } else {
      missing("ServerBindAddress",
              "missing; role server needs its primary IPv4 address (valid: a global unicast "
              "IPv4 address of this host, e.g. ServerBindAddress 198.51.100.1)");
    }
    c.prefix = values_.prefix.value_or(wire::kTeredoPrefix);
    c.mtu = values_.mtu.value_or(wire::kDefaultMtu);
    check_prefix_mtu(c.prefix, c.mtu);
    c.rate_limit_rs = values_.rate_limit_rs.value_or(kDefaultRateLimitRs);
    c.rate_limit_forward = values_.rate_limit_forward.value_or(kDefaultRateLimitForward);
    c.filtering_probe_port = static_cast<std::uint16_t>(
        values_.filtering_probe_port.value_or(kDefaultFilteringProbePort));
    c.max_icmp_payload = values_.max_icmp_payload.value_or(kDefaultMaxIcmpPayload);
    c.secure_qualification_file = values_.secure_qualification.value_or("");
    c.xdp_interface = values_.xdp_interface.value_or("");
    return c;
  }

  std::string file_;
  bool have_file_;
  int end_line_ = 1;
  Role role_ = Role::client;
  std::string role_reason_;
  int role_line_ = 0;
  bool role_unknown_ = false;
  Values values_;
  std::map<std::string_view, int> first_line_;
  std::map<std::string_view, Where> where_;
  std::set<std::string_view> mentioned_;  // directives given, valid or not
  ConfigResult result_;
};

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::client:
      return "client";
    case Role::relay:
      return "relay";
    case Role::server:
      return "server";
  }
  return "?";
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role r : {Role::client, Role::relay, Role::server}) {
    if (cv::iequals(text, to_string(r))) return r;
  }
  return std::nullopt;
}

ConfigResult parse_config(std::string_view text, std::string_view file_name,
                          std::optional<Role> role, std::span<const Override> overrides) {
  return Builder(file_name, true).run(text, role, overrides);
}

ConfigResult config_from_overrides(Role role, std::span<const Override> overrides) {
  return Builder("command line", false).run({}, role, overrides);
}

ConfigResult load_config_file(const std::string& path, std::optional<Role> role,
                              std::span<const Override> overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    ConfigResult r;
    r.errors.push_back({path, 0, "", fmt::format("cannot read: {}", std::strerror(err))});
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, role, overrides);
}

ConfigResult load_config(const std::string& path, Role role, std::span<const Override> overrides) {
  return path.empty() ? config_from_overrides(role, overrides)
                      : load_config_file(path, role, overrides);
}

std::vector<std::string_view> known_directives() {
  std::vector<std::string_view> out;
  out.reserve(kSpecs.size());
  for (const auto& s : kSpecs) out.push_back(s.name);
  return out;
}

}  // namespace shipworm::daemon
