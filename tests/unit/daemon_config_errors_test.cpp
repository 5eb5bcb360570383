// Configuration errors: every error class with its exact `FILE:LINE: DIRECTIVE: ... (valid:
// ...)` text (docs/configuration.md, "Syntax"), and the warnings of a valid configuration.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/config_file.h"
#include "daemon_config_test_util.h"

namespace shipworm::daemon {
namespace {

using namespace config_test;
using namespace std::string_literals;

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

}  // namespace
}  // namespace shipworm::daemon
