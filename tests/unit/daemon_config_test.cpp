// Configuration: Miredo's files unchanged, our directives, defaults, command-line overrides,
// role detection and effective settings (errors: daemon_config_errors_test.cpp).
#include <gtest/gtest.h>
#include <syslog.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/config_file.h"
#include "daemon_config_test_util.h"

namespace shipworm::daemon {
namespace {

using namespace config_test;
using wire::Ipv4Address;

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
