// The directive table (internal to daemon/): every directive's name, the roles that accept
// it, what is valid, and how its value is parsed.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config_file.h"
#include "daemon/config_values.h"

namespace shipworm::daemon::config_directives {

using config_values::Problem;

enum : unsigned { kClient = 1, kRelay = 2, kServer = 4, kAll = 7 };

unsigned role_bit(Role r);
std::string roles_text(unsigned mask);  // "client, relay"

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

inline constexpr std::string_view kServerValid = "a host name or a global unicast IPv4 address";

std::span<const Spec> specs();
const Spec* find_spec(std::string_view name);  // case-insensitive; nullptr if unknown
// "unknown directive ... (valid: ...)", with the closest known name when there is one.
std::string unknown_message(std::string_view name);

}  // namespace shipworm::daemon::config_directives
