// Qualification behind every NAT model (RFC 4380 §5.2.1 with the RFC 5991 §3.2 flow: C = 0
// only, primary then secondary server address; RFC 6081 §5.2-5.4 flags).
#include <gtest/gtest.h>

#include "scenario.h"

namespace shipworm::sim {
namespace {

using namespace std::chrono_literals;
using core::NatType;

constexpr std::uint64_t kSeeds = 100;

// RFC 5991 §3.2: without the cone phase, cone and restricted NATs look alike; a different
// mapping through the secondary address means symmetric (RFC 4380 §5.2.1 step 7, RFC 6081
// §5.3.3). The port-preserving symmetric NAT keeps the local port on the first mapping only,
// so the primary mapping preserves the port (RFC 6081 §5.4.3) and the secondary does not.
NatType expected_nat_type(NatKind k) {
  return is_symmetric(k) ? NatType::kSymmetric : NatType::kConeOrRestricted;
}

class QualificationBehind : public ::testing::TestWithParam<NatKind> {};

TEST_P(QualificationBehind, DetectsTheNatTypeAndKeepsTheAddress) {
  const NatKind kind = GetParam();
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed, LinkProfile{5ms, 3ms});
    ClientHost& c = s.add_client(kind, ClientOptions::on(LinkProfile{20ms, 10ms}));
    const auto t0 = s.world.now();
    ASSERT_TRUE(s.qualify_all(30s)) << describe(c);
    // Two RS/RA exchanges, no loss: qualified within two round trips (< 1 s).
    EXPECT_LT(s.world.now() - t0, 1s);
    const auto st = c.engine().status();
    EXPECT_EQ(st.nat, expected_nat_type(kind)) << describe(c);
    EXPECT_EQ(st.symmetric, is_symmetric(kind));
    EXPECT_EQ(st.port_preserving, kind == NatKind::kPortPreservingSymmetric);
    const NatModel& nat = s.nat_of(c);
    EXPECT_EQ(st.mapping.address, nat.config().public_ip);
    ASSERT_TRUE(st.secondary_mapping);
    if (kind == NatKind::kSequentialSymmetric) {
      EXPECT_EQ(st.secondary_mapping->port, st.mapping.port + 1);  // RFC 6081 §3.4
    }
    if (kind == NatKind::kPortPreservingSymmetric) {
      EXPECT_EQ(st.mapping.port, c.local().port);
    }
    EXPECT_EQ(st.secondary_mapping->port != st.mapping.port, is_symmetric(kind));
    const auto a = c.engine().address();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->server, s.pair.primary);
    EXPECT_EQ(a->mapped, st.mapping);
    EXPECT_FALSE(a->cone());  // RFC 5991 §3.2
    EXPECT_TRUE(a->rfc5991_compliant());

    // The mapping outlives the refresh interval (120 s > 30 s): the address never changes.
    s.world.run_for(10min);
    EXPECT_EQ(c.engine().state(), core::ClientState::kQualified) << describe(c);
    EXPECT_EQ(c.engine().address(), a);
    EXPECT_EQ(c.address_events.size(), 1u);
    // RFC 4380 §5.2: a refresh every 22.5-30 s (75-100 % of 30 s), 2 RAs at qualification.
    const auto ras = s.server.engine().counters().ra_sent;
    EXPECT_GE(ras, 2u + 600 / 30);
    EXPECT_LE(ras, 2u + 600 * 4 / 90 + 1);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

INSTANTIATE_TEST_SUITE_P(EveryNat, QualificationBehind, ::testing::ValuesIn(kAllNatKinds),
                         nat_param_name);

// docs/rfc-notes.md §6.5: RSs to the primary at t = 0, 4, 8 (T = 4 s, N = 3) and Off-line at
// exactly t = 12 s when all are lost; then a bounded backoff (10 s, randomized to 75-100 %).
TEST(Qualification, Rfc4380_5_2_1_ServerUnreachableGoesOfflineAt12sThenRetries) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kPortRestricted);
    s.world.link_of(s.server).down = true;
    const auto t0 = s.world.now();
    c.start();
    s.world.run_for(12s - 1ms);
    EXPECT_EQ(c.engine().state(), core::ClientState::kStarting);
    s.world.run_for(1ms);
    ASSERT_EQ(c.engine().state(), core::ClientState::kOffline) << describe(c);
    EXPECT_EQ(c.engine().since() - t0, 12s);
    EXPECT_EQ(c.engine().counters().rs_sent, 3u);
    EXPECT_EQ(c.engine().nat_type(), NatType::kBlocked);
    // Back up: the retry comes within the first backoff (<= 10 s) and succeeds.
    s.world.link_of(s.server).down = false;
    ASSERT_TRUE(s.world.run_until_true(
        [&] { return c.engine().state() == core::ClientState::kQualified; }, 11s))
        << describe(c);
    EXPECT_GE(s.world.now() - t0, 12s + 7500ms);
    EXPECT_TRUE(s.world.violations().empty());
  });
}

}  // namespace
}  // namespace shipworm::sim
