// Maintenance (RFC 4380 §5.2, §5.2.5; RFC 6081 §5.1.1) and the server
// rotation with failover and bounded backoff.
#include <gtest/gtest.h>

#include "core/maintenance.h"
#include "core_client_test_fakes.h"

namespace shipworm::core {
namespace {

using namespace testing;
using wire::Endpoint;

const Endpoint kMapping{v4("203.0.113.7"), 4000};
const Endpoint kNewMapping{v4("203.0.113.7"), 4100};

QualificationResult qualified(std::uint16_t random_bits = 0x1234) {
  QualificationResult r;
  r.server = kServer;
  r.mapping = kMapping;
  r.nat = NatType::kConeOrRestricted;
  r.address = wire::TeredoAddress{kServer.primary, wire::make_flags(false, random_bits), kMapping};
  return r;
}

class MaintenanceTest : public ::testing::Test {
 protected:
  void make(MaintenanceConfig c = {}) {
    m_ = std::make_unique<Maintenance>(std::move(c), random_, counters_);
  }
  // Starts at t0 with the randomized interval fraction `f` of [low, high].
  void start(double f = 0.5, MaintenanceConfig c = {}) {
    make(std::move(c));
    random_.script_unit(f);
    m_->start(t0, qualified());
  }
  Maintenance::Step feed(const std::vector<std::uint8_t>& payload, TimePoint now,
                         Endpoint from = kServer.primary_endpoint()) {
    auto p = wire::classify(payload);
    EXPECT_TRUE(p.ok());
    return m_->on_datagram(now, from, *p, sink_);
  }
  // Runs the timer to the refresh deadline; returns the time the RS went out.
  TimePoint solicit() {
    const TimePoint at = m_->deadline();
    EXPECT_EQ(m_->on_timer(at, sink_), Maintenance::Step::kNothing);
    EXPECT_TRUE(m_->soliciting());
    return at;
  }
  wire::Nonce last_nonce() { return rs_nonce(sink_.udp.back()); }

  FakeRandom random_;
  ClientCounters counters_;
  RecordingSink sink_;
  std::unique_ptr<Maintenance> m_;
};

TEST_F(MaintenanceTest, Rfc4380_5_2_RandomizedRefreshIntervalIsWithin75To100Percent) {
  start(0.0);
  EXPECT_EQ(m_->randomized_interval(), 22500ms);  // 75% of 30 s
  EXPECT_EQ(m_->deadline(), t0 + 22500ms);
  start(0.5);
  EXPECT_EQ(m_->randomized_interval(), 26250ms);
  start(0.99999999);
  EXPECT_GT(m_->randomized_interval(), 29999ms);
  EXPECT_LE(m_->randomized_interval(), 30s);
}

TEST_F(MaintenanceTest, Rfc6081_5_1_1_RefreshIntervalAndRangeAreConfigurable) {
  MaintenanceConfig c;
  c.refresh_interval = 60s;
  c.randomize_low = 0.5;
  c.randomize_high = 1.5;
  start(0.0, c);
  EXPECT_EQ(m_->randomized_interval(), 30s);
  start(0.5, c);
  EXPECT_EQ(m_->randomized_interval(), 60s);
}

TEST_F(MaintenanceTest, Rfc4380_5_2_5_SolicitsWhenNothingWasHeardWithinTheInterval) {
  start(0.5);  // 26.25 s
  EXPECT_EQ(m_->on_timer(t0 + 26249ms, sink_), Maintenance::Step::kNothing);
  EXPECT_TRUE(sink_.udp.empty());
  EXPECT_EQ(m_->on_timer(t0 + 26250ms, sink_), Maintenance::Step::kNothing);
  ASSERT_EQ(sink_.udp.size(), 1u);
  EXPECT_EQ(sink_.udp[0].to, kServer.primary_endpoint());
  ASSERT_TRUE(is_rs(sink_.udp[0]));
  auto p = wire::classify(sink_.udp[0].payload);
  EXPECT_EQ(p->ipv6.src, wire::client_rs_link_local(false));  // the C that qualified: 0
  EXPECT_EQ(m_->deadline(), t0 + 26250ms + 4s);
}

TEST_F(MaintenanceTest, Rfc4380_5_2_5_SameMappingKeepsTheAddressAndItsRandomBits) {
  start(0.5);
  const auto before = m_->address();
  const TimePoint at = solicit();
  random_.script_unit(0.0);  // next interval 22.5 s
  EXPECT_EQ(feed(ra_datagram(last_nonce(), kMapping), at + 30ms), Maintenance::Step::kRefreshed);
  EXPECT_EQ(m_->address(), before);
  EXPECT_EQ(m_->address().random_bits(), 0x1034);  // 0x1234 & 0x3CFF
  EXPECT_FALSE(m_->soliciting());
  EXPECT_EQ(m_->last_server_rx(), at + 30ms);
  EXPECT_EQ(m_->deadline(), at + 30ms + 22500ms);
  EXPECT_EQ(counters_.address_changes, 0u);
}

TEST_F(MaintenanceTest, Rfc4380_5_2_5_NewMappingWithdrawsTheOldAddressForANewOne) {
  start(0.5);
  const TimePoint at = solicit();
  random_.script_unit(0.5);
  random_.script_u16(0x0042);  // the new address's random bits
  EXPECT_EQ(feed(ra_datagram(last_nonce(), kNewMapping), at), Maintenance::Step::kMappingChanged);
  EXPECT_EQ(m_->mapping(), kNewMapping);
  EXPECT_EQ(m_->address().flags, 0x0042);
  EXPECT_EQ(m_->address().server, kServer.primary);
  EXPECT_EQ(m_->cause(), "mapping changed from 203.0.113.7:4000 to 203.0.113.7:4100");
  EXPECT_EQ(counters_.address_changes, 1u);
}

// RFC 4380 §5.2.1 timing (4 s, 3 attempts) applied to refresh (§5.2.5): RS at D, D+4, D+8 -> lost
// at D+12.
TEST_F(MaintenanceTest, Rfc4380_5_2_5_ServerLostAfterThreeUnansweredSolicitations) {
  start(0.5);
  const TimePoint d = solicit();
  EXPECT_EQ(m_->on_timer(d + 4s, sink_), Maintenance::Step::kNothing);
  EXPECT_EQ(m_->on_timer(d + 8s, sink_), Maintenance::Step::kNothing);
  EXPECT_EQ(sink_.udp.size(), 3u);
  EXPECT_EQ(rs_nonce(sink_.udp[0]), rs_nonce(sink_.udp[2]));  // one round, one nonce
  EXPECT_EQ(m_->on_timer(d + 11999ms, sink_), Maintenance::Step::kNothing);
  EXPECT_EQ(m_->on_timer(d + 12s, sink_), Maintenance::Step::kServerLost);
  EXPECT_EQ(m_->cause(), "server 198.51.100.1:3544 lost: no reply after 3 solicitations");
  EXPECT_FALSE(m_->running());
  EXPECT_EQ(m_->deadline(), kNoDeadline);
  EXPECT_EQ(counters_.server_losses, 1u);
}

TEST_F(MaintenanceTest, Rfc4380_5_2_5_AnswerToTheSecondSolicitationRefreshes) {
  start(0.5);
  const TimePoint d = solicit();
  m_->on_timer(d + 4s, sink_);
  EXPECT_EQ(feed(ra_datagram(last_nonce(), kMapping), d + 5s), Maintenance::Step::kRefreshed);
  EXPECT_EQ(m_->on_timer(d + 12s, sink_), Maintenance::Step::kNothing);
  EXPECT_TRUE(m_->running());
}

TEST_F(MaintenanceTest, Rfc4380_5_2_5_InvalidRasAreDroppedSilently) {
  start(0.5);
  const TimePoint d = solicit();
  wire::Nonce bad = last_nonce();
  bad[0] ^= 0x80;
  EXPECT_EQ(feed(ra_datagram(bad, kNewMapping), d), Maintenance::Step::kNothing);
  EXPECT_EQ(counters_.count(ClientDrop::kRaNonceMismatch), 1u);
  EXPECT_EQ(feed(ra_datagram(last_nonce(), kNewMapping), d, kServer.secondary_endpoint()),
            Maintenance::Step::kNothing);
  EXPECT_EQ(counters_.count(ClientDrop::kRaWrongSource), 1u);
  EXPECT_EQ(feed(ra_datagram(last_nonce(), kNewMapping, kServer2.primary), d),
            Maintenance::Step::kNothing);
  EXPECT_EQ(counters_.count(ClientDrop::kRaWrongPrefix), 1u);
  EXPECT_EQ(feed(ra_datagram(last_nonce(), {v4("192.168.1.1"), 4000}), d),
            Maintenance::Step::kNothing);
  EXPECT_EQ(counters_.count(ClientDrop::kRaMappingNotGlobal), 1u);
  EXPECT_TRUE(m_->soliciting());
  EXPECT_EQ(m_->mapping(), kMapping);
}

TEST_F(MaintenanceTest, Rfc4380_5_2_5_RaWithoutAnOutstandingSolicitationIsIgnored) {
  start(0.5);
  EXPECT_EQ(feed(ra_datagram(wire::Nonce{}, kNewMapping), t0 + 1s), Maintenance::Step::kNothing);
  EXPECT_EQ(counters_.count(ClientDrop::kRaUnexpected), 1u);
  EXPECT_EQ(m_->mapping(), kMapping);
}

// --- ServerRotation -------------------------------------------------------------------

TEST(ServerRotationTest, FailsOverToTheNextServerAtOnceThenBacksOff) {
  FakeRandom random;
  ServerRotation r({kServer, kServer2}, RetryConfig{10s, 300s}, random);
  EXPECT_EQ(r.current(), kServer);
  EXPECT_EQ(r.after_failure(), Duration::zero());  // kServer2 not tried yet
  EXPECT_EQ(r.current(), kServer2);
  random.script_unit(0.0);
  EXPECT_EQ(r.after_failure(), 7500ms);  // both failed: 10 s x 75%
  EXPECT_EQ(r.current(), kServer);
  EXPECT_EQ(r.after_failure(), Duration::zero());
  random.script_unit(0.0);
  EXPECT_EQ(r.after_failure(), 15s);  // 20 s x 75%
}

TEST(ServerRotationTest, BackoffIsExponentialAndBounded) {
  FakeRandom random;
  ServerRotation r({kServer}, RetryConfig{10s, 300s}, random);
  const Duration expected[] = {10s, 20s, 40s, 80s, 160s, 300s, 300s};
  for (auto e : expected) {
    random.script_unit(0.99999999);
    const Duration d = r.after_failure();
    EXPECT_LE(d, e);
    EXPECT_GT(d, e - 1ms);
    EXPECT_EQ(r.current(), kServer);
  }
  r.after_success();
  random.script_unit(0.99999999);
  EXPECT_GT(r.after_failure(), 9999ms);
}

TEST(ServerRotationTest, LosingAServerMovesOnWithoutDelay) {
  FakeRandom random;
  ServerRotation r({kServer, kServer2}, RetryConfig{}, random);
  r.after_failure();
  r.after_loss();
  EXPECT_EQ(r.current(), kServer);
  EXPECT_EQ(r.failures(), 0);
}

}  // namespace
}  // namespace shipworm::core
