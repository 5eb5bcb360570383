// Qualification (RFC 4380 §5.2.1, RFC 5991 §3.2, RFC 6081 §5.2-5.4).
#include <gtest/gtest.h>

#include "core/qualification.h"
#include "core_client_test_fakes.h"
#include "wire/auth_hmac.h"

namespace shipworm::core {
namespace {

using namespace testing;
using wire::Endpoint;
using wire::Nonce;

const Endpoint kMapping{v4("203.0.113.7"), 4000};
const Endpoint kMappingSecondary{v4("203.0.113.7"), 4011};

class QualificationTest : public ::testing::Test {
 protected:
  QualificationConfig config() {
    QualificationConfig c;
    c.local_port = 5000;  // not port-preserving unless a test says so
    return c;
  }
  void make(QualificationConfig c) {
    q_ = std::make_unique<Qualification>(std::move(c), random_, counters_);
  }
  void start(TimePoint now = t0) {
    if (!q_) make(config());
    q_->start(now, kServer, sink_);
  }
  // Feeds `payload` from `from`; returns the step.
  Qualification::Step feed(const std::vector<std::uint8_t>& payload, TimePoint now,
                           Endpoint from = kServer.primary_endpoint()) {
    auto p = wire::classify(payload);
    EXPECT_TRUE(p.ok());
    return q_->on_datagram(now, from, *p, sink_);
  }
  // Answers the last RS sent with a good RA carrying `mapping`.
  Qualification::Step answer(Endpoint mapping, TimePoint now) {
    const SentUdp& rs = sink_.udp.back();
    return feed(ra_datagram(rs_nonce(rs), mapping), now, rs.to);
  }
  std::uint64_t dropped(ClientDrop d) const { return counters_.count(d); }

  FakeRandom random_;
  ClientCounters counters_;
  RecordingSink sink_;
  std::unique_ptr<Qualification> q_;
};

TEST_F(QualificationTest, Rfc5991_3_2_FirstSolicitationIsAConeZeroRsWithNonceToThePrimary) {
  start();
  ASSERT_EQ(sink_.udp.size(), 1u);
  EXPECT_EQ(sink_.udp[0].to, (Endpoint{kServer.primary, 3544}));
  auto p = wire::classify(sink_.udp[0].payload);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->auth.has_value());  // the nonce travels in an auth header (§5.2.2)
  EXPECT_EQ(p->auth->client_id.size(), 0u);
  EXPECT_EQ(p->auth->auth_value.size(), 0u);
  EXPECT_EQ(p->auth->confirmation, 0);
  EXPECT_FALSE(p->origin.has_value());
  EXPECT_EQ(p->ipv6.src, wire::client_rs_link_local(false));  // C = 0
  EXPECT_EQ(p->ipv6.dst, wire::kAllRouters);
  EXPECT_EQ(p->ipv6.hop_limit, 255);
  EXPECT_TRUE(wire::parse_router_solicitation(p->ipv6).ok());
  EXPECT_EQ(q_->phase(), Qualification::Phase::kPrimary);
  EXPECT_EQ(q_->deadline(), t0 + 4s);
  EXPECT_EQ(counters_.rs_sent, 1u);
}

// RFC 4380 §5.2.1: RS to the primary at t = 0, 4, 8 -> Off-line at t = 12 s.
TEST_F(QualificationTest, Rfc4380_5_2_1_OfflineAfterThreeUnansweredSolicitations) {
  start();
  EXPECT_EQ(q_->on_timer(t0 + 3999ms, sink_), Qualification::Step::kNothing);
  EXPECT_EQ(sink_.udp.size(), 1u);
  EXPECT_EQ(q_->on_timer(t0 + 4s, sink_), Qualification::Step::kNothing);
  EXPECT_EQ(sink_.udp.size(), 2u);
  EXPECT_EQ(q_->deadline(), t0 + 8s);
  EXPECT_EQ(q_->on_timer(t0 + 8s, sink_), Qualification::Step::kNothing);
  EXPECT_EQ(sink_.udp.size(), 3u);
  EXPECT_EQ(q_->deadline(), t0 + 12s);
  EXPECT_EQ(q_->on_timer(t0 + 11999ms, sink_), Qualification::Step::kNothing);
  EXPECT_EQ(q_->on_timer(t0 + 12s, sink_), Qualification::Step::kFailed);
  EXPECT_EQ(sink_.udp.size(), 3u);  // N = 3 transmissions, not 3 retransmissions
  for (const auto& s : sink_.udp) {
    EXPECT_EQ(s.to, kServer.primary_endpoint());
    EXPECT_TRUE(is_rs(s));
  }
  EXPECT_EQ(q_->phase(), Qualification::Phase::kFailed);
  EXPECT_EQ(q_->nat_type(), NatType::kBlocked);
  EXPECT_EQ(q_->failure_cause(),
            "UDP blocked or server down: no reply from 198.51.100.1:3544 after 3 tries");
  EXPECT_EQ(q_->deadline(), kNoDeadline);
  EXPECT_EQ(counters_.qualification_failures, 1u);
}

TEST_F(QualificationTest, Rfc4380_5_2_1_RetransmissionsOfAPhaseReuseItsNonce) {
  start();
  q_->on_timer(t0 + 4s, sink_);
  ASSERT_EQ(sink_.udp.size(), 2u);
  EXPECT_EQ(rs_nonce(sink_.udp[0]), rs_nonce(sink_.udp[1]));
  // So a late answer to the first transmission still counts.
  EXPECT_EQ(feed(ra_datagram(rs_nonce(sink_.udp[0]), kMapping), t0 + 5s),
            Qualification::Step::kNothing);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kSecondary);
}

TEST_F(QualificationTest, Rfc5991_3_2_PrimaryRaStartsTheSecondaryPhaseWithAFreshNonce) {
  start();
  EXPECT_EQ(answer(kMapping, t0 + 50ms), Qualification::Step::kNothing);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kSecondary);
  ASSERT_EQ(sink_.udp.size(), 2u);
  EXPECT_EQ(sink_.udp[1].to, (Endpoint{kServer.secondary, 3544}));
  EXPECT_TRUE(is_rs(sink_.udp[1]));
  EXPECT_NE(rs_nonce(sink_.udp[0]), rs_nonce(sink_.udp[1]));
  EXPECT_EQ(q_->deadline(), t0 + 50ms + 4s);
  EXPECT_EQ(q_->attempts(), 1);
}

TEST_F(QualificationTest, Rfc4380_5_2_1_SameMappingViaSecondaryMeansConeOrRestricted) {
  start();
  answer(kMapping, t0 + 10ms);
  random_.script_u16(0xA55C);  // the RFC 5991 random bits are drawn now
  EXPECT_EQ(answer(kMapping, t0 + 20ms), Qualification::Step::kQualified);
  const auto& r = q_->result();
  EXPECT_EQ(q_->phase(), Qualification::Phase::kDone);
  EXPECT_EQ(r.nat, NatType::kConeOrRestricted);
  EXPECT_EQ(r.mapping, kMapping);
  EXPECT_EQ(r.secondary_mapping, kMapping);
  EXPECT_FALSE(r.symmetric);
  EXPECT_FALSE(r.port_preserving);
  EXPECT_EQ(r.server, kServer);
  // RFC 4380 §5.2.1 step 8 / RFC 5991 §3.1: prefix of the primary, C = 0, random bits.
  EXPECT_EQ(r.address.server, kServer.primary);
  EXPECT_EQ(r.address.flags, wire::make_flags(false, 0xA55C));
  EXPECT_EQ(r.address.flags, 0x245C);
  EXPECT_FALSE(r.address.cone());
  EXPECT_TRUE(r.address.rfc5991_compliant());
  EXPECT_EQ(r.address.mapped, kMapping);
  EXPECT_EQ(r.address.to_ipv6(), v6("2001:0:c633:6401:245c:f05f:34ff:8ef8"));
  EXPECT_EQ(r.summary, "mapping 203.0.113.7:4000, NAT cone-or-restricted");
  EXPECT_EQ(q_->deadline(), kNoDeadline);
  EXPECT_EQ(counters_.qualifications, 1u);
  EXPECT_EQ(counters_.ra_accepted, 2u);
}

TEST_F(QualificationTest, Rfc5991_3_2_SecondaryServerDetectsSymmetricNat) {
  start();
  answer(kMapping, t0 + 10ms);
  EXPECT_EQ(answer(kMappingSecondary, t0 + 20ms), Qualification::Step::kQualified);
  const auto& r = q_->result();
  EXPECT_EQ(r.nat, NatType::kSymmetric);
  EXPECT_TRUE(r.symmetric);  // RFC 6081 §5.3.3
  // RFC 6081 §5.2: the address is built from the primary mapping.
  EXPECT_EQ(r.mapping, kMapping);
  EXPECT_EQ(r.address.mapped, kMapping);
  EXPECT_EQ(r.secondary_mapping, kMappingSecondary);
  EXPECT_EQ(r.summary,
            "symmetric NAT: mapping 203.0.113.7:4000 via primary, :4011 via secondary; "
            "keeping the primary mapping (RFC 6081 §5.2)");
}

TEST_F(QualificationTest, Rfc6081_5_3_3_DifferentSecondaryAddressIsSymmetricToo) {
  start();
  answer(kMapping, t0 + 10ms);
  EXPECT_EQ(answer({v4("203.0.113.8"), 4000}, t0 + 20ms), Qualification::Step::kQualified);
  EXPECT_EQ(q_->result().nat, NatType::kSymmetric);
  EXPECT_NE(q_->result().summary.find("203.0.113.8:4000 via secondary"), std::string::npos);
}

TEST_F(QualificationTest, Rfc4380_5_2_1_SymmetricNatStopsWhenConfigured) {
  auto c = config();
  c.symmetric_policy = SymmetricNatResponse::kStop;
  make(c);
  start();
  answer(kMapping, t0 + 10ms);
  EXPECT_EQ(answer(kMappingSecondary, t0 + 20ms), Qualification::Step::kFailed);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kFailed);
  EXPECT_EQ(q_->nat_type(), NatType::kSymmetric);
  EXPECT_EQ(q_->failure_cause(),
            "symmetric NAT: mapping 203.0.113.7:4000 via primary, :4011 via secondary; "
            "Teredo unusable (RFC 4380 §5.2.1)");
}

TEST_F(QualificationTest, Rfc4380_5_2_1_NoReplyFromTheSecondaryMakesTheServiceUnusable) {
  start();
  answer(kMapping, t0 + 1s);  // secondary RSs at 1, 5, 9 -> failure at 13
  q_->on_timer(t0 + 5s, sink_);
  q_->on_timer(t0 + 9s, sink_);
  EXPECT_EQ(sink_.udp.size(), 4u);
  EXPECT_EQ(q_->on_timer(t0 + 12999ms, sink_), Qualification::Step::kNothing);
  EXPECT_EQ(q_->on_timer(t0 + 13s, sink_), Qualification::Step::kFailed);
  EXPECT_EQ(q_->nat_type(), NatType::kUnknown);
  EXPECT_EQ(q_->failure_cause(),
            "secondary server address unreachable: no reply from 198.51.100.2:3544 after 3 tries");
  for (std::size_t i = 1; i < sink_.udp.size(); ++i) {
    EXPECT_EQ(sink_.udp[i].to, kServer.secondary_endpoint());
  }
}

TEST_F(QualificationTest, OptionalSecondaryQualifiesWithUnknownNatType) {
  auto c = config();
  c.secondary_optional = true;
  make(c);
  start();
  answer(kMapping, t0);
  q_->on_timer(t0 + 4s, sink_);
  q_->on_timer(t0 + 8s, sink_);
  EXPECT_EQ(q_->on_timer(t0 + 12s, sink_), Qualification::Step::kQualified);
  EXPECT_EQ(q_->result().nat, NatType::kUnknown);
  EXPECT_FALSE(q_->result().secondary_mapping.has_value());
  EXPECT_FALSE(q_->result().symmetric);
  EXPECT_EQ(q_->result().address.mapped, kMapping);
}

TEST_F(QualificationTest, Rfc6081_5_4_3_PortPreservingWhenOriginPortEqualsLocalPort) {
  auto c = config();
  c.local_port = 4000;
  make(c);
  start();
  answer(kMapping, t0);
  answer(kMapping, t0);
  EXPECT_TRUE(q_->result().port_preserving);
  EXPECT_EQ(q_->result().summary,
            "mapping 203.0.113.7:4000, NAT cone-or-restricted, port-preserving");
}

TEST_F(QualificationTest, NoNatWhenTheMappingIsTheLocalAddressAndPort) {
  auto c = config();
  c.local_port = 4000;
  c.local_address = kMapping.address;
  make(c);
  start();
  answer(kMapping, t0);
  answer(kMapping, t0);
  EXPECT_EQ(q_->result().nat, NatType::kNone);
  EXPECT_EQ(q_->result().summary, "mapping 203.0.113.7:4000, NAT none");
}

TEST_F(QualificationTest, Rfc4380_5_1_2_LargerAdvertisedMtuIsKeptSmallerIgnored) {
  start();
  feed(ra_datagram(rs_nonce(sink_.udp.back()), kMapping, kServer.primary, 1400), t0);
  answer(kMapping, t0);
  EXPECT_EQ(q_->result().mtu, 1400u);
  q_->start(t0, kServer, sink_);
  feed(ra_datagram(rs_nonce(sink_.udp.back()), kMapping, kServer.primary, 1000), t0);
  answer(kMapping, t0);
  EXPECT_EQ(q_->result().mtu, 1280u);
}

// --- RA acceptance, RFC 4380 §5.2.1 step 5 -------------------------------------------

class RaAcceptanceTest : public QualificationTest {
 protected:
  void SetUp() override { start(); }
  Nonce nonce() { return rs_nonce(sink_.udp.back()); }
  // The RA must be dropped for reason `d`, the client must stay in the primary phase, and
  // the failure cause must name the reason.
  void expect_rejected(const std::vector<std::uint8_t>& payload, ClientDrop d,
                       Endpoint from = kServer.primary_endpoint()) {
    EXPECT_EQ(feed(payload, t0 + 1s, from), Qualification::Step::kNothing);
    EXPECT_EQ(dropped(d), 1u) << to_string(d);
    EXPECT_EQ(q_->phase(), Qualification::Phase::kPrimary);
    EXPECT_EQ(counters_.ra_accepted, 0u);
    q_->on_timer(t0 + 4s, sink_);
    q_->on_timer(t0 + 8s, sink_);
    EXPECT_EQ(q_->on_timer(t0 + 12s, sink_), Qualification::Step::kFailed);
    EXPECT_NE(q_->failure_cause().find("last RA rejected: " + std::string(to_string(d))),
              std::string::npos)
        << q_->failure_cause();
  }
};

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_AcceptsAGoodRa) {
  EXPECT_EQ(feed(ra_datagram(nonce(), kMapping), t0), Qualification::Step::kNothing);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kSecondary);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsRaFromAnotherHost) {
  expect_rejected(ra_datagram(nonce(), kMapping), ClientDrop::kRaWrongSource,
                  {v4("192.0.2.66"), 3544});
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsRaFromTheServerOnAnotherPort) {
  expect_rejected(ra_datagram(nonce(), kMapping), ClientDrop::kRaWrongSource,
                  {kServer.primary, 3545});
}

// With C = 0 the server answers from the address the RS went to; an RA from the secondary
// address during the primary phase is what a cone RS would get, and we sent none.
TEST_F(RaAcceptanceTest, Rfc5991_3_2_RejectsRaFromTheSecondaryDuringThePrimaryPhase) {
  expect_rejected(ra_datagram(nonce(), kMapping), ClientDrop::kRaWrongSource,
                  kServer.secondary_endpoint());
}

TEST_F(RaAcceptanceTest, Rfc5991_3_2_RejectsRaFromThePrimaryDuringTheSecondaryPhase) {
  answer(kMapping, t0);
  EXPECT_EQ(feed(ra_datagram(rs_nonce(sink_.udp.back()), kMapping), t0),
            Qualification::Step::kNothing);
  EXPECT_EQ(dropped(ClientDrop::kRaWrongSource), 1u);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kSecondary);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsRaWithoutOriginIndication) {
  expect_rejected(wrap(nonce(), std::nullopt, ra_packet(good_ra_params())),
                  ClientDrop::kRaNoOrigin);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_2_RejectsRaThatDoesNotEchoTheNonce) {
  expect_rejected(wrap(std::nullopt, kMapping, ra_packet(good_ra_params())), ClientDrop::kRaNoAuth);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_2_RejectsRaWithAnotherNonce) {
  Nonce other = nonce();
  other[7] ^= 1;
  expect_rejected(ra_datagram(other, kMapping), ClientDrop::kRaNonceMismatch);
}

TEST_F(RaAcceptanceTest, Rfc4861_6_1_2_RejectsRaWithBadChecksum) {
  auto ra = ra_packet(good_ra_params());
  ra[42] ^= 0xff;
  EXPECT_EQ(feed(wrap(nonce(), kMapping, ra), t0), Qualification::Step::kNothing);
  EXPECT_EQ(counters_.count(wire::DropReason::kIcmpv6BadChecksum), 1u);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kPrimary);
}

TEST_F(RaAcceptanceTest, Rfc4861_6_1_2_RejectsRaWithHopLimitBelow255) {
  auto ra = ra_packet(good_ra_params());
  ra[7] = 254;
  EXPECT_EQ(feed(wrap(nonce(), kMapping, ra), t0), Qualification::Step::kNothing);
  EXPECT_EQ(counters_.count(wire::DropReason::kNdBadHopLimit), 1u);
}

TEST_F(RaAcceptanceTest, Rfc4861_6_1_2_RejectsRaFromAGlobalSource) {
  auto p = good_ra_params();
  p.src = v6("2001:db8::1");
  EXPECT_EQ(feed(wrap(nonce(), kMapping, ra_packet(p)), t0), Qualification::Step::kNothing);
  EXPECT_EQ(counters_.count(wire::DropReason::kRaSourceNotLinkLocal), 1u);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsRaNotToTheRsSource) {
  auto p = good_ra_params();
  p.dst = wire::client_rs_link_local(true);
  expect_rejected(wrap(nonce(), kMapping, ra_packet(p)), ClientDrop::kRaWrongDestination);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsRaWithoutPrefixInformation) {
  auto ra = ra_packet(good_ra_params());
  ra.erase(ra.begin() + 40 + 16, ra.begin() + 40 + 16 + 32);  // drop the PIO
  test::fix_icmpv6(ra);
  expect_rejected(wrap(nonce(), kMapping, ra), ClientDrop::kRaPrefixCount);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsRaWithTwoPrefixInformationOptions) {
  auto ra = ra_packet(good_ra_params());
  std::vector<std::uint8_t> pio(ra.begin() + 40 + 16, ra.begin() + 40 + 16 + 32);
  ra.insert(ra.end(), pio.begin(), pio.end());
  test::fix_icmpv6(ra);
  expect_rejected(wrap(nonce(), kMapping, ra), ClientDrop::kRaPrefixCount);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsPrefixOfAnotherServer) {
  expect_rejected(ra_datagram(nonce(), kMapping, v4("198.51.100.9")), ClientDrop::kRaWrongPrefix);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsPrefixOutsideTheTeredoServicePrefix) {
  auto p = good_ra_params();
  p.prefix.prefix = v6("3ffe:831f:c633:6401::");
  expect_rejected(wrap(nonce(), kMapping, ra_packet(p)), ClientDrop::kRaWrongPrefix);
}

TEST_F(RaAcceptanceTest, Rfc4380_5_2_1_RejectsPrefixLengthOtherThan64) {
  auto p = good_ra_params();
  p.prefix.prefix_length = 48;
  expect_rejected(wrap(nonce(), kMapping, ra_packet(p)), ClientDrop::kRaWrongPrefix);
}

TEST_F(RaAcceptanceTest, Rfc4380_4_RejectsNonGlobalMapping) {
  expect_rejected(ra_datagram(nonce(), {v4("10.1.2.3"), 4000}), ClientDrop::kRaMappingNotGlobal);
}

TEST_F(RaAcceptanceTest, IgnoresRaWhenNotQualifying) {
  q_->cancel();
  EXPECT_EQ(feed(ra_datagram(nonce(), kMapping), t0), Qualification::Step::kNothing);
  EXPECT_EQ(dropped(ClientDrop::kRaUnexpected), 1u);
  EXPECT_EQ(q_->deadline(), kNoDeadline);
}

// --- Secure qualification, RFC 4380 §5.2.2 --------------------------------------------

class SecureQualificationTest : public QualificationTest {
 protected:
  void SetUp() override {
    auto c = config();
    c.credentials = ClientCredentials{{'c', 'l', 'i'}, {'s', 'e', 'c', 'r', 'e', 't'}};
    make(c);
    start();
  }
  std::vector<std::uint8_t> signed_ra(const std::string& secret) {
    const auto& rs = sink_.udp.back();
    const std::vector<std::uint8_t> id{'c', 'l', 'i'};
    const std::vector<std::uint8_t> key(secret.begin(), secret.end());
    test::Buffer b;
    wire::RaDatagramParams p;
    p.server = kServer.primary;
    p.client_ll = wire::client_rs_link_local(false);
    p.mapping = kMapping;
    p.nonce = rs_nonce(rs);
    p.secure = wire::SecureQualification{id, key};
    EXPECT_TRUE(wire::write_ra_datagram(b.w, p));
    return b.vec();
  }
};

TEST_F(SecureQualificationTest, Rfc4380_5_2_2_RsCarriesClientIdAndValidHmac) {
  auto p = wire::classify(sink_.udp[0].payload);
  ASSERT_TRUE(p.ok() && p->auth);
  EXPECT_EQ(p->auth->client_id.size(), 3u);
  EXPECT_EQ(p->auth->auth_value.size(), wire::kHmacSha1Size);
  const std::vector<std::uint8_t> key{'s', 'e', 'c', 'r', 'e', 't'};
  EXPECT_TRUE(wire::verify_auth_value(key, *p));
}

TEST_F(SecureQualificationTest, Rfc4380_5_2_2_AcceptsRaWithValidHmac) {
  feed(signed_ra("secret"), t0);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kSecondary);
}

TEST_F(SecureQualificationTest, Rfc4380_5_2_2_RejectsRaWithWrongHmac) {
  feed(signed_ra("guess"), t0);
  EXPECT_EQ(dropped(ClientDrop::kRaAuthFailed), 1u);
  EXPECT_EQ(q_->phase(), Qualification::Phase::kPrimary);
}

TEST_F(SecureQualificationTest, Rfc4380_5_2_2_RejectsUnsignedRa) {
  feed(ra_datagram(rs_nonce(sink_.udp.back()), kMapping), t0);
  EXPECT_EQ(dropped(ClientDrop::kRaAuthFailed), 1u);
}

}  // namespace
}  // namespace shipworm::core
