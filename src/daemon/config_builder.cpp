// Turns lexed lines and command-line overrides into a role's configuration: the role
// decision, the once-per-file rule, each value through its directive (config_directives.cpp),
// and the checks that span several directives.
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
using config_directives::Directive;
using config_directives::find_directive;
using config_directives::kServerValid;
using config_directives::relay_type_role;
using config_directives::role_bit;
using config_directives::roles_text;
using config_directives::Settings;
using config_directives::unknown_message;
using config_lexer::lex;
using config_lexer::Lexed;
using config_lexer::Line;

struct Where {
  std::string source;
  int line = 0;
  std::string shown;  // the directive as written, or the flag
};

// A role's configuration before any directive: the defaults of config_file.h, and the
// role's own control socket.
Settings defaults(Role role) {
  Settings s;
  switch (role) {
    case Role::client:
      s = ClientConfig{};
      break;
    case Role::relay:
      s = RelayConfig{};
      break;
    case Role::server:
      s = ServerConfig{};
      break;
  }
  std::visit(
      [&](auto& c) {
        c.common.control_socket = fmt::format("/run/shipworm/{}.sock", to_string(role));
      },
      s);
  return s;
}

class Builder {
 public:
  Builder(std::string_view file, bool have_file) : file_(file), have_file_(have_file) {}

  ConfigResult run(std::string_view text, std::optional<Role> forced,
                   std::span<const Override> overrides) {
    const auto lexed = have_file_ ? lex(text) : Lexed{};
    end_line_ = std::max(lexed.line_count, 1);
    decide_role(lexed, forced, overrides);
    settings_ = defaults(role_);
    for (const auto& l : lexed.lines) file_line(l);
    std::set<std::string_view> cleared;
    for (const auto& o : overrides) override_value(o, cleared);
    switch (role_) {
      case Role::client:
        check_client(std::get<ClientConfig>(settings_));
        break;
      case Role::relay:
        check_relay(std::get<RelayConfig>(settings_));
        break;
      case Role::server:
        check_server(std::get<ServerConfig>(settings_));
        break;
    }
    if (result_.errors.empty()) {
      result_.config = Config{role_, role_reason_, lexed.lines.size(), std::move(settings_)};
    } else {
      result_.warnings.clear();  // they may be about defaults standing in for rejected values
    }
    return std::move(result_);
  }

 private:
  void warn(const Where& w, std::string message) {
    result_.warnings.push_back({w.source, w.line, w.shown, std::move(message)});
  }
  void error_at(const Where& w, std::string message) {
    result_.errors.push_back({w.source, w.line, w.shown, std::move(message)});
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
  // Where a directive's value was taken from; nullptr when it was not set.
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
      const auto r = relay_type_role(value);
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

  // Applies one value; returns false (after reporting) when it is rejected.
  bool apply(const Directive& d, const Where& w, std::string_view value) {
    mentioned_.insert(d.name);
    if ((d.roles & role_bit(role_)) == 0) {
      error_at(w, fmt::format("not valid for role {} (valid for: {})", to_string(role_),
                              roles_text(d.roles)));
      return false;
    }
    if (value.empty()) {
      error_at(w, fmt::format("needs a value (valid: {})", d.valid));
      return false;
    }
    if (auto problem = d.parse(settings_, value)) {
      error_at(w, fmt::format("{} (valid: {})", problem->what,
                              problem->valid.empty() ? d.valid : problem->valid));
      return false;
    }
    where_[d.name] = w;
    return true;
  }

  void file_line(const Line& l) {
    const Where w{file_, l.number, l.name};
    const Directive* d = find_directive(l.name);
    if (!l.lex_error.empty()) {
      if (d != nullptr) mentioned_.insert(d->name);
      error_at(w, l.lex_error);
      return;
    }
    if (d == nullptr) {
      error_at(w, unknown_message(l.name));
      return;
    }
    if (!d->repeatable) {
      if (const auto it = first_line_.find(d->name); it != first_line_.end()) {
        error_at(
            w, fmt::format("duplicate; already set on line {} (valid: once per file)", it->second));
        return;
      }
      first_line_[d->name] = l.number;
    }
    apply(*d, w, l.value);
  }

  // A flag replaces the file's value; the first flag of a repeatable directive replaces all
  // of the file's lines, the next ones add to it.
  void override_value(const Override& o, std::set<std::string_view>& cleared) {
    const Where w{"command line", 0, o.flag.empty() ? o.directive : o.flag};
    const Directive* d = find_directive(o.directive);
    if (d == nullptr) {
      error_at(w, unknown_message(o.directive));
      return;
    }
    if (d->repeatable && cleared.insert(d->name).second) d->clear(settings_);
    apply(*d, w, o.value);
  }

  // --- Checks that span several directives ---

  void check_queues(std::uint32_t peer, std::uint64_t total) {
    if (total >= peer) return;
    const Where* w = where("TotalQueueBytes");
    if (w == nullptr) w = where("PeerQueueBytes");
    if (w == nullptr) return;
    error_at(*w, fmt::format("TotalQueueBytes {} is smaller than PeerQueueBytes {} (valid: "
                             "TotalQueueBytes >= PeerQueueBytes)",
                             total, peer));
  }

  void check_client(const ClientConfig& c) {
    if (where("ServerAddress") == nullptr) {
      missing("ServerAddress",
              fmt::format("missing; role client needs a Teredo server (valid: {}, e.g. "
                          "ServerAddress teredo.example.net)",
                          kServerValid));
    }
    if (c.server2 && c.server2->address && c.server.address &&
        *c.server2->address == *c.server.address) {
      error_at(*where("ServerAddress2"),
               fmt::format("{} equals ServerAddress; a Teredo server has two addresses (valid: "
                           "the server's secondary address, or omit it for primary + 1)",
                           c.server2->name));
    }
    check_queues(c.peer_queue_bytes, c.total_queue_bytes);
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

  void check_relay(const RelayConfig& c) {
    check_prefix_mtu(c.prefix, c.mtu);
    check_queues(c.peer_queue_bytes, c.total_queue_bytes);
  }

  void check_server(ServerConfig& c) {
    if (where("ServerBindAddress") == nullptr) {
      missing("ServerBindAddress",
              "missing; role server needs its primary IPv4 address (valid: a global unicast "
              "IPv4 address of this host, e.g. ServerBindAddress 198.51.100.1)");
    } else if (where("ServerBindAddress2") != nullptr) {
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
    check_prefix_mtu(c.prefix, c.mtu);
  }

  std::string file_;
  bool have_file_;
  int end_line_ = 1;
  Role role_ = Role::client;
  std::string role_reason_;
  int role_line_ = 0;
  bool role_unknown_ = false;
  Settings settings_;
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
