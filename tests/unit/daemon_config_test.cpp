// Configuration: Miredo's files unchanged, our directives, every error class with its exact
// FILE:LINE text, defaults, command-line overrides and role detection.
#include <gtest/gtest.h>
#include <syslog.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/config_file.h"

namespace shipworm::daemon {
namespace {

using wire::Ipv4Address;
using namespace std::string_literals;

std::vector<std::string> error_lines(const ConfigResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

// The only error of `text`, as printed.
std::string only_error(std::string_view text, std::optional<Role> role = std::nullopt) {
  const auto r = parse_config(text, "t.conf", role);
  EXPECT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(error_lines(r));
  EXPECT_FALSE(r.config.has_value());
  return r.errors.empty() ? "" : r.errors.front().to_string();
}

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

// --- Miredo's files, unchanged ---

// /etc/miredo/miredo.conf as shipped by Debian 12's miredo 1.2.6 package.
constexpr std::string_view kDebianMiredoConf =
    "# Please refer to the miredo.conf(5) man page for details.\n"
    "InterfaceName\tteredo\n"
    "\n"
    "# Pick a Teredo server:\n"
    "#ServerAddress\tteredo.ipv6.microsoft.com\n"
    "ServerAddress\tteredo-debian.remlab.net\n"
    "\n"
    "# Some firewall/NAT setups require a specific UDP port number:\n"
    "#BindPort\t3545\n";

// /etc/miredo/miredo-server.conf as shipped by Debian 12's miredo-server package.
constexpr std::string_view kDebianMiredoServerConf =
    "# Please refer to the miredo-server.conf(5) manpage for details.\n"
    "\n"
    "# Server primary IPv4 address.\n"
    "# Miredo will open UDP port 3544 on this IPv4 address and the next one.\n"
    "ServerBindAddress 192.0.2.221\n";

TEST(MiredoFiles, DebianMiredoConfIsAClientConfig) {
  const auto r = parse_config(kDebianMiredoConf, "/etc/miredo/miredo.conf");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.config->role, Role::client);
  EXPECT_EQ(r.config->directive_count, 2u);
  const auto* c = r.config->client();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->server.name, "teredo-debian.remlab.net");
  EXPECT_FALSE(c->server.is_literal());  // names stay names: no resolution in the parser
  EXPECT_EQ(c->interface_name, "teredo");
  EXPECT_EQ(c->bind_port, 0);
}

TEST(MiredoFiles, DebianMiredoServerConfIsAServerConfig) {
  const auto r = parse_config(kDebianMiredoServerConf, "/etc/miredo/miredo-server.conf");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_EQ(r.config->role, Role::server);
  EXPECT_EQ(r.config->role_reason, "ServerBindAddress is set");
  const auto* s = r.config->server();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->primary, ip("192.0.2.221"));
  EXPECT_EQ(s->secondary, ip("192.0.2.222"));  // miredo-server.conf(5): primary + 1
  EXPECT_EQ(s->prefix, wire::kTeredoPrefix);
  EXPECT_EQ(s->mtu, 1280u);
  EXPECT_EQ(s->max_icmp_payload, 88u);
}

TEST(MiredoFiles, EveryMiredoClientDirectiveWithMixedCaseTabsCrlfAndIndentedComments) {
  const auto r = parse_config(
      "  # indented comment\r\n"
      "relaytype AutoClient\r\n"
      "SERVERADDRESS 198.51.100.1\r\n"
      "serveraddress2\t\t198.51.100.7\r\n"
      "InterfaceName miredo0\r\n"
      "BindAddress 10.1.2.3\r\n"
      "BindPort 3545\r\n"
      "SyslogFacility local3\r\n"
      "   \t\r\n",
      "c.conf");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_EQ(r.config->role_reason, "RelayType autoclient");
  const auto* c = r.config->client();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->server.address, ip("198.51.100.1"));
  ASSERT_TRUE(c->server2.has_value());
  EXPECT_EQ(c->server2->address, ip("198.51.100.7"));
  EXPECT_EQ(c->interface_name, "miredo0");
  EXPECT_EQ(c->bind_address, ip("10.1.2.3"));  // behind a NAT: need not be global
  EXPECT_EQ(c->bind_port, 3545);
  EXPECT_EQ(c->common.syslog_facility, LOG_LOCAL3);
}

TEST(MiredoFiles, EveryMiredoRelayDirective) {
  const auto r = parse_config(
      "RelayType cone\nPrefix 2001:0000::\nInterfaceMTU 1280\nInterfaceName teredo\n"
      "BindAddress 203.0.113.5\nBindPort 3544\nSyslogFacility daemon\n",
      "r.conf");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_EQ(r.config->role, Role::relay);
  const auto* c = r.config->relay();
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->restricted);
  EXPECT_FALSE(c->host_specific);
  EXPECT_EQ(c->prefix, 0x20010000u);
  EXPECT_EQ(c->bind_port, 3544);
  EXPECT_EQ(c->peer_table_size, 65536u);  // pre-allocated: big relays raise PeerTableSize
  EXPECT_TRUE(r.warnings.empty());
}

TEST(MiredoFiles, RelayTypesRelayAndRestricted) {
  for (const char* t : {"relay", "cone", "restricted", "CONE"}) {
    SCOPED_TRACE(t);
    const auto r = parse_config(std::string("RelayType ") + t + "\n", "r.conf");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config->role, Role::relay);
    EXPECT_EQ(r.config->relay()->restricted, std::string(t) == "restricted");
  }
}

TEST(MiredoFiles, EveryMiredoServerDirective) {
  const auto r = parse_config(
      "ServerBindAddress 198.51.100.1\nServerBindAddress2 198.51.100.9\nPrefix 2001::/32\n"
      "InterfaceMTU 1280\nSyslogFacility kern\n",
      "s.conf");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_EQ(r.config->server()->secondary, ip("198.51.100.9"));
}

// --- Defaults ---

TEST(Defaults, Client) {
  const auto r = parse_config("ServerAddress 198.51.100.1\n", "c.conf");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->role_reason, "no RelayType: the default");
  const auto& c = *r.config->client();
  EXPECT_FALSE(c.server2.has_value());  // primary + 1, decided after resolution
  EXPECT_TRUE(c.fallback_servers.empty());
  EXPECT_EQ(c.interface_name, "teredo");
  EXPECT_FALSE(c.bind_address.has_value());
  EXPECT_EQ(c.bind_port, 0);                                // random (RFC 4380 §5.2)
  EXPECT_EQ(c.refresh_interval, std::chrono::seconds{30});  // RFC 6081 §5.1.1
  EXPECT_EQ(c.symmetric_nat, SymmetricNatPolicy::keep);
  EXPECT_EQ(c.nonce_trailers, NonceTrailerSetting::always);  // RFC 6081 §5.2.3 MUST
  EXPECT_EQ(c.unsolicited, UnsolicitedSetting::ping_test);   // RFC 4380 §5.2.3 case 6
  EXPECT_EQ(c.hook_script, "");
  EXPECT_EQ(c.peer_queue_bytes, 1280u);
  EXPECT_EQ(c.common.control_socket, "/run/shipworm/client.sock");
  EXPECT_FALSE(c.common.syslog_facility.has_value());
  EXPECT_EQ(c.common.log_level, LogLevel::notice);
  EXPECT_FALSE(c.common.metrics.has_value());
}

TEST(Defaults, RelayAndServer) {
  const auto relay = parse_config("RelayType cone\n", "r.conf");
  ASSERT_TRUE(relay.ok());
  EXPECT_TRUE(relay.config->relay()->check_source);
  EXPECT_EQ(relay.config->relay()->mtu, 1280u);
  EXPECT_EQ(relay.config->relay()->common.control_socket, "/run/shipworm/relay.sock");
  const auto server = parse_config("ServerBindAddress 198.51.100.1\n", "s.conf");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server.config->server()->rate_limit_rs, 100u);  // per source address: not a reflector
  EXPECT_EQ(server.config->server()->rate_limit_forward, 500u);
}

// --- Our directives ---

TEST(OurDirectives, Client) {
  const auto r = parse_config(
      "RelayType client\n"
      "ServerAddress teredo.example.net\n"
      "FallbackServer 198.51.100.1\n"
      "FallbackServer teredo2.example.net.  # a comment after the value\n"
      "RefreshInterval 20\n"
      "PeerTableSize 4096\nPeerQueueBytes 4000\nTotalQueueBytes 1000000\n"
      "HookScript /etc/miredo/client-hook\n"
      "SymmetricNat stop\n"
      "NonceTrailers symmetric\n"
      "UnsolicitedPackets drop\n"
      "SecureQualification /etc/shipworm/secret\n"
      "LogLevel debug\n"
      "ControlSocket /run/tw.sock\n"
      "MetricsAddress [::1]:9100\n",
      "c.conf");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  const auto& c = *r.config->client();
  ASSERT_EQ(c.fallback_servers.size(), 2u);
  EXPECT_EQ(c.fallback_servers[0].address, ip("198.51.100.1"));
  EXPECT_EQ(c.fallback_servers[1].name, "teredo2.example.net.");
  EXPECT_EQ(c.refresh_interval, std::chrono::seconds{20});
  EXPECT_EQ(c.peer_table_size, 4096u);
  EXPECT_EQ(c.total_queue_bytes, 1000000u);
  EXPECT_EQ(c.hook_script, "/etc/miredo/client-hook");
  EXPECT_EQ(c.symmetric_nat, SymmetricNatPolicy::stop);
  EXPECT_EQ(c.nonce_trailers, NonceTrailerSetting::symmetric);
  EXPECT_EQ(c.unsolicited, UnsolicitedSetting::drop);
  EXPECT_EQ(c.common.log_level, LogLevel::debug);
  EXPECT_EQ(c.common.control_socket, "/run/tw.sock");
  ASSERT_TRUE(c.common.metrics.has_value());
  EXPECT_EQ(c.common.metrics->to_string(), "[::1]:9100");
}

TEST(OurDirectives, RelayAndServer) {
  const auto relay = parse_config(
      "RelayType restricted\nHostSpecificRelay yes\nRelayCheckSource no\n"
      "MetricsAddress 127.0.0.1:9101\nControlSocket none\n",
      "r.conf");
  ASSERT_TRUE(relay.ok()) << ::testing::PrintToString(error_lines(relay));
  EXPECT_TRUE(relay.config->relay()->host_specific);
  EXPECT_TRUE(relay.config->relay()->restricted);
  EXPECT_FALSE(relay.config->relay()->check_source);
  EXPECT_EQ(relay.config->relay()->common.control_socket, "");
  const auto server = parse_config(
      "ServerBindAddress 198.51.100.1\nRateLimitRs 5000\nRateLimitForward 20000\n"
      "MaxIcmpPayload 1232\nSecureQualification /etc/shipworm/clients\nFilteringProbePort 0\n",
      "s.conf");
  ASSERT_TRUE(server.ok()) << ::testing::PrintToString(error_lines(server));
  EXPECT_EQ(server.config->server()->rate_limit_rs, 5000u);
  EXPECT_EQ(server.config->server()->rate_limit_forward, 20000u);
  EXPECT_EQ(server.config->server()->max_icmp_payload, 1232u);
  EXPECT_EQ(server.config->server()->secure_qualification_file, "/etc/shipworm/clients");
  EXPECT_EQ(server.config->server()->filtering_probe_port, 0);
  const auto defaults = parse_config("ServerBindAddress 198.51.100.1\n", "d.conf");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.config->server()->rate_limit_rs, kDefaultRateLimitRs);
  EXPECT_EQ(defaults.config->server()->rate_limit_forward, kDefaultRateLimitForward);
  EXPECT_EQ(defaults.config->server()->filtering_probe_port, 3545);
  const auto teredo_port =
      parse_config("ServerBindAddress 198.51.100.1\nFilteringProbePort 3544\n", "p.conf");
  ASSERT_EQ(teredo_port.errors.size(), 1u);
  EXPECT_NE(teredo_port.errors[0].to_string().find("p.conf:2: FilteringProbePort:"),
            std::string::npos)
      << teredo_port.errors[0].to_string();
}

TEST(OurDirectives, XdpInterfaceNamesAnInterfaceOrNone) {
  const auto on = parse_config("ServerBindAddress 198.51.100.1\nXdpInterface eth0\n", "x.conf");
  ASSERT_TRUE(on.ok()) << ::testing::PrintToString(error_lines(on));
  EXPECT_EQ(on.config->server()->xdp_interface, "eth0");
  const auto off = parse_config("ServerBindAddress 198.51.100.1\nXdpInterface none\n", "x.conf");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off.config->server()->xdp_interface, "");
  const auto unset = parse_config("ServerBindAddress 198.51.100.1\n", "x.conf");
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(unset.config->server()->xdp_interface, "");
  for (const char* bad : {"XdpInterface a-name-longer-than-15", "XdpInterface a/b"}) {
    const auto r =
        parse_config(std::string("ServerBindAddress 198.51.100.1\n") + bad + "\n", "x.conf");
    ASSERT_EQ(r.errors.size(), 1u) << bad;
    EXPECT_NE(r.errors[0].to_string().find("x.conf:2: XdpInterface:"), std::string::npos)
        << r.errors[0].to_string();
  }
  // A server directive: a client configuration refuses it.
  const auto client = parse_config("ServerAddress 198.51.100.1\nXdpInterface eth0\n", "c.conf");
  EXPECT_FALSE(client.ok());
  // `check-config` shows it, and it parses back.
  const auto lines = effective_settings(*on.config);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "XdpInterface eth0"), lines.end());
  const auto none = effective_settings(*unset.config);
  EXPECT_NE(std::find(none.begin(), none.end(), "XdpInterface none"), none.end());
}

TEST(OurDirectives, KnownDirectivesAreListed) {
  const auto all = known_directives();
  for (const char* d :
       {"RelayType", "ServerAddress", "ServerAddress2", "InterfaceName", "BindAddress", "BindPort",
        "InterfaceMTU", "Prefix", "SyslogFacility", "ServerBindAddress", "ServerBindAddress2",
        "FallbackServer", "RefreshInterval", "MaxIcmpPayload"}) {
    EXPECT_NE(std::find(all.begin(), all.end(), d), all.end()) << d;
  }
}

TEST(OurDirectives, EveryDirectiveIsDocumented) {
  std::ifstream in(std::string(SHIPWORM_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto d : known_directives()) {
    EXPECT_NE(doc.str().find("| `" + std::string(d) + "` |"), std::string::npos) << d;
  }
}

// --- Every error class, with its exact text ---

TEST(Errors, UnknownDirectiveSuggestsTheClosestName) {
  EXPECT_EQ(only_error("ServerAdress 198.51.100.1\nServerAddress 198.51.100.1\n"),
            "t.conf:1: ServerAdress: unknown directive; did you mean ServerAddress? (valid: a "
            "directive listed in docs/configuration.md)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nFrobnicate 1\n"),
            "t.conf:2: Frobnicate: unknown directive (valid: a directive listed in "
            "docs/configuration.md)");
}

TEST(Errors, DirectiveNotValidForTheRole) {
  // miredo.conf(5): Prefix and InterfaceMTU are relay options, not client ones.
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nPrefix 2001::\n"),
            "t.conf:2: Prefix: not valid for role client (valid for: relay, server)");
  EXPECT_EQ(only_error("RelayType cone\nServerAddress 198.51.100.1\n"),
            "t.conf:2: ServerAddress: not valid for role relay (valid for: client)");
  EXPECT_EQ(only_error("ServerBindAddress 198.51.100.1\nInterfaceName teredo\n"),
            "t.conf:2: InterfaceName: not valid for role server (valid for: client, relay)");
  EXPECT_EQ(only_error("ServerBindAddress 198.51.100.1\nRelayType cone\n"),
            "t.conf:2: RelayType: not valid for role server (valid for: client, relay)");
}

TEST(Errors, DuplicateSingleValuedDirective) {
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindPort 1\nbindport 2\n"),
            "t.conf:3: bindport: duplicate; already set on line 2 (valid: once per file)");
}

TEST(Errors, MissingRequiredDirective) {
  EXPECT_EQ(only_error("RelayType client\nBindPort 3545\n"),
            "t.conf:1: ServerAddress: missing; role client needs a Teredo server (valid: a "
            "host name or a global unicast IPv4 address, e.g. ServerAddress teredo.example.net)");
  EXPECT_EQ(only_error("# nothing\n\nBindPort 3545\n"),
            "t.conf:3: ServerAddress: missing; role client needs a Teredo server (valid: a "
            "host name or a global unicast IPv4 address, e.g. ServerAddress teredo.example.net)");
  EXPECT_EQ(only_error("", Role::server),
            "t.conf:1: ServerBindAddress: missing; role server needs its primary IPv4 address "
            "(valid: a global unicast IPv4 address of this host, e.g. ServerBindAddress "
            "198.51.100.1)");
}

TEST(Errors, Rfc4380_5_2_4_ServerAddressesMustBeGlobalUnicast) {
  EXPECT_EQ(only_error("ServerAddress 10.0.0.1\n"),
            "t.conf:1: ServerAddress: 10.0.0.1 is not a global unicast IPv4 address, and a "
            "Teredo server address must be one: Teredo nodes drop packets to and from private, "
            "loopback, link-local, multicast, broadcast and 6to4 anycast addresses (RFC 4380 "
            "§5.2.4) (valid: a host name or a global unicast IPv4 address)");
  for (const char* bad : {"127.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.1.1", "192.88.99.1",
                          "224.0.0.1", "255.255.255.255", "0.1.2.3"}) {
    SCOPED_TRACE(bad);
    EXPECT_NE(only_error(std::string("ServerBindAddress ") + bad + "\n")
                  .find("is not a global unicast IPv4 address"),
              std::string::npos);
  }
  EXPECT_NE(only_error("ServerAddress 198.51.100.1\nFallbackServer 192.168.0.1\n")
                .find("t.conf:2: FallbackServer: 192.168.0.1 is not a global unicast"),
            std::string::npos);
}

TEST(Errors, AddressSyntax) {
  EXPECT_EQ(only_error("ServerAddress 198.51.100.256\n"),
            "t.conf:1: ServerAddress: '198.51.100.256' is not an IPv4 address (valid: a host "
            "name or a global unicast IPv4 address)");
  EXPECT_EQ(only_error("ServerAddress bad_host!\n"),
            "t.conf:1: ServerAddress: 'bad_host!' is neither an IPv4 address nor a host name "
            "(valid: a host name or a global unicast IPv4 address)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindAddress 224.0.0.1\n"),
            "t.conf:2: BindAddress: 224.0.0.1 is a multicast address (valid: a local unicast "
            "IPv4 address, or 0.0.0.0 for any)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nMetricsAddress 127.0.0.1\n"),
            "t.conf:2: MetricsAddress: '127.0.0.1' has no :PORT (valid: none, IPv4:PORT or "
            "[IPv6]:PORT)");
}

TEST(Errors, MtuRangeRfc4380_5_1_2) {
  EXPECT_EQ(only_error("RelayType cone\nInterfaceMTU 1279\n"),
            "t.conf:2: InterfaceMTU: 1279 is out of range (valid: 1280..65507 (RFC 4380 "
            "§5.1.2))");
  EXPECT_EQ(only_error("RelayType cone\nInterfaceMTU 65508\n"),
            "t.conf:2: InterfaceMTU: 65508 is out of range (valid: 1280..65507 (RFC 4380 "
            "§5.1.2))");
  EXPECT_EQ(only_error("RelayType cone\nInterfaceMTU 1500bytes\n"),
            "t.conf:2: InterfaceMTU: '1500bytes' is not a whole number (valid: 1280..65507 "
            "(RFC 4380 §5.1.2))");
  const auto ok = parse_config("RelayType cone\nPrefix 3ffe:831f::\nInterfaceMTU 65507\n", "t");
  EXPECT_TRUE(ok.ok());
}

TEST(Errors, PortRange) {
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindPort 65536\n"),
            "t.conf:2: BindPort: 65536 is out of range (valid: 0 (a random port) to 65535)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindPort -1\n"),
            "t.conf:2: BindPort: '-1' is not a whole number (valid: 0 (a random port) to "
            "65535)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindPort 99999999999999999999999\n"),
            "t.conf:2: BindPort: 99999999999999999999999 is out of range (valid: 0 (a random "
            "port) to 65535)");
}

TEST(Errors, PrefixMustBeA32) {
  EXPECT_EQ(only_error("RelayType cone\nPrefix 2001:db8::/48\n"),
            "t.conf:2: Prefix: '2001:db8::/48' is a /48 prefix; a Teredo prefix is a /32 "
            "(valid: a /32 IPv6 prefix such as 2001:0000:: or 2001::/32)");
  EXPECT_EQ(only_error("RelayType cone\nPrefix 2001:0:1::\n"),
            "t.conf:2: Prefix: '2001:0:1::' has bits set after the first 32; a Teredo prefix "
            "is a /32 (valid: a /32 IPv6 prefix such as 2001:0000:: or 2001::/32)");
  EXPECT_NE(only_error("RelayType cone\nPrefix ff02::\n").find("not a global unicast IPv6"),
            std::string::npos);
  EXPECT_NE(only_error("RelayType cone\nPrefix 192.0.2.1\n").find("not an IPv6 prefix"),
            std::string::npos);
}

TEST(Errors, ServerSecondaryAddress) {
  EXPECT_EQ(only_error("ServerBindAddress 198.51.100.1\nServerBindAddress2 198.51.100.1\n"),
            "t.conf:2: ServerBindAddress2: 198.51.100.1 equals ServerBindAddress; the secondary "
            "address must be a different address of this host (RFC 4380 §5.3) (valid: another "
            "global unicast IPv4 address, or omit it for primary + 1)");
  // 192.88.98.255 + 1 is 192.88.99.0, the 6to4 anycast range.
  EXPECT_EQ(only_error("ServerBindAddress 192.88.98.255\n"),
            "t.conf:1: ServerBindAddress: the secondary address defaults to 192.88.98.255 + 1 = "
            "192.88.99.0, which is not global unicast (RFC 4380 §5.2.4) (valid: set "
            "ServerBindAddress2 to the server's second address)");
  EXPECT_TRUE(
      parse_config("ServerBindAddress 192.88.98.255\nServerBindAddress2 198.51.100.2\n", "t").ok());
  EXPECT_NE(only_error("ServerAddress 198.51.100.1\nServerAddress2 198.51.100.1\n")
                .find("t.conf:2: ServerAddress2: 198.51.100.1 equals ServerAddress"),
            std::string::npos);
}

TEST(Errors, LexicalRules) {
  EXPECT_EQ(only_error("ServerAddress \"198.51.100.1\"\n"),
            "t.conf:1: ServerAddress: quoted values are not part of the miredo.conf syntax "
            "(valid: the value without quotes, e.g. ServerAddress 198.51.100.1)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1 198.51.100.2\n"),
            "t.conf:1: ServerAddress: extra text '198.51.100.2' after the value "
            "'198.51.100.1' (valid: one value per directive; a comment starts with ' #')");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindPort\n"),
            "t.conf:2: BindPort: needs a value (valid: 0 (a random port) to 65535)");
  EXPECT_EQ(only_error("ServerAddress 198.51.100.1\nBindPort 1\0\n"s),
            "t.conf:2: BindPort: the line contains a NUL byte (valid: text)");
}

TEST(Errors, OtherValueClasses) {
  const std::string c = "ServerAddress 198.51.100.1\n";
  EXPECT_EQ(only_error(c + "RefreshInterval 5\n"),
            "t.conf:2: RefreshInterval: 5 is out of range (valid: 10..300 seconds (RFC 6081 "
            "§5.1.1; default 30))");
  EXPECT_EQ(only_error(c + "SymmetricNat maybe\n"),
            "t.conf:2: SymmetricNat: 'maybe' is not a symmetric NAT policy (valid: keep (RFC "
            "6081 §5.2) or stop (RFC 4380 §5.2.1))");
  EXPECT_EQ(only_error(c + "NonceTrailers sometimes\n"),
            "t.conf:2: NonceTrailers: 'sometimes' is not a nonce trailer policy (valid: always "
            "(RFC 6081 §5.2.3), symmetric (only behind a symmetric NAT) or never)");
  EXPECT_EQ(only_error(c + "UnsolicitedPackets accept\n"),
            "t.conf:2: UnsolicitedPackets: 'accept' is not a policy for unsolicited packets "
            "(valid: ping-test (RFC 4380 §5.2.3 case 6, rate-limited) or drop)");
  EXPECT_EQ(only_error(c + "HookScript client-hook\n"),
            "t.conf:2: HookScript: 'client-hook' is not an absolute path (valid: an absolute "
            "path, or none)");
  EXPECT_EQ(only_error(c + "InterfaceName teredo-interface0\n"),
            "t.conf:2: InterfaceName: 'teredo-interface0' is 17 bytes long; Linux allows at "
            "most 15 (valid: 1 to 15 bytes without '/', ':' or spaces)");
  EXPECT_EQ(only_error(c + "SyslogFacility local9\n"),
            "t.conf:2: SyslogFacility: 'local9' is not a syslog facility (valid: daemon, user, "
            "kern, local0..local7, auth, authpriv, cron, ftp, lpr, mail, news, syslog)");
  EXPECT_EQ(only_error("RelayType cone\nRelayCheckSource perhaps\n"),
            "t.conf:2: RelayCheckSource: 'perhaps' is not yes or no (valid: yes or no)");
  EXPECT_EQ(only_error("RelayType teredo\n"),
            "t.conf:1: RelayType: 'teredo' is not a relay type (valid: client, autoclient, "
            "relay, cone, restricted)");
  EXPECT_EQ(only_error(c + "PeerQueueBytes 4000\nTotalQueueBytes 3000\n"),
            "t.conf:3: TotalQueueBytes: TotalQueueBytes 3000 is smaller than PeerQueueBytes 4000 "
            "(valid: TotalQueueBytes >= PeerQueueBytes)");
  EXPECT_NE(only_error(c + "ControlSocket /" + std::string(120, 'x') + "\n")
                .find("a Unix socket path holds at most 107"),
            std::string::npos);
}

TEST(Errors, AllErrorsAreCollectedInFileOrder) {
  const auto r = parse_config(
      "RelayType client\n"
      "ServerAddress 10.0.0.1\n"
      "BindPort 70000\n"
      "Prefix 2001::\n"
      "Bogus 1\n"
      "BindPort 1\n",
      "many.conf");
  EXPECT_FALSE(r.ok());
  const auto lines = error_lines(r);
  ASSERT_EQ(lines.size(), 5u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind("many.conf:2: ServerAddress: ", 0), 0u);
  EXPECT_EQ(lines[1].rfind("many.conf:3: BindPort: ", 0), 0u);
  EXPECT_EQ(lines[2].rfind("many.conf:4: Prefix: not valid for role client", 0), 0u);
  EXPECT_EQ(lines[3].rfind("many.conf:5: Bogus: unknown directive", 0), 0u);
  // A rejected line still counts as the first setting of its directive.
  EXPECT_EQ(lines[4],
            "many.conf:6: BindPort: duplicate; already set on line 3 (valid: once per file)");
}

TEST(Errors, RoleConflicts) {
  const auto r =
      parse_config("RelayType client\nServerAddress 198.51.100.1\n", "t.conf", Role::relay);
  EXPECT_EQ(error_lines(r),
            (std::vector<std::string>{
                "t.conf:1: RelayType: 'client' makes this a client configuration, but the role "
                "is relay (valid: relay, cone, restricted)",
                "t.conf:2: ServerAddress: not valid for role relay (valid for: client)"}));
}

TEST(Errors, UnreadableFile) {
  const auto r = load_config_file("/nonexistent/shipworm.conf");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(),
            "/nonexistent/shipworm.conf: cannot read: No such file or directory");
}

TEST(Warnings, OnlyForAValidConfiguration) {
  const auto r = parse_config("RelayType cone\nInterfaceMTU 1400\nPrefix 2001:db8::/48\n", "r");
  EXPECT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Warnings, MtuWithTheDefaultPrefix) {
  const auto r = parse_config("RelayType cone\nInterfaceMTU 1400\n", "r.conf");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].to_string().rfind("r.conf:2: InterfaceMTU: an MTU other than 1280", 0),
            0u);
}

// --- Role detection ---

TEST(Roles, DetectedFromTheFile) {
  struct Case {
    const char* text;
    Role role;
  };
  for (const auto& [text, role] : {
           Case{"ServerAddress 198.51.100.1\n", Role::client},
           Case{"RelayType client\nServerAddress 198.51.100.1\n", Role::client},
           Case{"RelayType autoclient\nServerAddress 198.51.100.1\n", Role::client},
           Case{"RelayType relay\n", Role::relay},
           Case{"RelayType restricted\n", Role::relay},
           Case{"ServerBindAddress 198.51.100.1\n", Role::server},
       }) {
    SCOPED_TRACE(text);
    const auto r = parse_config(text, "t");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
    EXPECT_EQ(r.config->role, role);
  }
}

TEST(Roles, ForcedRoleWins) {
  const auto r = parse_config("SyslogFacility user\n", "t", Role::relay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->role, Role::relay);
  EXPECT_EQ(r.config->role_reason, "requested");
  EXPECT_EQ(parse_role("SERVER"), Role::server);
  EXPECT_FALSE(parse_role("host").has_value());
}

// --- Command-line overrides ---

TEST(Overrides, FlagsReplaceFileValues) {
  const std::vector<Override> flags{{"ServerBindAddress", "203.0.113.10", "--bind"},
                                    {"RateLimitRs", "100", "--rate-limit-rs"}};
  const auto r = parse_config(kDebianMiredoServerConf, "s.conf", Role::server, flags);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_EQ(r.config->server()->primary, ip("203.0.113.10"));
  EXPECT_EQ(r.config->server()->secondary, ip("203.0.113.11"));
  EXPECT_EQ(r.config->server()->rate_limit_rs, 100u);
}

TEST(Overrides, RepeatableDirectiveIsReplacedAsAWhole) {
  const std::vector<Override> flags{{"FallbackServer", "203.0.113.1", "--fallback"},
                                    {"FallbackServer", "203.0.113.2", "--fallback"}};
  const auto r = parse_config("ServerAddress 198.51.100.1\nFallbackServer 198.51.100.9\n", "c",
                              std::nullopt, flags);
  ASSERT_TRUE(r.ok());
  const auto& f = r.config->client()->fallback_servers;
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "203.0.113.1");
  EXPECT_EQ(f[1].name, "203.0.113.2");
}

TEST(Overrides, WithoutAFile) {
  const std::vector<Override> flags{{"ServerBindAddress", "198.51.100.1", "--bind"}};
  const auto r = config_from_overrides(Role::server, flags);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->directive_count, 0u);
  EXPECT_EQ(r.config->server()->secondary, ip("198.51.100.2"));

  const auto missing = config_from_overrides(Role::server, {});
  EXPECT_EQ(error_lines(missing),
            std::vector<std::string>{
                "command line: ServerBindAddress: missing; role server needs its primary IPv4 "
                "address (valid: a global unicast IPv4 address of this host, e.g. "
                "ServerBindAddress 198.51.100.1)"});
}

TEST(Overrides, LoadConfigWithAndWithoutAFile) {
  const std::vector<Override> flags{{"ServerBindAddress", "198.51.100.1", "--bind"}};
  const auto none = load_config("", Role::server, flags);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.config->server()->primary, ip("198.51.100.1"));
  const auto missing = load_config("/nonexistent/s.conf", Role::server, flags);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].to_string().rfind("/nonexistent/s.conf: cannot read: ", 0), 0u);
}

TEST(Overrides, BadFlagValuesNameTheFlag) {
  const std::vector<Override> flags{{"ServerBindAddress", "10.1.1.1", "--bind"},
                                    {"Prefix", "2001::", "--prefix"}};
  const auto r = config_from_overrides(Role::client, flags);
  const auto lines = error_lines(r);
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "command line: --bind: not valid for role client (valid for: server)");
  EXPECT_EQ(lines[1],
            "command line: --prefix: not valid for role client (valid for: relay, server)");
  EXPECT_EQ(lines[2].rfind("command line: ServerAddress: missing", 0), 0u);

  const auto bad = config_from_overrides(
      Role::server, std::vector<Override>{{"ServerBindAddress", "10.1.1.1", "--bind"}});
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].to_string().rfind(
                "command line: --bind: 10.1.1.1 is not a global unicast IPv4 address", 0),
            0u);
}

// --- Effective settings ---

TEST(EffectiveSettings, ParseBackToTheSameSettings) {
  for (const auto& text : {std::string(kDebianMiredoConf), std::string(kDebianMiredoServerConf),
                           std::string("RelayType restricted\nPrefix 3ffe:831f::\n"
                                       "MetricsAddress 192.0.2.1:9100\nSyslogFacility local1\n"),
                           std::string("ServerAddress 198.51.100.1\nFallbackServer a.example\n"
                                       "FallbackServer b.example\nBindAddress 10.0.0.2\n")}) {
    SCOPED_TRACE(text);
    const auto first = parse_config(text, "a");
    ASSERT_TRUE(first.ok());
    std::string again;
    for (const auto& l : effective_settings(*first.config)) again += l + "\n";
    const auto second = parse_config(again, "b");
    ASSERT_TRUE(second.ok()) << again << ::testing::PrintToString(error_lines(second));
    EXPECT_EQ(second.config->role, first.config->role);
    EXPECT_EQ(effective_settings(*second.config), effective_settings(*first.config));
  }
}

TEST(EffectiveSettings, ShowsDefaults) {
  const auto r = parse_config(kDebianMiredoServerConf, "s");
  ASSERT_TRUE(r.ok());
  const auto lines = effective_settings(*r.config);
  for (const char* want : {"ServerBindAddress 192.0.2.221", "ServerBindAddress2 192.0.2.222",
                           "Prefix 2001::", "InterfaceMTU 1280", "MaxIcmpPayload 88",
                           "RateLimitRs 100", "RateLimitForward 500", "FilteringProbePort 3545",
                           "ControlSocket /run/shipworm/server.sock"}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), want), lines.end()) << want;
  }
}

}  // namespace
}  // namespace shipworm::daemon
