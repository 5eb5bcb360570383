// Text forms of configuration values: error lines and the effective settings.
#include <fmt/core.h>

#include "daemon/config_file.h"

namespace shipworm::daemon {
namespace {

std::string prefix_text(std::uint32_t prefix) {
  wire::Ipv6Address a;
  a.bytes[0] = static_cast<std::uint8_t>(prefix >> 24);
  a.bytes[1] = static_cast<std::uint8_t>(prefix >> 16);
  a.bytes[2] = static_cast<std::uint8_t>(prefix >> 8);
  a.bytes[3] = static_cast<std::uint8_t>(prefix);
  return a.to_string();  // "2001::", which Miredo's Prefix also accepts
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

void add(std::vector<std::string>& out, std::string_view name, const std::string& value) {
  out.push_back(fmt::format("{} {}", name, value));
}

void add_unset(std::vector<std::string>& out, std::string_view name, std::string_view meaning) {
  out.push_back(fmt::format("#{} ({})", name, meaning));
}

void add_path(std::vector<std::string>& out, std::string_view name, const std::string& path) {
  add(out, name, path.empty() ? std::string("none") : path);
}

void add_common(std::vector<std::string>& out, const CommonConfig& c) {
  if (c.syslog_facility) {
    add(out, "SyslogFacility", std::string(syslog_facility_name(*c.syslog_facility)));
  } else {
    add_unset(out, "SyslogFacility", "not set: no syslog, stderr only");
  }
  add(out, "LogLevel", std::string(to_string(c.log_level)));
  add_path(out, "ControlSocket", c.control_socket);
  add(out, "MetricsAddress", c.metrics ? c.metrics->to_string() : std::string("none"));
}

void add_bind(std::vector<std::string>& out, const std::optional<wire::Ipv4Address>& address,
              std::uint16_t port) {
  if (address) {
    add(out, "BindAddress", address->to_string());
  } else {
    add_unset(out, "BindAddress", "not set: any address");
  }
  add(out, "BindPort", std::to_string(port));
}

void add_queues(std::vector<std::string>& out, std::uint32_t table, std::uint32_t peer,
                std::uint64_t total) {
  add(out, "PeerTableSize", std::to_string(table));
  add(out, "PeerQueueBytes", std::to_string(peer));
  add(out, "TotalQueueBytes", std::to_string(total));
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = source;
  if (line > 0) out += fmt::format(":{}", line);
  out += ": ";
  if (!directive.empty()) out += directive + ": ";
  return out + message;
}

std::string ListenAddress::to_string() const {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&address)) {
    return fmt::format("{}:{}", v4->to_string(), port);
  }
  return fmt::format("[{}]:{}", std::get<wire::Ipv6Address>(address).to_string(), port);
}

std::vector<std::string> effective_settings(const Config& config) {
  std::vector<std::string> out;
  if (const auto* c = config.client()) {
    add(out, "RelayType", "client");
    add(out, "ServerAddress", c->server.name);
    if (c->server2) {
      add(out, "ServerAddress2", c->server2->name);
    } else {
      add_unset(out, "ServerAddress2", "not set: ServerAddress + 1");
    }
    for (const auto& f : c->fallback_servers) add(out, "FallbackServer", f.name);
    add(out, "InterfaceName", c->interface_name);
    add_bind(out, c->bind_address, c->bind_port);
    add(out, "RefreshInterval", std::to_string(c->refresh_interval.count()));
    add(out, "SymmetricNat", c->symmetric_nat == SymmetricNatPolicy::keep ? "keep" : "stop");
    add(out, "NonceTrailers",
        c->nonce_trailers == NonceTrailerSetting::always      ? "always"
        : c->nonce_trailers == NonceTrailerSetting::symmetric ? "symmetric"
                                                              : "never");
    add(out, "UnsolicitedPackets",
        c->unsolicited == UnsolicitedSetting::ping_test ? "ping-test" : "drop");
    add_queues(out, c->peer_table_size, c->peer_queue_bytes, c->total_queue_bytes);
    add_path(out, "HookScript", c->hook_script);
    add_path(out, "SecureQualification", c->secure_qualification_file);
    add_common(out, c->common);
  } else if (const auto* r = config.relay()) {
    add(out, "RelayType", r->restricted ? "restricted" : "cone");
    add(out, "HostSpecificRelay", yes_no(r->host_specific));
    add(out, "Prefix", prefix_text(r->prefix));
    add(out, "InterfaceMTU", std::to_string(r->mtu));
    add(out, "InterfaceName", r->interface_name);
    add_bind(out, r->bind_address, r->bind_port);
    add_queues(out, r->peer_table_size, r->peer_queue_bytes, r->total_queue_bytes);
    add(out, "RelayCheckSource", yes_no(r->check_source));
    add_common(out, r->common);
  } else if (const auto* s = config.server()) {
    add(out, "ServerBindAddress", s->primary.to_string());
    add(out, "ServerBindAddress2", s->secondary.to_string());
    add(out, "Prefix", prefix_text(s->prefix));
    add(out, "InterfaceMTU", std::to_string(s->mtu));
    add(out, "RateLimitRs", std::to_string(s->rate_limit_rs));
    add(out, "RateLimitForward", std::to_string(s->rate_limit_forward));
    add(out, "MaxIcmpPayload", std::to_string(s->max_icmp_payload));
    add(out, "FilteringProbePort", std::to_string(s->filtering_probe_port));
    add_path(out, "SecureQualification", s->secure_qualification_file);
    add(out, "XdpInterface", s->xdp_interface.empty() ? std::string("none") : s->xdp_interface);
    add_common(out, s->common);
  }
  return out;
}

}  // namespace shipworm::daemon
