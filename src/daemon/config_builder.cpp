// Turns lexed lines and command-line overrides into a role's configuration: the role
// decision, the once-per-file rule, and the checks that span several directives.
#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "daemon/config_directives.h"
#include "daemon/config_file.h"
#include "daemon/config_lexer.h"
#include "daemon/config_values.h"

namespace shipworm::daemon {
namespace {

namespace cv = config_values;
using config_directives::find_spec;
using config_directives::kServerValid;
using config_directives::role_bit;
using config_directives::roles_text;
using config_directives::Spec;
using config_directives::unknown_message;
using config_directives::Values;
using config_lexer::lex;
using config_lexer::Lexed;
using config_lexer::Line;

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

}  // namespace shipworm::daemon
