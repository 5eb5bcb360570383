// The client's reports (status, peers, metrics, SIGUSR1 log) rendered from one snapshot:
// key order as docs/architecture.md lists it, and the same drop total everywhere.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/client_report.h"

namespace shipworm::daemon {
namespace {

using namespace std::chrono_literals;

class CountingRandom : public core::RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 1;
};

class NullSink : public core::ActionSink {
 public:
  void send_udp(const wire::Endpoint&, wire::Bytes) override { ++sent; }
  void write_tun(wire::Bytes) override {}
  void state_changed(const core::ClientStatus&) override {}
  void address_changed(const core::AddressChange&) override {}
  int sent = 0;
};

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  return out;
}

struct Started {
  CountingRandom random;
  NullSink sink;
  core::ClientEngine engine;
  Started() : engine(config(), random) { engine.start(core::TimePoint{}, sink); }
  static core::ClientEngineConfig config() {
    core::ClientEngineConfig c;
    c.servers = {{wire::Ipv4Address{0xc6336401}, wire::Ipv4Address{0xc6336402}}};
    c.qualification.local_port = 4000;
    return c;
  }
};

ClientSnapshot snapshot(const core::ClientEngine* engine) {
  ClientSnapshot s;
  s.now = core::TimePoint{} + 3s;
  s.engine = engine;
  s.interface = "teredo";
  s.mtu = 1280;
  s.service_port = {wire::Ipv4Address{0x0a000001}, 4000};
  s.last_transition = "initial -> starting";
  s.io = {.truncated = 1, .send_failures = 2, .tun_write_failures = 0};
  return s;
}

TEST(ClientReport, StatusBeforeTheEngineSaysStarting) {
  auto s = snapshot(nullptr);
  s.started = core::TimePoint{} + 1s;
  const auto j = nlohmann::ordered_json::parse(client_status_json(s));
  EXPECT_EQ(keys(j), (std::vector<std::string>{"role", "state", "state_seconds", "last_transition",
                                               "cause", "interface", "mtu", "drops"}));
  EXPECT_EQ(j["state"], "starting");
  EXPECT_EQ(j["state_seconds"], 2);
  EXPECT_EQ(j["drops"], (nlohmann::json{{"datagram_truncated", 1}, {"send_failed", 2}}));
}

// docs/architecture.md "Status and metrics": the status keys, in this order.
TEST(ClientReport, StatusKeysInTheDocumentedOrder) {
  Started e;
  auto s = snapshot(&e.engine);
  s.server_rtt = 25ms;
  const auto j = nlohmann::ordered_json::parse(client_status_json(s));
  EXPECT_EQ(keys(j),
            (std::vector<std::string>{"role", "state", "state_seconds", "last_transition", "cause",
                                      "server", "nat_type", "port_preserving", "symmetric",
                                      "interface", "mtu", "service_port", "network_path",
                                      "last_network_change", "peers", "counters", "drops"}));
  EXPECT_TRUE(j["network_path"].is_null());
  EXPECT_TRUE(j["last_network_change"].is_null());
  EXPECT_EQ(j["server"]["primary"], "198.51.100.1");
  EXPECT_EQ(j["server"]["rtt_ms"], 25.0);
  EXPECT_EQ(j["service_port"], "10.0.0.1:4000");
  EXPECT_EQ(j["counters"]["rs_sent"], 1);
}

// Status, metrics and the SIGUSR1 log count the same drops: the codec's, the engine's and
// the daemon's I/O failures.
TEST(ClientReport, StatusMetricsAndLogAgreeOnDrops) {
  Started e;
  const std::vector<std::uint8_t> garbage{0x00, 0x01, 0x02};
  e.engine.on_udp(core::TimePoint{} + 1s, {wire::Ipv4Address{0xc6336401}, 3544}, garbage, e.sink);
  const auto s = snapshot(&e.engine);
  const DropList drops = client_drops(s);
  EXPECT_EQ(drops.total, e.engine.counters().total_dropped() + 3);
  EXPECT_GT(drops.total, 3U);  // the garbage was counted

  const auto j = nlohmann::ordered_json::parse(client_status_json(s));
  EXPECT_EQ(j["counters"]["dropped"], drops.total);
  std::uint64_t sum = 0;
  for (const auto& [k, v] : j["drops"].items()) sum += v.get<std::uint64_t>();
  EXPECT_EQ(sum, drops.total);

  const std::string metrics = client_metrics_text(s);
  EXPECT_NE(metrics.find("shipworm_drops_total{reason=\"send_failed\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shipworm_qualified 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("shipworm_info{role=\"client\""), std::string::npos) << metrics;

  std::string text;
  for (const auto& line : client_log_lines(s)) text += line + "\n";
  EXPECT_NE(text.find(", dropped " + std::to_string(drops.total) + "\n"), std::string::npos)
      << text;
  // The log lists the same reasons as status, I/O failures included.
  for (const auto& [reason, count] : drops.reasons) {
    EXPECT_NE(text.find(fmt::format("  dropped {}: {}\n", reason, count)), std::string::npos)
        << reason << "\n"
        << text;
  }
  EXPECT_NE(text.find("  dropped send_failed: 2\n"), std::string::npos) << text;
}

// docs/roaming.md: status, metrics and the log say when the host's network last changed
// under the client, why, and how long until it worked again.
TEST(ClientReport, NetworkChangeInStatusMetricsAndLog) {
  Started e;
  e.engine.on_network_change(core::TimePoint{} + 1s, "link eth0 went down", e.sink);
  auto s = snapshot(&e.engine);
  s.network_path = "eth0 10.0.1.10 via 10.0.1.1";
  auto j = nlohmann::ordered_json::parse(client_status_json(s));
  EXPECT_EQ(j["network_path"], "eth0 10.0.1.10 via 10.0.1.1");
  ASSERT_TRUE(j["last_network_change"].is_object()) << j.dump(2);
  EXPECT_EQ(j["last_network_change"]["seconds_ago"], 2.0);
  EXPECT_EQ(j["last_network_change"]["trigger"], "network");
  EXPECT_EQ(j["last_network_change"]["cause"], "link eth0 went down");
  EXPECT_TRUE(j["last_network_change"]["recovered_in_seconds"].is_null());

  const std::string metrics = client_metrics_text(s);
  EXPECT_NE(metrics.find("shipworm_network_changes_total{trigger=\"network\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shipworm_network_changes_total{trigger=\"dead_mapping\"} 0"),
            std::string::npos)
      << metrics;
  std::string text;
  for (const auto& line : client_log_lines(s)) text += line + "\n";
  EXPECT_NE(text.find("network path: eth0 10.0.1.10 via 10.0.1.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("last network change 2.0 s ago (network): link eth0 went down; not "
                      "working again yet\n"),
            std::string::npos)
      << text;
}

TEST(ClientReport, PeersDocumentCountsListedAndTruncated) {
  const auto none = nlohmann::ordered_json::parse(client_peers_json(snapshot(nullptr)));
  EXPECT_EQ(keys(none),
            (std::vector<std::string>{"role", "count", "listed", "truncated", "peers"}));
  EXPECT_EQ(none["count"], 0);
  EXPECT_EQ(none["truncated"], false);
}

// The RS -> RA round trip: an RA closes the exchange the latest RS opened.
TEST(ServerRttMeter, RaClosesTheLatestRs) {
  ServerRttMeter m;
  core::ClientCounters c;
  const core::TimePoint t0{};
  m.note(t0, c);
  EXPECT_FALSE(m.rtt().has_value());
  c.rs_sent = 1;
  m.note(t0 + 1s, c);  // RS sent
  c.rs_sent = 2;
  m.note(t0 + 2s, c);  // retransmitted: the latest RS opens the exchange
  c.ra_accepted = 1;
  m.note(t0 + 2s + 40ms, c);
  EXPECT_EQ(m.rtt(), 40ms);
  c.ra_accepted = 2;  // an RA without an outstanding RS changes nothing
  m.note(t0 + 5s, c);
  EXPECT_EQ(m.rtt(), 40ms);
  // Same call: an RA accepted and the next RS sent; the RA is checked first.
  c.rs_sent = 3;
  m.note(t0 + 6s, c);
  c.ra_accepted = 3;
  c.rs_sent = 4;
  m.note(t0 + 6s + 10ms, c);
  EXPECT_EQ(m.rtt(), 10ms);
  m.restart();  // a new engine counts from zero; the last RTT stays
  EXPECT_EQ(m.rtt(), 10ms);
  m.note(t0 + 7s, core::ClientCounters{});
  EXPECT_EQ(m.rtt(), 10ms);
}

}  // namespace
}  // namespace shipworm::daemon
