// Configuration for every role, in Miredo's file syntax (docs/configuration.md): a Miredo user's
// miredo.conf or miredo-server.conf is accepted unchanged; our own directives use the same
// syntax. docs/configuration.md lists every directive; config_directives.cpp describes each one.
//
// Lexical rules (miredo.conf(5), miredo-server.conf(5)): one directive per line, a name,
// then one or more spaces/tabs, then a value. Blank lines and lines whose first non-blank
// character is '#' are ignored. Directive names are case-insensitive. The man pages
// describe no quoting and no continuation lines, so there are none: a value is one word.
// Our additions: " # comment" after a value is ignored, a value that starts with a quote is
// an error (it would otherwise become part of the value), and extra words are an error.
//
// The parser is pure: no I/O (except load_config_file, which only reads the file), no name
// resolution. Host names stay names; the daemon resolves them.
//
// Errors name the place, the directive, the problem and what would be valid:
//   FILE:LINE: DIRECTIVE: what is wrong (valid: ...)
// All errors are collected; nothing is applied when there is any.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/log.h"
#include "wire/constants.h"
#include "wire/ip_address.h"

namespace shipworm::daemon {

enum class Role { client, relay, server };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);  // "client", "relay", "server"

struct ConfigError {
  std::string source;     // file name, or "command line"
  int line = 0;           // 1-based; 0 when there is no line (command line)
  std::string directive;  // as the user wrote it (flag name for overrides)
  std::string message;    // "what is wrong (valid: ...)"

  // "FILE:LINE: DIRECTIVE: message", or "command line: --flag: message".
  [[nodiscard]] std::string to_string() const;
};

// A Teredo server named in a client configuration: an IPv4 literal (checked) or a host
// name (syntax checked, resolved later by the daemon; it may resolve to several addresses).
struct ServerName {
  std::string name;                          // as written
  std::optional<wire::Ipv4Address> address;  // set when `name` is an IPv4 literal

  [[nodiscard]] bool is_literal() const { return address.has_value(); }
  bool operator==(const ServerName&) const = default;
};

// A TCP listening address for metrics: "IPv4:PORT" or "[IPv6]:PORT".
struct ListenAddress {
  std::variant<wire::Ipv4Address, wire::Ipv6Address> address;
  std::uint16_t port = 0;
  [[nodiscard]] std::string to_string() const;
  bool operator==(const ListenAddress&) const = default;
};

// RFC 4380 §5.2.1 vs RFC 6081 §5.2: what a client does when qualification finds a
// symmetric NAT.
enum class SymmetricNatPolicy { keep, stop };

// NonceTrailers: which indirect bubbles carry an RFC 6081 §5.2.3 Nonce Trailer (all of
// them, as the RFC says; only when this client is behind a symmetric NAT; none).
enum class NonceTrailerSetting { always, symmetric, never };
// UnsolicitedPackets: RFC 4380 §5.2.3 case 6 (a native source with no peer entry): run a
// rate-limited direct connectivity test (§5.2.9) so a native host can start a conversation,
// or drop.
enum class UnsolicitedSetting { ping_test, drop };

// Defaults that wire/constants.h does not define (they are ours, not the RFCs').
inline constexpr std::string_view kDefaultInterfaceName = "teredo";
inline constexpr std::uint32_t kDefaultClientPeerTableSize = 1024;
// The table is pre-allocated (no allocation on the packet path, bounded memory), so the
// default is what a small relay needs (about 13 MiB); big relays raise PeerTableSize.
inline constexpr std::uint32_t kDefaultRelayPeerTableSize = 65536;
inline constexpr std::uint32_t kDefaultPeerQueueBytes = 1280;  // Miredo's per peer
inline constexpr std::uint64_t kDefaultTotalQueueBytes = 16u << 20;
inline constexpr std::uint32_t kDefaultMaxIcmpPayload = 88;  // Miredo's server cap
// Per source IPv4 address. A CGNAT puts thousands of clients behind one address, each sending
// an RS about every 30 s (RFC 4380 §5.2): 100/s serves ~3000 clients behind one address.
inline constexpr std::uint32_t kDefaultRateLimitRs = 100;
inline constexpr std::uint32_t kDefaultRateLimitForward = 500;
inline constexpr std::uint16_t kDefaultFilteringProbePort = 3545;
inline constexpr std::uint32_t kMinMtu = 1280;   // RFC 8200 §5 (RFC 4380 §5.1.2)
inline constexpr std::uint32_t kMaxMtu = 65507;  // RFC 4380 §5.1.2
inline constexpr std::chrono::seconds kMinRefreshInterval{10};
inline constexpr std::chrono::seconds kMaxRefreshInterval{300};

// Settings every role has.
struct CommonConfig {
  std::optional<int> syslog_facility;  // LOG_*; unset: no syslog (stderr/journal only)
  LogLevel log_level = LogLevel::notice;
  std::string control_socket;            // "" = none; default /run/shipworm/<role>.sock
  std::optional<ListenAddress> metrics;  // unset: no metrics listener
};

struct ClientConfig {
  CommonConfig common;
  ServerName server;                         // ServerAddress (required)
  std::optional<ServerName> server2;         // ServerAddress2; unset: primary's address + 1
  std::vector<ServerName> fallback_servers;  // FallbackServer, in order
  std::string interface_name{kDefaultInterfaceName};
  std::optional<wire::Ipv4Address> bind_address;  // unset: any
  std::uint16_t bind_port = 0;                    // 0: a random port (RFC 4380 §5.2)
  std::chrono::seconds refresh_interval{wire::kDefaultRefreshInterval};  // RFC 6081 §5.1.1
  std::uint32_t peer_table_size = kDefaultClientPeerTableSize;
  std::uint32_t peer_queue_bytes = kDefaultPeerQueueBytes;
  std::uint64_t total_queue_bytes = kDefaultTotalQueueBytes;
  std::string hook_script;  // "" = no hook
  SymmetricNatPolicy symmetric_nat = SymmetricNatPolicy::keep;
  std::string secure_qualification_file;  // "" = plain qualification (RFC 4380 §5.2.2)
  NonceTrailerSetting nonce_trailers = NonceTrailerSetting::always;
  UnsolicitedSetting unsolicited = UnsolicitedSetting::ping_test;
};

struct RelayConfig {
  CommonConfig common;
  bool restricted = false;     // RelayType restricted: also send direct bubbles (§5.4.1)
  bool host_specific = false;  // serve only this host (RFC 4380 §3.4, §5.4, §8.2)
  std::uint32_t prefix = wire::kTeredoPrefix;  // the /32, high 32 bits
  std::uint32_t mtu = wire::kDefaultMtu;
  std::string interface_name{kDefaultInterfaceName};
  std::optional<wire::Ipv4Address> bind_address;
  std::uint16_t bind_port = 0;
  std::uint32_t peer_table_size = kDefaultRelayPeerTableSize;
  std::uint32_t peer_queue_bytes = kDefaultPeerQueueBytes;
  std::uint64_t total_queue_bytes = kDefaultTotalQueueBytes;
  bool check_source = true;  // RelayCheckSource: accept only peers we sent to (§5.4.2)
};

struct ServerConfig {
  CommonConfig common;
  wire::Ipv4Address primary;    // ServerBindAddress (required)
  wire::Ipv4Address secondary;  // ServerBindAddress2; default primary + 1
  std::uint32_t prefix = wire::kTeredoPrefix;
  std::uint32_t mtu = wire::kDefaultMtu;  // advertised in the RA MTU option
  // Per source IPv4 address, so the server cannot be used as a reflector; 0 = unlimited.
  std::uint32_t rate_limit_rs = kDefaultRateLimitRs;            // RAs per second
  std::uint32_t rate_limit_forward = kDefaultRateLimitForward;  // forwarded packets per second
  std::uint32_t max_icmp_payload = kDefaultMaxIcmpPayload;
  // shipworm's filtering probe (netcheck): 0 = off. See docs/configuration.md.
  std::uint16_t filtering_probe_port = kDefaultFilteringProbePort;
  std::string secure_qualification_file;
  // XdpInterface: receive and answer on this interface through AF_XDP (docs/os-linux.md,
  // "AF_XDP fast path"); empty = the kernel's UDP sockets only.
  std::string xdp_interface;
};

struct Config {
  Role role = Role::client;
  std::string role_reason;  // "RelayType cone", "ServerBindAddress is set", "requested", ...
  std::size_t directive_count = 0;  // directives read from the file
  std::variant<ClientConfig, RelayConfig, ServerConfig> settings;

  [[nodiscard]] const ClientConfig* client() const { return std::get_if<ClientConfig>(&settings); }
  [[nodiscard]] const RelayConfig* relay() const { return std::get_if<RelayConfig>(&settings); }
  [[nodiscard]] const ServerConfig* server() const { return std::get_if<ServerConfig>(&settings); }
};

// A command-line flag that sets a directive; it replaces the file's value (for a
// repeatable directive, all overrides of it replace all of the file's lines). Several
// overrides of one repeatable directive accumulate. `flag` names it in errors.
struct Override {
  std::string directive;  // e.g. "ServerBindAddress"
  std::string value;      // the flag's text, validated like a file value
  std::string flag;       // e.g. "--bind"
};

struct ConfigResult {
  std::optional<Config> config;       // set when errors is empty
  std::vector<ConfigError> errors;    // in file order, then cross-directive checks
  std::vector<ConfigError> warnings;  // accepted, but probably not meant; only when no errors
  [[nodiscard]] bool ok() const { return errors.empty() && config.has_value(); }
};

// Parses `text` (the contents of `file_name`). `role` forces a role; unset, it comes from
// RelayType (client/relay) or the presence of ServerBindAddress (server), else client.
// `overrides` replace file values.
ConfigResult parse_config(std::string_view text, std::string_view file_name,
                          std::optional<Role> role = std::nullopt,
                          std::span<const Override> overrides = {});

// The same with no file: only flags and defaults.
ConfigResult config_from_overrides(Role role, std::span<const Override> overrides);

// Reads `path` and parses it; an unreadable file is one error ("PATH: cannot read: ...").
ConfigResult load_config_file(const std::string& path, std::optional<Role> role = std::nullopt,
                              std::span<const Override> overrides = {});

// What a role subcommand calls: `path` may be empty (flags and defaults only).
//   std::vector<Override> flags;
//   if (!bind.empty()) flags.push_back({"ServerBindAddress", bind, "--bind"});
//   auto r = load_config(config_path, Role::server, flags);
//   if (!r.ok()) { for (auto& e : r.errors) print(e.to_string()); return kExitUsage; }
//   const ServerConfig& cfg = *r.config->server();
ConfigResult load_config(const std::string& path, Role role, std::span<const Override> overrides);

// The effective settings, one "Directive value" line each, in the file syntax: the output
// parses back to the same Config. Unset optional settings appear as comments.
std::vector<std::string> effective_settings(const Config& config);

// Names of all known directives (canonical spelling), for documentation and tests.
std::vector<std::string_view> known_directives();

}  // namespace shipworm::daemon
