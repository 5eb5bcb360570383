// The directive table as a whole: every directive of every role survives parse -> format ->
// parse (the promise `check-config` makes: its output is itself a valid configuration), the
// effective settings keep their order, and the table and docs/configuration.md list the same
// directives.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/config_file.h"
#include "daemon_config_test_util.h"

namespace shipworm::daemon {
namespace {

using config_test::error_lines;

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// One non-default value per directive and role, as written, and the line `check-config`
// prints for it (the canonical spelling of the value).
struct Sample {
  Role role;
  std::string_view directive;
  std::string_view written;
  std::string_view shown;
};

// The smallest valid file of each role, so that a sample can be added to it.
std::string base(Role role) {
  switch (role) {
    case Role::client:
      return "ServerAddress 198.51.100.1\n";
    case Role::relay:
      return "RelayType cone\n";
    case Role::server:
      return "ServerBindAddress 198.51.100.1\n";
  }
  return "";
}

// clang-format off
const std::vector<Sample> kSamples{
  {Role::client, "RelayType", "AutoClient", "RelayType client"},
  {Role::client, "ServerAddress", "teredo.example.net", "ServerAddress teredo.example.net"},
  {Role::client, "ServerAddress2", "198.51.100.9", "ServerAddress2 198.51.100.9"},
  {Role::client, "FallbackServer", "b.example", "FallbackServer b.example"},
  {Role::client, "InterfaceName", "tun7", "InterfaceName tun7"},
  {Role::client, "BindAddress", "10.0.0.2", "BindAddress 10.0.0.2"},
  {Role::client, "BindPort", "3545", "BindPort 3545"},
  {Role::client, "RefreshInterval", "45", "RefreshInterval 45"},
  {Role::client, "SymmetricNat", "STOP", "SymmetricNat stop"},
  {Role::client, "NonceTrailers", "symmetric", "NonceTrailers symmetric"},
  {Role::client, "UnsolicitedPackets", "Drop", "UnsolicitedPackets drop"},
  {Role::client, "PeerTableSize", "2048", "PeerTableSize 2048"},
  {Role::client, "PeerQueueBytes", "0", "PeerQueueBytes 0"},
  {Role::client, "TotalQueueBytes", "4096", "TotalQueueBytes 4096"},
  {Role::client, "HookScript", "/etc/miredo/client-hook", "HookScript /etc/miredo/client-hook"},
  {Role::client, "SecureQualification", "/etc/shipworm/id", "SecureQualification /etc/shipworm/id"},
  {Role::client, "SyslogFacility", "LOCAL3", "SyslogFacility local3"},
  {Role::client, "LogLevel", "debug", "LogLevel debug"},
  {Role::client, "ControlSocket", "NONE", "ControlSocket none"},
  {Role::client, "MetricsAddress", "[::1]:9100", "MetricsAddress [::1]:9100"},
  {Role::relay, "RelayType", "restricted", "RelayType restricted"},
  {Role::relay, "HostSpecificRelay", "on", "HostSpecificRelay yes"},
  {Role::relay, "Prefix", "3ffe:831f::/32", "Prefix 3ffe:831f::"},
  {Role::relay, "InterfaceMTU", "1400", "InterfaceMTU 1400"},
  {Role::relay, "InterfaceName", "teredo1", "InterfaceName teredo1"},
  {Role::relay, "BindAddress", "192.0.2.7", "BindAddress 192.0.2.7"},
  {Role::relay, "BindPort", "3544", "BindPort 3544"},
  {Role::relay, "PeerTableSize", "16", "PeerTableSize 16"},
  {Role::relay, "PeerQueueBytes", "2000", "PeerQueueBytes 2000"},
  {Role::relay, "TotalQueueBytes", "2000", "TotalQueueBytes 2000"},
  {Role::relay, "RelayCheckSource", "false", "RelayCheckSource no"},
  {Role::relay, "SyslogFacility", "daemon", "SyslogFacility daemon"},
  {Role::relay, "LogLevel", "warning", "LogLevel warning"},
  {Role::relay, "ControlSocket", "/run/r.sock", "ControlSocket /run/r.sock"},
  {Role::relay, "MetricsAddress", "127.0.0.1:9101", "MetricsAddress 127.0.0.1:9101"},
  {Role::server, "ServerBindAddress", "192.0.2.221", "ServerBindAddress 192.0.2.221"},
  {Role::server, "ServerBindAddress2", "198.51.100.7", "ServerBindAddress2 198.51.100.7"},
  {Role::server, "Prefix", "2001:0000::", "Prefix 2001::"},
  {Role::server, "InterfaceMTU", "1280", "InterfaceMTU 1280"},
  {Role::server, "RateLimitRs", "0", "RateLimitRs 0"},
  {Role::server, "RateLimitForward", "7", "RateLimitForward 7"},
  {Role::server, "MaxIcmpPayload", "65467", "MaxIcmpPayload 65467"},
  {Role::server, "FilteringProbePort", "0", "FilteringProbePort 0"},
  {Role::server, "SecureQualification", "/etc/shipworm/clients", "SecureQualification /etc/shipworm/clients"},
  {Role::server, "XdpInterface", "eth0", "XdpInterface eth0"},
  {Role::server, "SyslogFacility", "user", "SyslogFacility user"},
  {Role::server, "LogLevel", "ERROR", "LogLevel error"},
  {Role::server, "ControlSocket", "/run/s.sock", "ControlSocket /run/s.sock"},
  {Role::server, "MetricsAddress", "none", "MetricsAddress none"},
};
// clang-format on

// A role that accepts a directive has a sample; a role that has none refuses it.
TEST(DirectiveTable, EveryDirectiveHasASampleForEveryRoleThatAcceptsIt) {
  for (const auto d : known_directives()) {
    for (Role role : {Role::client, Role::relay, Role::server}) {
      const bool sampled = std::any_of(kSamples.begin(), kSamples.end(), [&](const Sample& s) {
        return s.role == role && s.directive == d;
      });
      // The value does not matter for the role check, which comes first.
      const auto r = parse_config(base(role) + std::string(d) + " x\n", "t.conf", role);
      const bool refused = std::any_of(r.errors.begin(), r.errors.end(), [](const ConfigError& e) {
        return e.message.rfind("not valid for role", 0) == 0;
      });
      EXPECT_NE(sampled, refused) << d << " in role " << to_string(role);
    }
  }
}

// check-config's promise: the effective settings are a configuration that parses back to
// the same settings, for every directive's every value class.
TEST(DirectiveTable, EveryDirectiveRoundTripsThroughParseFormatParse) {
  for (const auto& s : kSamples) {
    SCOPED_TRACE(std::string(to_string(s.role)) + " " + std::string(s.directive));
    std::string text = base(s.role);
    // A base directive given again would be a duplicate: replace it instead.
    if (text.starts_with(std::string(s.directive) + " ")) text.clear();
    if (s.directive == "ServerBindAddress2") text = "ServerBindAddress 192.0.2.221\n";
    text += std::string(s.directive) + " " + std::string(s.written) + "\n";
    const auto first = parse_config(text, "a.conf", s.role);
    ASSERT_TRUE(first.ok()) << text << ::testing::PrintToString(error_lines(first));
    const auto lines = effective_settings(*first.config);
    EXPECT_NE(std::find(lines.begin(), lines.end(), s.shown), lines.end())
        << ::testing::PrintToString(lines);
    const auto again = joined(lines);
    const auto second = parse_config(again, "b.conf");  // the role comes from the text
    ASSERT_TRUE(second.ok()) << again << ::testing::PrintToString(error_lines(second));
    EXPECT_EQ(second.config->role, s.role);
    EXPECT_EQ(effective_settings(*second.config), lines);
  }
}

// The same as a command-line override: flags take the same values.
TEST(DirectiveTable, EverySampleIsAlsoAValidOverride) {
  for (const auto& s : kSamples) {
    SCOPED_TRACE(std::string(to_string(s.role)) + " " + std::string(s.directive));
    std::vector<Override> flags{{std::string(s.directive), std::string(s.written), "--flag"}};
    const auto r = parse_config(base(s.role), "a.conf", s.role, flags);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
    const auto lines = effective_settings(*r.config);
    EXPECT_NE(std::find(lines.begin(), lines.end(), s.shown), lines.end());
  }
}

// The order of `check-config` output is part of its interface (people diff it).
TEST(DirectiveTable, EffectiveSettingsOfDefaultsInTheirOrder) {
  const auto client = parse_config(base(Role::client), "c.conf");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(joined(effective_settings(*client.config)),
            "RelayType client\n"
            "ServerAddress 198.51.100.1\n"
            "#ServerAddress2 (not set: ServerAddress + 1)\n"
            "InterfaceName teredo\n"
            "#BindAddress (not set: any address)\n"
            "BindPort 0\n"
            "RefreshInterval 30\n"
            "SymmetricNat keep\n"
            "NonceTrailers always\n"
            "UnsolicitedPackets ping-test\n"
            "PeerTableSize 1024\n"
            "PeerQueueBytes 1280\n"
            "TotalQueueBytes 16777216\n"
            "HookScript none\n"
            "SecureQualification none\n"
            "#SyslogFacility (not set: no syslog, stderr only)\n"
            "LogLevel notice\n"
            "ControlSocket /run/shipworm/client.sock\n"
            "MetricsAddress none\n");
  const auto relay = parse_config(base(Role::relay), "r.conf");
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(joined(effective_settings(*relay.config)),
            "RelayType cone\n"
            "HostSpecificRelay no\n"
            "Prefix 2001::\n"
            "InterfaceMTU 1280\n"
            "InterfaceName teredo\n"
            "#BindAddress (not set: any address)\n"
            "BindPort 0\n"
            "PeerTableSize 65536\n"
            "PeerQueueBytes 1280\n"
            "TotalQueueBytes 16777216\n"
            "RelayCheckSource yes\n"
            "#SyslogFacility (not set: no syslog, stderr only)\n"
            "LogLevel notice\n"
            "ControlSocket /run/shipworm/relay.sock\n"
            "MetricsAddress none\n");
  const auto server = parse_config(base(Role::server), "s.conf");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(joined(effective_settings(*server.config)),
            "ServerBindAddress 198.51.100.1\n"
            "ServerBindAddress2 198.51.100.2\n"
            "Prefix 2001::\n"
            "InterfaceMTU 1280\n"
            "RateLimitRs 100\n"
            "RateLimitForward 500\n"
            "MaxIcmpPayload 88\n"
            "FilteringProbePort 3545\n"
            "SecureQualification none\n"
            "XdpInterface none\n"
            "#SyslogFacility (not set: no syslog, stderr only)\n"
            "LogLevel notice\n"
            "ControlSocket /run/shipworm/server.sock\n"
            "MetricsAddress none\n");
}

// Several FallbackServer lines stay in order; flags replace them all.
TEST(DirectiveTable, RepeatableDirectiveKeepsOrderAndFlagsReplaceIt) {
  const std::string text =
      base(Role::client) + "FallbackServer a.example\nFallbackServer b.example\n";
  const auto file = parse_config(text, "c.conf");
  ASSERT_TRUE(file.ok());
  const auto lines = effective_settings(*file.config);
  const auto a = std::find(lines.begin(), lines.end(), "FallbackServer a.example");
  ASSERT_NE(a, lines.end());
  EXPECT_EQ(*(a + 1), "FallbackServer b.example");
  const std::vector<Override> flags{{"FallbackServer", "c.example", "--fallback"},
                                    {"FallbackServer", "d.example", "--fallback"}};
  const auto replaced = parse_config(text, "c.conf", std::nullopt, flags);
  ASSERT_TRUE(replaced.ok());
  ASSERT_EQ(replaced.config->client()->fallback_servers.size(), 2u);
  EXPECT_EQ(replaced.config->client()->fallback_servers[0].name, "c.example");
  EXPECT_EQ(replaced.config->client()->fallback_servers[1].name, "d.example");
}

// A misspelling as close to two names as to one suggests the first in the table.
TEST(DirectiveTable, UnknownDirectiveSuggestionTieGoesToTheFirstName) {
  const auto r = parse_config("ServerAddress3 198.51.100.1\n", "t.conf");
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].to_string(),
            "t.conf:1: ServerAddress3: unknown directive; did you mean ServerAddress? (valid: a "
            "directive listed in docs/configuration.md)");
}

// docs/configuration.md documents exactly the directives the parser knows: a row "| `Name` |"
// in a directive table for each, and no row for a directive that does not exist.
TEST(DirectiveTable, DocsListTheSameDirectivesAsTheTable) {
  std::ifstream in(std::string(SHIPWORM_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::set<std::string> documented;
  const std::regex row(R"(^\| `([A-Za-z0-9]+)` \| [CRS ]+ \|)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) documented.insert(m[1]);
  }
  std::set<std::string> known;
  for (const auto d : known_directives()) known.emplace(d);
  EXPECT_EQ(documented, known);
}

}  // namespace
}  // namespace shipworm::daemon
