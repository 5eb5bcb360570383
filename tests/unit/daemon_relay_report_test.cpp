// The relay's reports (daemon/relay_report.h) and what every role shares
// (daemon/role_report.h): status, metrics and the SIGUSR1 log are rendered from one snapshot
// and cannot disagree on what was dropped, I/O failures included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "core/relay_engine.h"
#include "daemon/relay_report.h"
#include "daemon/role_report.h"
#include "ipv6_test_packets.h"
#include "wire/teredo_address.h"

namespace shipworm::daemon {
namespace {

using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }

class NullSink : public core::ActionSink {
 public:
  void send_udp(const Endpoint& /*to*/, wire::Bytes /*payload*/) override {}
  void write_tun(wire::Bytes /*packet*/) override {}
};

// A relay engine that has dropped a datagram from a non-global source (RFC 4380 §5.2.4), a
// malformed one (the codec's reason) and a native packet for a non-Teredo destination
// (RFC 4380 §5.4.1).
core::RelayEngine engine_with_drops() {
  core::RelayEngineConfig c;
  c.own_ipv4 = {v4("192.0.2.99")};
  c.hash_key = 1;
  c.table.capacity = 16;
  c.table.hash_key = 2;
  core::RelayEngine e(c);
  NullSink sink;
  const auto now = core::TimePoint{} + std::chrono::seconds(100);
  const Ipv6Address client =
      wire::TeredoAddress{v4("198.51.100.1"), 0, {v4("10.1.2.3"), 40000}}.to_ipv6();
  const Ipv6Address native = *Ipv6Address::parse("2001:db8:1::10");
  e.on_udp(now, {v4("10.1.2.3"), 40000}, test::udp6_packet(client, native, 1, 2, 10, 1), sink);
  const std::uint8_t junk[] = {0x45, 0, 0};
  e.on_udp(now, {v4("203.0.113.7"), 40000}, junk, sink);
  e.on_tun(now, test::udp6_packet(native, *Ipv6Address::parse("2001:db8:2::1"), 1, 2, 10, 1), sink);
  return e;
}

RelaySnapshot snapshot(const core::RelayEngine& e) {
  RelaySnapshot s;
  s.role = "relay";
  s.interface = "teredo";
  s.mtu = 1280;
  s.prefix = "2001::/32";
  s.served = {"every global IPv6 address outside 2001::/32"};
  s.bind = "0.0.0.0:3544";
  s.relay_type = "cone";
  s.counters = e.counters();
  s.peers = &e.peers();
  s.io.udp_truncated = 1;
  s.io.udp_send_failures = 2;
  s.io.tun_write_failures = 3;
  s.io.control_overflow = 4;
  s.io.tun_offload_drops = 5;
  return s;
}

TEST(RelayReport, StatusMetricsAndLogAgreeOnDropsIncludingIoFailures) {
  const core::RelayEngine e = engine_with_drops();
  ASSERT_GE(e.counters().total_dropped(), 3U);
  const RelaySnapshot s = snapshot(e);
  const std::uint64_t expected = e.counters().total_dropped() + 1 + 2 + 3 + 4 + 5;

  // status: counters.dropped and the sum of the drops object.
  const auto status = nlohmann::json::parse(relay_status_json(s));
  EXPECT_EQ(status["counters"]["dropped"].get<std::uint64_t>(), expected);
  std::uint64_t status_sum = 0;
  for (const auto& [name, v] : status["drops"].items()) status_sum += v.get<std::uint64_t>();
  EXPECT_EQ(status_sum, expected);
  EXPECT_EQ(status["drops"]["send_failed"], 2);
  EXPECT_EQ(status["drops"]["tun_offload_unusable"], 5);

  // metrics: the shipworm_drops samples.
  const std::string metrics = relay_metrics_text(s);
  std::uint64_t metrics_sum = 0;
  const std::regex sample(R"re(^shipworm_drops_total\{reason="(\w+)"\} (\d+)$)re");
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, sample)) {
      metrics_sum += std::stoull(m[2]);
      EXPECT_EQ(status["drops"][m[1].str()].get<std::uint64_t>(), std::stoull(m[2])) << m[1];
    }
  }
  EXPECT_EQ(metrics_sum, expected);

  // SIGUSR1: the first line's total and the per-reason lines, the same list as status.
  const auto log = relay_log_lines(s);
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log[0].find("dropped " + std::to_string(expected)), std::string::npos) << log[0];
  std::uint64_t log_sum = 0;
  std::size_t reasons = 0;
  const std::regex reason(R"(^  dropped (\w+): (\d+)$)");
  for (const auto& line : log) {
    std::smatch m;
    if (std::regex_match(line, m, reason)) {
      log_sum += std::stoull(m[2]);
      ++reasons;
    }
  }
  EXPECT_EQ(log_sum, expected);
  EXPECT_EQ(reasons, status["drops"].size());
}

TEST(RoleReport, DropListKeepsNonZeroReasonsInOrderAndSumsARepeatedName) {
  DropList d;
  d.add("a", 2);
  d.add("zero", 0);
  d.add("b", 1);
  d.add("a", 3);
  ASSERT_EQ(d.reasons.size(), 2U);
  EXPECT_EQ(d.reasons[0], (std::pair<std::string, std::uint64_t>{"a", 5}));
  EXPECT_EQ(d.reasons[1], (std::pair<std::string, std::uint64_t>{"b", 1}));
  EXPECT_EQ(d.total, 6U);
  EXPECT_EQ(drops_json(d).dump(), R"({"a":5,"b":1})");
  EXPECT_EQ(drop_log_lines(d), (std::vector<std::string>{"  dropped a: 5", "  dropped b: 1"}));
}

TEST(RoleReport, PeersDocumentWithoutATableIsEmpty) {
  const auto j = nlohmann::json::parse(
      peers_document("client", nullptr, core::TimePoint{}, 10,
                     [](const core::Peer&) { return PeerDescription{"idle"}; }));
  EXPECT_EQ(j["count"], 0);
  EXPECT_EQ(j["listed"], 0);
  EXPECT_EQ(j["truncated"], false);
  EXPECT_TRUE(j["peers"].empty());
}

}  // namespace
}  // namespace shipworm::daemon
