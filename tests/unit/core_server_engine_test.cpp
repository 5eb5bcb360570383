#include <gtest/gtest.h>

#include <set>

#include "core/server_engine.h"
#include "test_util.h"
#include "wire/auth_hmac.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/messages.h"
#include "wire/router_discovery.h"
#include "wire/teredo_address.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

using namespace std::chrono_literals;
using wire::Bytes;
using wire::DropReason;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;
using wire::Nonce;
using wire::TeredoAddress;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

const Ipv4Address kPrimary = v4("198.51.100.1");
const Ipv4Address kSecondary = v4("198.51.100.2");
const Endpoint kClientA{v4("203.0.113.7"), 40000};  // a NAT's public mapping
const Endpoint kClientB{v4("192.0.2.20"), 50000};
const Endpoint kRelay{v4("192.0.2.99"), 3544};
const Ipv6Address kNative = v6("2001:db8:1::10");
const TimePoint t0{};

Ipv6Address teredo_of(Endpoint mapping, Ipv4Address server = kPrimary, std::uint16_t flags = 0) {
  return TeredoAddress{server, flags, mapping}.to_ipv6();
}

ServerEngineConfig base_config() {
  ServerEngineConfig c;
  c.primary = kPrimary;
  c.secondary = kSecondary;
  c.hash_key = 12345;
  return c;
}

// What the server sent, copied out of the engine's scratch buffer.
struct Out {
  ServerOutput::Kind kind = ServerOutput::Kind::kNone;
  Ipv4Address from;
  Endpoint to;
  std::vector<std::uint8_t> payload;
  std::uint16_t also_from_port = 0;
};

class ServerEngineTest : public ::testing::Test {
 protected:
  Out feed(Endpoint src, Bytes payload, Ipv4Address local = kPrimary, TimePoint now = t0) {
    const auto o = engine_->on_datagram(now, {src, local, payload});
    return {o.kind, o.from, o.to, {o.payload.begin(), o.payload.end()}, o.also_from_port};
  }
  std::uint64_t dropped(ServerDrop d) const {
    return engine_->counters().dropped[static_cast<std::size_t>(d)];
  }
  std::uint64_t malformed(DropReason r) const {
    return engine_->counters().malformed[static_cast<std::size_t>(r)];
  }
  void reset(ServerEngineConfig c) { engine_ = std::make_unique<ServerEngine>(std::move(c)); }

  std::unique_ptr<ServerEngine> engine_ = std::make_unique<ServerEngine>(base_config());
};

std::vector<std::uint8_t> rs(bool cone,
                             std::optional<Nonce> nonce = Nonce{1, 2, 3, 4, 5, 6, 7, 8}) {
  test::Buffer b;
  if (nonce) {
    EXPECT_TRUE(wire::write_rs_datagram(b.w, *nonce, cone));
  } else {
    EXPECT_TRUE(wire::write_router_solicitation(b.w, wire::client_rs_link_local(cone)));
  }
  return b.vec();
}

std::vector<std::uint8_t> bubble(const Ipv6Address& src, const Ipv6Address& dst) {
  test::Buffer b;
  EXPECT_TRUE(wire::write_bubble(b.w, src, dst, 0));
  return b.vec();
}

std::vector<std::uint8_t> echo(const Ipv6Address& src, const Ipv6Address& dst,
                               std::size_t data_len = 8, std::uint8_t hop = 64,
                               bool request = true) {
  test::Buffer b;
  std::vector<std::uint8_t> data(data_len, 0x5a);
  EXPECT_TRUE(wire::write_echo(b.w, wire::EchoParams{request, src, dst, hop, 0x77, 3, data}));
  return b.vec();
}

TEST_F(ServerEngineTest, Rfc4380_5_3_2_AnswersRsWithRaCarryingMappingPrefixMtuAndNonce) {
  const auto o = feed(kClientA, rs(false));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(o.to, kClientA);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->auth.has_value());
  EXPECT_EQ(p->auth->nonce, (Nonce{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(p->auth->confirmation, 0);
  ASSERT_TRUE(p->origin.has_value());
  EXPECT_EQ(*p->origin, kClientA);
  EXPECT_EQ(p->ipv6.src, wire::server_link_local(kPrimary));
  EXPECT_EQ(p->ipv6.dst, wire::client_rs_link_local(false));
  auto ra = wire::parse_router_advertisement(p->ipv6);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra->prefix_count, 1);
  EXPECT_EQ(ra->prefix.prefix, v6("2001:0:c633:6401::"));
  EXPECT_EQ(ra->prefix.prefix_length, 64);
  EXPECT_EQ(ra->mtu, 1280u);
  EXPECT_EQ(engine_->counters().rs_received, 1u);
  EXPECT_EQ(engine_->counters().ra_sent, 1u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_2_ConeBitClearAnswersFromTheReceivingAddress) {
  EXPECT_EQ(feed(kClientA, rs(false), kPrimary).from, kPrimary);
  EXPECT_EQ(feed(kClientA, rs(false), kSecondary).from, kSecondary);
}

TEST_F(ServerEngineTest, Rfc5991_3_2_ConeBitSetAnswersFromTheOtherAddress) {
  EXPECT_EQ(feed(kClientA, rs(true), kPrimary).from, kSecondary);
  EXPECT_EQ(feed(kClientA, rs(true), kSecondary).from, kPrimary);
  // The RA still advertises the primary address's prefix and comes from its link-local.
  const auto o = feed(kClientA, rs(true), kSecondary);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ipv6.src, wire::server_link_local(kPrimary));
  EXPECT_EQ(p->ipv6.dst, wire::client_rs_link_local(true));
}

TEST_F(ServerEngineTest, Rfc4380_5_3_2_RsWithoutAuthGetsRaWithoutAuth) {
  const auto o = feed(kClientA, rs(false, std::nullopt));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->auth.has_value());
  EXPECT_TRUE(p->origin.has_value());
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule1_DropsMalformedDatagramsByReason) {
  const std::uint8_t ipv4[] = {0x45, 0, 0, 20};
  EXPECT_EQ(feed(kClientA, ipv4).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kUnknownEncapsulation), 1u);
  auto r = rs(false);
  EXPECT_EQ(feed(kClientA, Bytes(r).first(30)).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kIpv6Truncated), 1u);
  EXPECT_EQ(feed(kClientA, Bytes(r).first(r.size() - 1)).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kIpv6LengthExceedsDatagram), 1u);
  EXPECT_EQ(feed(kClientA, {}).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kEmptyPayload), 1u);
  EXPECT_EQ(engine_->counters().total_dropped(), 4u);
}

TEST_F(ServerEngineTest, Rfc4861_6_1_1_DropsRsWithBadChecksumOrHopLimit) {
  auto bad_sum = rs(false);
  bad_sum.back() ^= 1;
  EXPECT_EQ(feed(kClientA, bad_sum).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kIcmpv6BadChecksum), 1u);
  auto bad_hop = rs(false);
  bad_hop[13 + 7] = 64;
  EXPECT_EQ(feed(kClientA, bad_hop).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kNdBadHopLimit), 1u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule2_DropsWhatIsNeitherBubbleNorIcmpv6) {
  test::Buffer b;
  wire::write_ipv6_header(b.w, {teredo_of(kClientA), kNative, 17, 64, 0, 0, 0});
  EXPECT_EQ(feed(kClientA, b.bytes()).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kNotBubbleOrIcmpv6), 1u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule3_DropsNonGlobalIpv4Sources) {
  for (const char* src : {"10.0.0.1", "192.168.1.1", "127.0.0.1", "224.0.0.1", "0.0.0.1"}) {
    SCOPED_TRACE(src);
    EXPECT_EQ(feed({v4(src), 4000}, rs(false)).kind, ServerOutput::Kind::kNone);
  }
  EXPECT_EQ(dropped(ServerDrop::kSourceNotGlobal), 5u);
  EXPECT_EQ(engine_->counters().ra_sent, 0u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule4_SecureQualificationVerifiesTheHmac) {
  auto c = base_config();
  c.require_auth = true;
  c.secrets["alice"] = "s3cret";
  reset(c);
  const std::string id = "alice";
  const Bytes id_bytes(reinterpret_cast<const std::uint8_t*>(id.data()), id.size());
  auto secure_rs = [&](const std::string& secret, const std::string& who) {
    test::Buffer b;
    EXPECT_TRUE(wire::write_rs_datagram(
        b.w, Nonce{9, 8, 7, 6, 5, 4, 3, 2}, false,
        wire::SecureQualification{
            Bytes(reinterpret_cast<const std::uint8_t*>(who.data()), who.size()),
            Bytes(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size())}));
    return b.vec();
  };
  EXPECT_EQ(feed(kClientA, rs(false)).kind, ServerOutput::Kind::kNone);  // no ID, no value
  EXPECT_EQ(dropped(ServerDrop::kAuthUnknownClient), 1u);
  EXPECT_EQ(feed(kClientA, rs(false, std::nullopt)).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kAuthMissing), 1u);
  EXPECT_EQ(feed(kClientA, secure_rs("wrong", "alice")).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kAuthFailed), 1u);
  EXPECT_EQ(feed(kClientA, secure_rs("s3cret", "bob")).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kAuthUnknownClient), 2u);

  const auto o = feed(kClientA, secure_rs("s3cret", "alice"));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->auth.has_value());
  EXPECT_EQ(test::to_hex(p->auth->client_id), test::to_hex(id_bytes));
  EXPECT_EQ(p->auth->nonce, (Nonce{9, 8, 7, 6, 5, 4, 3, 2}));
  EXPECT_EQ(p->auth->confirmation, 0);
  const std::string secret = "s3cret";
  EXPECT_TRUE(wire::verify_auth_value(
      Bytes(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()), *p));
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule5_ForwardsBubbleFromMatchingTeredoSource) {
  const auto o = feed(kClientA, bubble(teredo_of(kClientA), teredo_of(kClientB)));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(o.from, kPrimary);
  EXPECT_EQ(o.to, kClientB);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  // B is a client of this server: the origin indication names A's mapping (§5.3.1).
  ASSERT_TRUE(p->origin.has_value());
  EXPECT_EQ(*p->origin, kClientA);
  EXPECT_TRUE(wire::is_bubble(p->ipv6));
  EXPECT_EQ(engine_->counters().forwarded_teredo, 1u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule5_DropsTeredoSourceThatDoesNotMatchItsMapping) {
  // Spoofed: the Teredo source embeds B's mapping but the datagram comes from A.
  EXPECT_EQ(feed(kClientA, bubble(teredo_of(kClientB), teredo_of(kClientB))).kind,
            ServerOutput::Kind::kNone);
  // Same address, other port.
  EXPECT_EQ(feed({kClientA.address, 40001}, bubble(teredo_of(kClientA), teredo_of(kClientB))).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kTeredoSourceMismatch), 2u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_Rule6_AcceptsNonTeredoSourceOnlyToItsOwnClients) {
  // A relay's indirect bubble (native source) to a client of this server.
  const auto o = feed(kRelay, bubble(kNative, teredo_of(kClientB)));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(o.to, kClientB);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->origin, kRelay);
  // Miredo clients send bubbles from a link-local source: same rule.
  EXPECT_EQ(feed(kClientA, bubble(v6("fe80::1234"), teredo_of(kClientB))).kind,
            ServerOutput::Kind::kUdp);
  // To a client of another server: rule 7.
  EXPECT_EQ(feed(kRelay, bubble(kNative, teredo_of(kClientB, v4("192.0.2.1")))).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kNotAccepted), 1u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_NoOriginIndicationForClientsOfOtherServers) {
  const auto o = feed(kClientA, bubble(teredo_of(kClientA), teredo_of(kClientB, v4("192.0.2.1"))));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(o.to, kClientB);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->origin.has_value());
}

TEST_F(ServerEngineTest, Rfc6081_4_ForwardsTrailersIntactAndStripsTheAuthHeader) {
  test::Buffer b;
  wire::write_auth_header(b.w, {}, {}, Nonce{}, 0);
  wire::write_bubble(b.w, teredo_of(kClientA), teredo_of(kClientB), 0);
  wire::write_nonce_trailer(b.w, wire::Nonce32{0x01020304});
  wire::write_random_port_trailer(b.w, 4242);
  const auto o = feed(kClientA, b.bytes());
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->auth.has_value());
  auto t = wire::parse_trailers(p->ipv6.trailing);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nonce, wire::Nonce32{0x01020304});
  EXPECT_EQ(t->random_port, 4242);
}

TEST_F(ServerEngineTest, Rfc4380_5_2_9_ForwardsPingTestToNativeHostDecrementingHopLimit) {
  const auto req = echo(teredo_of(kClientA), kNative, 8, 128);
  const auto o = feed(kClientA, req);
  ASSERT_EQ(o.kind, ServerOutput::Kind::kIpv6);
  ASSERT_EQ(o.payload.size(), req.size());
  EXPECT_EQ(o.payload[7], 127);
  // Nothing else changed (the hop limit is not in the ICMPv6 checksum).
  auto expect = req;
  expect[7] = 127;
  EXPECT_EQ(o.payload, expect);
  EXPECT_EQ(engine_->counters().forwarded_native, 1u);
  EXPECT_EQ(feed(kClientA, echo(teredo_of(kClientA), kNative, 8, 1)).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kHopLimitExceeded), 1u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_NeverForwardsToNonGlobalScope) {
  for (const char* dst : {"fe80::1", "ff05::1", "ff02::1", "::1", "fec0::1"}) {
    SCOPED_TRACE(dst);
    EXPECT_EQ(feed(kClientA, echo(teredo_of(kClientA), v6(dst))).kind, ServerOutput::Kind::kNone);
  }
  EXPECT_EQ(dropped(ServerDrop::kDestinationNotGlobal), 5u);
}

TEST_F(ServerEngineTest, Rfc4380_5_3_1_DropsTeredoDestinationWithNonGlobalMapping) {
  EXPECT_EQ(feed(kClientA, bubble(teredo_of(kClientA), teredo_of({v4("10.1.2.3"), 4000}))).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(feed(kClientA, bubble(teredo_of(kClientA), teredo_of({v4("192.0.2.5"), 0}))).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kTeredoDestinationInvalid), 2u);
}

TEST_F(ServerEngineTest, LoopProtection_DropsFromOwnServiceAddressAndToOwnMapping) {
  EXPECT_EQ(feed({kPrimary, 3544}, rs(false)).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(feed({kSecondary, 3544}, bubble(teredo_of(kClientA), teredo_of(kClientB))).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kFromOwnAddress), 2u);
  EXPECT_EQ(feed(kClientA, bubble(teredo_of(kClientA), teredo_of({kSecondary, 3544}))).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kLoopToOwnAddress), 1u);
}

TEST_F(ServerEngineTest, MiredoCompat_DropsRelayedIcmpv6Above88BytesButNotBubbles) {
  // 8-byte echo header + 80 bytes of data = 88: allowed; 89: dropped.
  EXPECT_EQ(feed(kClientA, echo(teredo_of(kClientA), teredo_of(kClientB), 80)).kind,
            ServerOutput::Kind::kUdp);
  EXPECT_EQ(feed(kClientA, echo(teredo_of(kClientA), teredo_of(kClientB), 81)).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(feed(kClientA, echo(teredo_of(kClientA), kNative, 1000)).kind,
            ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kIcmpv6TooLarge), 2u);
  auto c = base_config();
  c.max_icmpv6_payload.reset();
  reset(c);
  EXPECT_EQ(feed(kClientA, echo(teredo_of(kClientA), kNative, 1000)).kind,
            ServerOutput::Kind::kIpv6);
}

TEST_F(ServerEngineTest, Rfc2460_BubbleToNativeDestinationIsDropped) {
  EXPECT_EQ(feed(kClientA, bubble(teredo_of(kClientA), kNative)).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kBubbleToNative), 1u);
}

TEST_F(ServerEngineTest, Rfc4443_4_1_AnswersEchoRequestToItsLinkLocalAddress) {
  const auto o = feed(kClientA, echo(teredo_of(kClientA), wire::server_link_local(kPrimary)));
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(o.to, kClientA);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ipv6.src, wire::server_link_local(kPrimary));
  EXPECT_EQ(p->ipv6.dst, teredo_of(kClientA));
  auto icmp = wire::parse_icmpv6(p->ipv6);
  ASSERT_TRUE(icmp.ok());
  auto e = wire::parse_echo(*icmp);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->is_request);
  EXPECT_EQ(e->identifier, 0x77);
  EXPECT_EQ(e->sequence, 3);
  EXPECT_EQ(engine_->counters().echo_replies, 1u);
  // Anything else addressed to the server itself is not handled.
  EXPECT_EQ(
      feed(kClientA, echo(teredo_of(kClientA), wire::server_link_local(kPrimary), 8, 64, false))
          .kind,
      ServerOutput::Kind::kNone);
  EXPECT_EQ(dropped(ServerDrop::kLocalNotHandled), 1u);
}

TEST_F(ServerEngineTest, RateLimit_RsFloodFromOneSourceIsCappedAndCounted) {
  auto c = base_config();
  c.rs_limit = {10, 20};
  reset(c);
  const auto r = rs(false);
  int answered = 0;
  for (int i = 0; i < 100; ++i) answered += feed(kClientA, r).kind == ServerOutput::Kind::kUdp;
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(dropped(ServerDrop::kRateLimitedRs), 80u);
  // Another source is unaffected; the first one recovers as time passes.
  EXPECT_EQ(feed(kClientB, r).kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(feed(kClientA, r, kPrimary, t0 + 1s).kind, ServerOutput::Kind::kUdp);
}

TEST_F(ServerEngineTest, RateLimit_ForwardFloodIsCappedAndCounted) {
  auto c = base_config();
  c.forward_limit = {100, 50};
  reset(c);
  const auto b = bubble(teredo_of(kClientA), teredo_of(kClientB));
  int forwarded = 0;
  for (int i = 0; i < 200; ++i) forwarded += feed(kClientA, b).kind == ServerOutput::Kind::kUdp;
  EXPECT_EQ(forwarded, 50);
  EXPECT_EQ(dropped(ServerDrop::kRateLimitedForward), 150u);
}

TEST_F(ServerEngineTest, Stateless_ServesManyClientsWithoutGrowingState) {
  // 100k distinct clients: every RS answered, the limiter's table never grows.
  const auto r = rs(false);
  auto c = base_config();
  c.rate_limit_slots = 1024;
  reset(c);
  for (std::uint32_t i = 0; i < 100000; ++i) {
    const Endpoint src{Ipv4Address{0xCB007100u + (i % 200)},
                       static_cast<std::uint16_t>(1024 + i % 60000)};
    ASSERT_EQ(feed({Ipv4Address{0x0B000000u + i}, src.port}, r).kind, ServerOutput::Kind::kUdp);
  }
  EXPECT_EQ(engine_->counters().ra_sent, 100000u);
}

TEST_F(ServerEngineTest, FilteringProbe_RsWithProbeTrailerIsAlsoAnsweredFromTheProbePort) {
  auto c = base_config();
  c.filtering_probe_port = 3545;
  reset(c);
  auto probe_rs = rs(false);
  test::Buffer t;
  wire::write_filtering_probe_trailer(t.w);
  probe_rs.insert(probe_rs.end(), t.storage.begin(), t.storage.begin() + 2);
  const auto o = feed(kClientA, probe_rs);
  ASSERT_EQ(o.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(o.from, kPrimary);
  EXPECT_EQ(o.also_from_port, 3545);
  auto p = wire::classify(o.payload);
  ASSERT_TRUE(p.ok());
  auto tr = wire::parse_trailers(p->ipv6.trailing);
  ASSERT_TRUE(tr.ok());
  EXPECT_TRUE(tr->filtering_probe);  // echoed: "I sent the probe too"
  // A plain RS gets no probe; with the probe off, the trailer is ignored.
  EXPECT_EQ(feed(kClientA, rs(false)).also_from_port, 0);
  reset(base_config());
  const auto off = feed(kClientA, probe_rs);
  ASSERT_EQ(off.kind, ServerOutput::Kind::kUdp);
  EXPECT_EQ(off.also_from_port, 0);
  auto q = wire::classify(off.payload);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->ipv6.trailing.empty());
}

TEST_F(ServerEngineTest, Rfc6081_4_1_RsWithADiscardTrailerIsDropped) {
  auto r = rs(false);
  r.push_back(0x41);
  r.push_back(0x00);
  EXPECT_EQ(feed(kClientA, r).kind, ServerOutput::Kind::kNone);
  EXPECT_EQ(malformed(DropReason::kTrailerUnknownDiscard), 1u);
}

TEST(ServerDropNames, EveryReasonHasADistinctName) {
  std::set<std::string_view> names;
  for (int i = 0; i < static_cast<int>(ServerDrop::kCount); ++i) {
    const auto n = to_string(static_cast<ServerDrop>(i));
    EXPECT_NE(n, "unknown");
    EXPECT_TRUE(names.insert(n).second) << n;
  }
}

}  // namespace
}  // namespace shipworm::core
