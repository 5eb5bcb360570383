// ClientEngine: the state machine (RFC 4380 §5.2.1, §5.2.5) and the data path (§5.2.3
// reception cases, §5.2.4 transmission cases, §5.2.6 bubbles, §5.2.9 ping test; RFC 5991
// §3.2; RFC 6081 §5.2), with a fake clock, a fake random source and a recording sink.
#include <gtest/gtest.h>

#include "core_client_engine_fixture.h"
#include "wire/bubble.h"
#include "wire/icmpv6.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

using namespace testing;
using wire::Endpoint;
using wire::Ipv6Address;
using wire::TeredoAddress;

// --- state machine ------------------------------------------------------------------------

TEST_F(ClientEngineTest, Rfc4380_5_2_1_StartSendsTheFirstRsAndEntersStarting) {
  make(config());
  EXPECT_EQ(e_->state(), ClientState::kInitial);
  EXPECT_EQ(e_->next_deadline(), kNoDeadline);
  e_->start(t0, sink_);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  ASSERT_EQ(sink_.udp.size(), 1u);
  EXPECT_TRUE(is_rs(sink_.udp[0]));
  EXPECT_EQ(sink_.udp[0].to, kServer.primary_endpoint());
  ASSERT_EQ(sink_.states.size(), 1u);
  EXPECT_EQ(sink_.states[0].state, ClientState::kStarting);
  EXPECT_EQ(sink_.states[0].cause, "started; qualifying with 198.51.100.1/198.51.100.2");
  EXPECT_EQ(e_->next_deadline(), t0 + 4s);
  EXPECT_FALSE(e_->address().has_value());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_1_QualificationConfiguresTheAddress) {
  random_.script({});
  qualify();
  ASSERT_EQ(sink_.addresses.size(), 1u);
  EXPECT_FALSE(sink_.addresses[0].old_address.has_value());
  EXPECT_EQ(sink_.addresses[0].new_address, own_);
  EXPECT_EQ(sink_.addresses[0].mtu, 1280u);
  EXPECT_EQ(sink_.addresses[0].cause,
            "qualified with 198.51.100.1/198.51.100.2: mapping 203.0.113.7:4000, NAT "
            "cone-or-restricted");
  const auto a = TeredoAddress::from_ipv6(own_);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->server, kServer.primary);
  EXPECT_EQ(a->mapped, kMapping);
  EXPECT_FALSE(a->cone());
  EXPECT_TRUE(a->rfc5991_compliant());
  const auto s = e_->status();
  EXPECT_EQ(s.state, ClientState::kQualified);
  EXPECT_EQ(s.since, t0);
  EXPECT_EQ(s.mapping, kMapping);
  EXPECT_EQ(s.nat, NatType::kConeOrRestricted);
  EXPECT_EQ(s.server, kServer);
  EXPECT_EQ(s.last_server_rx, t0);
  EXPECT_GE(s.refresh_interval, 22500ms);
  EXPECT_LE(s.refresh_interval, 30s);
  EXPECT_EQ(e_->next_deadline(), t0 + s.refresh_interval);
  ASSERT_EQ(sink_.states.size(), 2u);
  EXPECT_EQ(sink_.states[1].state, ClientState::kQualified);
  EXPECT_EQ(sink_.states[1].address, TeredoAddress::from_ipv6(own_));
}

TEST_F(ClientEngineTest, Rfc4380_5_2_1_OfflineAfter12SecondsThenRetriesAfterBackoff) {
  make(config());
  e_->start(t0, sink_);
  run_until(t0 + 12s, false);
  EXPECT_EQ(e_->state(), ClientState::kOffline);
  EXPECT_EQ(e_->since(), t0 + 12s);
  EXPECT_EQ(e_->nat_type(), NatType::kBlocked);
  EXPECT_EQ(sink_.udp.size(), 3u);  // RS at 0, 4, 8
  EXPECT_EQ(
      e_->cause().rfind("UDP blocked or server down: no reply from 198.51.100.1:3544 after 3 tries "
                        "(server 198.51.100.1/198.51.100.2); retrying in ",
                        0),
      0u)
      << e_->cause();
  const auto retry = e_->status().retry_at;
  ASSERT_TRUE(retry);
  EXPECT_GE(*retry, t0 + 12s + 7500ms);  // 10 s backoff, jittered to [75%, 100%]
  EXPECT_LE(*retry, t0 + 22s);
  EXPECT_EQ(e_->next_deadline(), retry);
  run_until(*retry - 1ms, false);
  EXPECT_EQ(sink_.udp.size(), 3u);
  run_until(*retry, false);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(sink_.udp.size(), 4u);
  EXPECT_EQ(e_->cause(), "retrying; qualifying with 198.51.100.1/198.51.100.2");
  EXPECT_TRUE(sink_.addresses.empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_1_FailsOverToTheNextServerAtOnce) {
  auto c = config();
  c.servers = {kServer, kServer2};
  make(c);
  e_->start(t0, sink_);
  run_until(t0 + 12s, false);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(e_->server(), kServer2);
  ASSERT_EQ(sink_.udp.size(), 4u);
  EXPECT_EQ(sink_.udp[3].to, kServer2.primary_endpoint());
  EXPECT_NE(e_->cause().find("failing over; qualifying with 198.51.100.65/198.51.100.66"),
            std::string::npos)
      << e_->cause();
  // Both fail: now the backoff applies, and the next try is the first server again.
  run_until(t0 + 24s, false);
  EXPECT_EQ(e_->state(), ClientState::kOffline);
  EXPECT_EQ(e_->server(), kServer);
}

TEST_F(ClientEngineTest, Rfc5991_3_2_SymmetricNatKeepsThePrimaryMapping) {
  qualify(kMapping, {kMapping.address, 4011});
  EXPECT_EQ(e_->nat_type(), NatType::kSymmetric);
  EXPECT_TRUE(e_->status().symmetric);
  EXPECT_EQ(e_->mapping(), kMapping);
  EXPECT_NE(
      e_->cause().find("symmetric NAT: mapping 203.0.113.7:4000 via primary, :4011 via secondary"),
      std::string::npos);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_1_SymmetricNatStopPolicyGoesOffline) {
  auto c = config();
  c.qualification.symmetric_policy = SymmetricNatResponse::kStop;
  make(c);
  e_->start(t0, sink_);
  answer_rs(kMapping);
  answer_rs({kMapping.address, 4011});
  EXPECT_EQ(e_->state(), ClientState::kOffline);
  EXPECT_EQ(e_->nat_type(), NatType::kSymmetric);
  EXPECT_TRUE(sink_.addresses.empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_5_RefreshKeepsTheAddress) {
  qualify();
  run_until(t0 + 200s);
  EXPECT_EQ(e_->state(), ClientState::kQualified);
  EXPECT_EQ(sink_.addresses.size(), 1u);
  EXPECT_EQ(e_->address()->to_ipv6(), own_);
  EXPECT_GE(e_->counters().rs_sent, 2u + 6u);  // at least one refresh per 30 s
}

TEST_F(ClientEngineTest, Rfc4380_5_2_5_MappingChangeReplacesTheAddress) {
  qualify();
  const TimePoint d = e_->next_deadline();
  now_ = d;
  e_->on_timer(now_, sink_);
  answer_rs({kMapping.address, 4100});
  ASSERT_EQ(sink_.addresses.size(), 2u);
  EXPECT_EQ(sink_.addresses[1].old_address, own_);
  const auto fresh = TeredoAddress::from_ipv6(*sink_.addresses[1].new_address);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->mapped, (Endpoint{kMapping.address, 4100}));
  EXPECT_EQ(sink_.addresses[1].cause, "mapping changed from 203.0.113.7:4000 to 203.0.113.7:4100");
  EXPECT_EQ(e_->state(), ClientState::kQualified);
  EXPECT_EQ(e_->mapping(), (Endpoint{kMapping.address, 4100}));
}

TEST_F(ClientEngineTest, Rfc4380_5_2_5_ServerLossWithdrawsTheAddressAndRequalifies) {
  auto c = config();
  c.servers = {kServer, kServer2};
  make(c);
  qualify();
  const TimePoint d = e_->next_deadline();
  run_until(d + 12s, false);
  ASSERT_EQ(sink_.addresses.size(), 2u);
  EXPECT_EQ(sink_.addresses[1].old_address, own_);
  EXPECT_FALSE(sink_.addresses[1].new_address.has_value());
  EXPECT_EQ(sink_.addresses[1].cause,
            "server 198.51.100.1:3544 lost: no reply after 3 solicitations");
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(e_->server(), kServer2);
  EXPECT_EQ(sink_.udp.back().to, kServer2.primary_endpoint());
  EXPECT_FALSE(e_->address().has_value());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_NothingIsSentOrDeliveredBeforeQualification) {
  make(config());
  e_->start(t0, sink_);
  tun(data_packet(v6("2001:0:c633:6401::1"), kNative));
  udp(kPeerMapping, data_packet(kPeer, v6("2001:0:c633:6401::1")));
  EXPECT_EQ(dropped(ClientDrop::kNotQualified), 2u);
  EXPECT_EQ(sink_.udp.size(), 1u);
  EXPECT_TRUE(sink_.tun.empty());
}

// --- reception, RFC 4380 §5.2.3 -----------------------------------------------------------

TEST_F(ClientEngineTest, Rfc4380_5_2_3_DropsMalformedPayloads) {
  qualify();
  udp(kPeerMapping, {0x45, 0, 0, 20});
  udp(kPeerMapping, {});
  EXPECT_EQ(e_->counters().count(wire::DropReason::kUnknownEncapsulation) +
                e_->counters().count(wire::DropReason::kEmptyPayload) +
                e_->counters().count(wire::DropReason::kIpv6Truncated),
            2u);
  EXPECT_TRUE(sink_.tun.empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_DestinationMustBeTheOwnAddress) {
  qualify();
  udp(kPeerMapping, data_packet(kPeer, v6("2001:0:c633:6401::99")));
  EXPECT_EQ(dropped(ClientDrop::kDestinationNotOwn), 1u);
  EXPECT_TRUE(sink_.tun.empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case3_MatchingTeredoSourceIsAcceptedAndTrusted) {
  qualify();
  const auto pkt = data_packet(kPeer, own_);
  udp(kPeerMapping, pkt);
  ASSERT_EQ(sink_.tun.size(), 1u);
  EXPECT_EQ(sink_.tun[0], pkt);
  const PeerId id = e_->peers().find(kPeer);
  ASSERT_NE(id, kNoPeer);
  EXPECT_TRUE(e_->peers()[id].trusted());
  EXPECT_EQ(e_->peers()[id].mapping, kPeerMapping);
  EXPECT_EQ(e_->peers()[id].last_rx, now_);
  // And the host's answer goes straight back (case 1).
  tun(data_packet(own_, kPeer));
  ASSERT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_FALSE(wire::is_bubble(sent_to(kPeerMapping)[0].packet.ipv6));
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case3_BubbleTrustsButIsNotDelivered) {
  qualify();
  udp(kPeerMapping, bubble(kPeer, own_));
  EXPECT_TRUE(sink_.tun.empty());
  EXPECT_EQ(e_->counters().bubbles_received, 1u);
  const PeerId id = e_->peers().find(kPeer);
  ASSERT_NE(id, kNoPeer);
  EXPECT_TRUE(e_->peers()[id].trusted());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_TeredoSourceWithAnotherMappingIsDropped) {
  qualify();
  udp({kPeerMapping.address, 50001}, data_packet(kPeer, own_));
  EXPECT_EQ(dropped(ClientDrop::kPeerMappingMismatch), 1u);
  EXPECT_TRUE(sink_.tun.empty());
  EXPECT_EQ(e_->peers().find(kPeer), kNoPeer);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case4_LocalDiscoveryBubblesAreNotHandled) {
  qualify();
  udp(kPeerMapping, bubble(kPeer, wire::kAllNodes));
  EXPECT_EQ(dropped(ClientDrop::kLocalDiscoveryUnsupported), 1u);
  EXPECT_TRUE(sink_.udp.size() == 2u);  // the two RSs only
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_LinkLocalSourcedDataIsDropped) {
  qualify();
  udp(kPeerMapping, data_packet(v6("fe80::1"), own_));
  EXPECT_EQ(dropped(ClientDrop::kLinkLocalSource), 1u);
  EXPECT_TRUE(sink_.tun.empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case6_DropPolicySendsNothingForAStranger) {
  auto c = config();
  c.unsolicited = UnsolicitedPolicy::kDrop;
  make(c);
  qualify();
  udp(kRelay, data_packet(kNative, own_));
  EXPECT_EQ(dropped(ClientDrop::kUnsolicited), 1u);
  EXPECT_TRUE(sink_.tun.empty());
  EXPECT_EQ(sink_.udp.size(), 2u);  // CVE-2006-6266: nothing sent on a stranger's behalf
  EXPECT_EQ(e_->peers().size(), 0u);
}

// The default: a native host starting a conversation. Its first packet (through the relay
// nearest to it) is dropped but starts a ping test via our server; the echo reply comes back
// through that relay, which becomes the peer's mapping, and the retransmission is accepted.
TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case6_ByDefaultAPingTestLetsTheRetransmissionIn) {
  EXPECT_EQ(config().unsolicited, UnsolicitedPolicy::kPingTest);
  qualify();
  const auto first = data_packet(kNative, own_, 20, 1);
  udp(kRelay, first);
  EXPECT_EQ(dropped(ClientDrop::kUnsolicited), 1u);
  EXPECT_TRUE(sink_.tun.empty());
  const auto pings = sent_to(kServer.primary_endpoint());
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].packet.ipv6.dst, kNative);
  const PeerId id = e_->peers().find(kNative);
  ASSERT_NE(id, kNoPeer);
  EXPECT_FALSE(e_->peers()[id].trusted());
  // The same stranger again while the test runs: no second test.
  udp(kRelay, first);
  EXPECT_EQ(sent_to(kServer.primary_endpoint()).size(), 1u);
  EXPECT_EQ(dropped(ClientDrop::kUnsolicitedRateLimited), 0u);
  // The echo reply (with our nonce) trusts the relay; nothing reaches the host.
  auto e = wire::parse_echo(*wire::parse_icmpv6(pings[0].packet.ipv6));
  ASSERT_TRUE(e.ok());
  const std::vector<std::uint8_t> nonce(e->data.begin(), e->data.end());
  udp(kRelay, echo(false, kNative, own_, nonce));
  EXPECT_TRUE(e_->peers()[id].trusted());
  EXPECT_EQ(e_->peers()[id].mapping, kRelay);
  EXPECT_TRUE(sink_.tun.empty());
  // The retransmission is delivered (case 1), and the reply goes straight to the relay.
  const auto again = data_packet(kNative, own_, 20, 2);
  udp(kRelay, again);
  ASSERT_EQ(sink_.tun.size(), 1u);
  EXPECT_EQ(sink_.tun[0], again);
  EXPECT_EQ(e_->counters().delivered_bytes, again.size());
  const auto reply = data_packet(own_, kNative, 30);
  tun(reply);
  EXPECT_EQ(sent_to(kRelay).size(), 1u);
  EXPECT_EQ(e_->counters().sent_bytes, reply.size());
  // Another relay claiming the same native source is still refused.
  udp(kRelay2, again);
  EXPECT_EQ(dropped(ClientDrop::kPeerMappingMismatch), 1u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case6_PingTestIsRateLimitedGlobally) {
  auto c = config();
  c.unsolicited_limit = {0.001, 1};
  make(c);
  qualify();
  udp(kRelay, data_packet(kNative, own_));
  udp(kRelay, data_packet(v6("2001:db8::11"), own_));
  EXPECT_EQ(dropped(ClientDrop::kUnsolicited), 2u);
  EXPECT_EQ(dropped(ClientDrop::kUnsolicitedRateLimited), 1u);
  const auto pings = sent_to(kServer.primary_endpoint());
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].packet.ipv6.dst, kNative);
  EXPECT_TRUE(sink_.tun.empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_IcmpRelayedByTheServerIsDelivered) {
  qualify();
  const std::uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto reply = echo(false, wire::server_link_local(kServer.primary), own_, data);
  udp(kServer.primary_endpoint(), reply);
  ASSERT_EQ(sink_.tun.size(), 1u);
  EXPECT_EQ(sink_.tun[0], reply);
}

// --- bubbles from others (RFC 4380 §5.2.6, Miredo interop, RFC 6081 §5.2) ----------------

TEST_F(ClientEngineTest, Rfc4380_5_2_6_IndirectBubbleIsAnsweredWithADirectBubbleToTheOrigin) {
  qualify();
  udp(kServer.primary_endpoint(), bubble(kPeer, own_, std::nullopt, kPeerMapping));
  const auto out = sent_to(kPeerMapping);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(wire::is_bubble(out[0].packet.ipv6));
  EXPECT_EQ(out[0].packet.ipv6.src, own_);
  EXPECT_EQ(out[0].packet.ipv6.dst, kPeer);
  EXPECT_TRUE(out[0].packet.ipv6.trailing.empty());  // no nonce received, none echoed
  EXPECT_TRUE(sink_.tun.empty());
  // §5.2.6: not again within 2 s.
  udp(kServer.primary_endpoint(), bubble(kPeer, own_, std::nullopt, kPeerMapping));
  EXPECT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_EQ(dropped(ClientDrop::kBubbleReplyRateLimited), 1u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_IndirectBubbleWithNonGlobalOriginIsDropped) {
  qualify();
  udp(kServer.primary_endpoint(), bubble(kPeer, own_, std::nullopt, Endpoint{v4("10.0.0.1"), 1}));
  EXPECT_EQ(dropped(ClientDrop::kOriginNotGlobal), 1u);
  EXPECT_EQ(sink_.udp.size(), 2u);
}

// Found by the network simulator (tests/sim, ClientToNative): RFC 4380 §5.4.1 case 3 has
// the relay bubble "from a local IPv6 address of the relay" (a native address; our
// RelayEngine uses the native sender's) through the client's server. Unless the client
// answers at the origin indication, its NAT never opens towards the relay and no native
// host can reach it (§5.2.3: the origin indication is there for this).
TEST_F(ClientEngineTest, Rfc4380_5_4_1_IndirectBubbleFromARelaysNativeSourceIsAnswered) {
  qualify();
  udp(kServer.primary_endpoint(), bubble(kNative, own_, std::nullopt, kRelay));
  const auto out = sent_to(kRelay);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(wire::is_bubble(out[0].packet.ipv6));
  EXPECT_EQ(out[0].packet.ipv6.src, own_);
  EXPECT_EQ(out[0].packet.ipv6.dst, kNative);
  EXPECT_EQ(dropped(ClientDrop::kServerMessageIgnored), 0u);
  // Rate-limited per origin like the link-local answers.
  udp(kServer.primary_endpoint(), bubble(kNative, own_, std::nullopt, kRelay));
  udp(kServer.primary_endpoint(), bubble(kNative, own_, std::nullopt, kRelay));
  udp(kServer.primary_endpoint(), bubble(kNative, own_, std::nullopt, kRelay));
  udp(kServer.primary_endpoint(), bubble(kNative, own_, std::nullopt, kRelay));
  EXPECT_EQ(sent_to(kRelay).size(), 4u);  // bubble_reply_limit {1/s, burst 4}
  EXPECT_EQ(dropped(ClientDrop::kBubbleReplyRateLimited), 1u);
}

TEST_F(ClientEngineTest, Miredo_IndirectLinkLocalBubbleIsAnsweredWithSwappedAddresses) {
  qualify();
  const auto miredo_ll = v6("fe80::8000:1234:5678:9abc");
  udp(kServer.primary_endpoint(), bubble(miredo_ll, own_, std::nullopt, kPeerMapping));
  const auto out = sent_to(kPeerMapping);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].packet.ipv6.src, own_);
  EXPECT_EQ(out[0].packet.ipv6.dst, miredo_ll);
  EXPECT_EQ(e_->counters().bubble_replies, 1u);
}

TEST_F(ClientEngineTest, Miredo_DirectLinkLocalBubbleIsAnsweredAndRateLimited) {
  auto c = config();
  c.bubble_reply_limit = {0.001, 2};
  make(c);
  qualify();
  const auto miredo_ll = v6("fe80::1");
  for (int i = 0; i < 3; ++i) udp(kPeerMapping, bubble(miredo_ll, own_));
  const auto out = sent_to(kPeerMapping);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].packet.ipv6.dst, miredo_ll);
  EXPECT_EQ(out[0].packet.ipv6.src, own_);
  EXPECT_EQ(dropped(ClientDrop::kBubbleReplyRateLimited), 1u);
}

TEST_F(ClientEngineTest, Miredo_LinkLocalBubbleFromThePendingPeersMappingTrustsItAndFlushes) {
  qualify();
  const auto pkt = data_packet(own_, kPeer);
  tun(pkt);  // queued, bubbles out
  udp(kPeerMapping, bubble(v6("fe80::77"), own_));
  const PeerId id = e_->peers().find(kPeer);
  ASSERT_NE(id, kNoPeer);
  EXPECT_TRUE(e_->peers()[id].trusted());
  const auto out = sent_to(kPeerMapping);
  // direct bubble, then the queued packet, then the swapped reply bubble
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(wire::is_bubble(out[0].packet.ipv6));
  EXPECT_EQ(std::vector<std::uint8_t>(out[1].bytes), pkt);
  EXPECT_EQ(out[2].packet.ipv6.dst, v6("fe80::77"));
}

TEST_F(ClientEngineTest, Rfc6081_5_2_3_IndirectBubbleNonceIsEchoedInTheDirectBubble) {
  qualify();
  udp(kServer.primary_endpoint(), bubble(kPeer, own_, wire::Nonce32{0x09080706}, kPeerMapping));
  const auto out = sent_to(kPeerMapping);
  ASSERT_EQ(out.size(), 1u);
  const auto t = wire::parse_trailers(out[0].packet.ipv6.trailing);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->nonce.has_value());
  EXPECT_EQ(*t->nonce, wire::Nonce32{0x09080706});
  // And the next direct bubble we originate towards that peer echoes it too.
  now_ += 3s;
  tun(data_packet(own_, kPeer));
  const auto again = sent_to(kPeerMapping);
  ASSERT_EQ(again.size(), 2u);
  const auto t2 = wire::parse_trailers(again[1].packet.ipv6.trailing);
  ASSERT_TRUE(t2.ok() && t2->nonce);
  EXPECT_EQ(*t2->nonce, wire::Nonce32{0x09080706});
}

TEST_F(ClientEngineTest, Rfc6081_5_2_3_DirectBubbleFromAnotherPortNeedsOurNonce) {
  auto c = config();
  c.nonce_trailers = NonceTrailerPolicy::kAlways;
  make(c);
  qualify();
  tun(data_packet(own_, kPeer));
  const auto indirect = sent_to(kServer2.primary_endpoint());
  ASSERT_EQ(indirect.size(), 1u);
  const auto t = wire::parse_trailers(indirect[0].packet.ipv6.trailing);
  ASSERT_TRUE(t.ok() && t->nonce);
  const Endpoint nat_port{kPeerMapping.address, 50007};  // the peer is behind a symmetric NAT
  const wire::Nonce32 wrong{t->nonce->value() ^ 0x01000000};
  udp(nat_port, bubble(kPeer, own_, wrong));
  udp(nat_port, bubble(kPeer, own_));
  EXPECT_EQ(dropped(ClientDrop::kPeerMappingMismatch), 2u);
  EXPECT_FALSE(e_->peers()[e_->peers().find(kPeer)].trusted());
  udp(nat_port, bubble(kPeer, own_, *t->nonce));
  const PeerId id = e_->peers().find(kPeer);
  EXPECT_TRUE(e_->peers()[id].trusted());
  EXPECT_EQ(e_->peers()[id].mapping, nat_port);
  ASSERT_EQ(sent_to(nat_port).size(), 1u);  // the queued packet, to the observed port
}

TEST_F(ClientEngineTest, Rfc6081_5_2_3_ByDefaultEveryIndirectBubbleCarriesAFreshNonce) {
  // RFC 6081 §5.2.3 MUST, even behind a cone/restricted NAT (the default policy).
  EXPECT_EQ(config().nonce_trailers, NonceTrailerPolicy::kAlways);
  qualify();
  tun(data_packet(own_, kPeer));
  ASSERT_EQ(sent_to(kServer2.primary_endpoint()).size(), 1u);
  const auto t1 =
      wire::parse_trailers(sent_to(kServer2.primary_endpoint())[0].packet.ipv6.trailing);
  ASSERT_TRUE(t1.ok() && t1->nonce.has_value());
  // A direct bubble carries no nonce before the peer sent us one.
  ASSERT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_TRUE(sent_to(kPeerMapping)[0].packet.ipv6.trailing.empty());
  // The repetition 2 s later has a new nonce.
  run_until(now_ + 2s);
  ASSERT_EQ(sent_to(kServer2.primary_endpoint()).size(), 2u);
  const auto t2 =
      wire::parse_trailers(sent_to(kServer2.primary_endpoint())[1].packet.ipv6.trailing);
  ASSERT_TRUE(t2.ok() && t2->nonce.has_value());
  EXPECT_NE(*t1->nonce, *t2->nonce);
}

TEST_F(ClientEngineTest, Rfc6081_5_2_NonceTrailerPolicyWhenSymmetric) {
  // The option: nonces only behind a symmetric NAT.
  auto c = config();
  c.nonce_trailers = NonceTrailerPolicy::kWhenSymmetric;
  make(c);
  qualify();
  tun(data_packet(own_, kPeer));
  ASSERT_EQ(sent_to(kServer2.primary_endpoint()).size(), 1u);
  EXPECT_TRUE(sent_to(kServer2.primary_endpoint())[0].packet.ipv6.trailing.empty());

  sink_.clear();
  make(c);
  qualify(kMapping, {kMapping.address, 4011});
  tun(data_packet(own_, kPeer));
  ASSERT_EQ(sent_to(kServer2.primary_endpoint()).size(), 1u);
  const auto t = wire::parse_trailers(sent_to(kServer2.primary_endpoint())[0].packet.ipv6.trailing);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->nonce.has_value());
  // A direct bubble carries no nonce before the peer sent us one (RFC 6081 §5.2.3).
  ASSERT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_TRUE(sent_to(kPeerMapping)[0].packet.ipv6.trailing.empty());
}

// --- transmission, RFC 4380 §5.2.4 ---------------------------------------------------------

TEST_F(ClientEngineTest, Rfc4380_5_2_4_Case5_QueuesAndSendsDirectAndIndirectBubbles) {
  qualify();
  tun(data_packet(own_, kPeer));
  const auto direct = sent_to(kPeerMapping);
  const auto indirect = sent_to({kServer2.primary, 3544});
  ASSERT_EQ(direct.size(), 1u);
  ASSERT_EQ(indirect.size(), 1u);
  for (const auto* b : {&direct[0], &indirect[0]}) {
    EXPECT_TRUE(wire::is_bubble(b->packet.ipv6));
    EXPECT_EQ(b->packet.ipv6.src, own_);
    EXPECT_EQ(b->packet.ipv6.dst, kPeer);
    EXPECT_EQ(b->packet.ipv6.hop_limit, 255);
  }
  EXPECT_EQ(e_->counters().queued, 1u);
  const PeerId id = e_->peers().find(kPeer);
  ASSERT_NE(id, kNoPeer);
  EXPECT_FALSE(e_->peers()[id].trusted());
  EXPECT_EQ(e_->peers()[id].queued_packets(), 1u);
  EXPECT_EQ(e_->next_deadline(), now_ + 2s);
  // More packets wait in the same queue without extra bubbles.
  tun(data_packet(own_, kPeer));
  EXPECT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_EQ(e_->peers()[id].queued_packets(), 2u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_Case5_DirectPacketFromThePeerFlushesTheQueue) {
  qualify();
  const auto p1 = data_packet(own_, kPeer, 20, 1);
  const auto p2 = data_packet(own_, kPeer, 30, 2);
  tun(p1);
  tun(p2);
  now_ += 500ms;
  udp(kPeerMapping, bubble(kPeer, own_));  // the peer's direct bubble (case 3)
  const auto out = sent_to(kPeerMapping);
  ASSERT_EQ(out.size(), 3u);  // our direct bubble, then p1 and p2 in order
  EXPECT_EQ(out[1].bytes, p1);
  EXPECT_EQ(out[2].bytes, p2);
  EXPECT_EQ(e_->counters().peers_trusted, 1u);
  // No more bubble retries; later packets go straight (case 1).
  run_until(now_ + 10s);
  tun(p1);
  EXPECT_EQ(sent_to(kPeerMapping).size(), 4u);
  EXPECT_EQ(sent_to({kServer2.primary, 3544}).size(), 1u);
}

// RFC 4380 §5.2.4 case 5 and §5.2.6: bubbles at t = 0, 2, 4, 6 s; nothing more; unreachable at 8 s.
TEST_F(ClientEngineTest, Rfc4380_5_2_4_Case5_BubblesRepeatEvery2sThreeTimesThenUnreachable) {
  qualify();
  const TimePoint start = now_;
  const auto pkt = data_packet(own_, kPeer);
  tun(pkt);
  run_until(start + 7999ms);
  EXPECT_EQ(sent_to(kPeerMapping).size(), 4u);
  EXPECT_EQ(sent_to({kServer2.primary, 3544}).size(), 4u);
  EXPECT_TRUE(sink_.tun.empty());
  run_until(start + 8s);
  EXPECT_EQ(sent_to(kPeerMapping).size(), 4u);
  ASSERT_EQ(sink_.tun.size(), 1u);
  // ICMPv6 destination unreachable, address unreachable, to the sender, quoting the packet.
  auto ip = wire::parse_ipv6(sink_.tun[0]);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->dst, own_);
  EXPECT_EQ(ip->src, wire::client_rs_link_local(false));
  auto icmp = wire::parse_icmpv6(*ip);
  ASSERT_TRUE(icmp.ok());  // checksum verified
  EXPECT_EQ(icmp->type, 1);
  EXPECT_EQ(icmp->code, 3);
  EXPECT_EQ(std::vector<std::uint8_t>(icmp->message.begin() + 8, icmp->message.end()), pkt);
  EXPECT_EQ(dropped(ClientDrop::kPeerUnreachable), 1u);
  EXPECT_EQ(e_->counters().icmp_errors, 1u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_6_NoFifthBubbleWithin300Seconds) {
  qualify();
  const TimePoint start = now_;
  tun(data_packet(own_, kPeer));
  run_until(start + 10s);
  // A new packet within the window: immediately unreachable, no bubble.
  tun(data_packet(own_, kPeer));
  EXPECT_EQ(sent_to(kPeerMapping).size(), 4u);
  EXPECT_EQ(sink_.tun.size(), 2u);
  EXPECT_EQ(dropped(ClientDrop::kPeerUnreachable), 2u);
  // After 300 s from the first bubble the window reopens.
  run_until(start + 300s);
  tun(data_packet(own_, kPeer));
  EXPECT_EQ(sent_to(kPeerMapping).size(), 5u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_Case1_TrustedEntryIsValidFor30Seconds) {
  qualify();
  udp(kPeerMapping, data_packet(kPeer, own_));
  const TimePoint rx = now_;
  run_until(rx + 29s);
  tun(data_packet(own_, kPeer));
  ASSERT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_FALSE(wire::is_bubble(sent_to(kPeerMapping)[0].packet.ipv6));
  run_until(rx + 30s);
  tun(data_packet(own_, kPeer));  // stale: queued, and bubbles again...
  EXPECT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_EQ(e_->counters().queued, 1u);
  run_until(rx + 31s);  // ...once 2 s have passed since the last transmission (§5.2.6)
  ASSERT_EQ(sent_to(kPeerMapping).size(), 2u);
  EXPECT_TRUE(wire::is_bubble(sent_to(kPeerMapping)[1].packet.ipv6));
  EXPECT_EQ(sent_to({kServer2.primary, 3544}).size(), 1u);
  // A packet from its mapping (case 1) revalidates it and flushes the queue.
  udp(kPeerMapping, data_packet(kPeer, own_));
  EXPECT_EQ(sent_to(kPeerMapping).size(), 3u);
  EXPECT_EQ(sink_.tun.size(), 2u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_Cases4And5_NonGlobalMappingOrServerIsDropped) {
  qualify();
  tun(data_packet(own_, TeredoAddress{kServer2.primary, 0, {v4("10.0.0.1"), 1000}}.to_ipv6()));
  EXPECT_EQ(dropped(ClientDrop::kTunDestinationNotGlobal), 1u);
  tun(data_packet(own_, TeredoAddress{kServer2.primary, 0, {v4("192.0.2.1"), 0}}.to_ipv6()));
  EXPECT_EQ(dropped(ClientDrop::kTunDestinationNotGlobal), 2u);
  tun(data_packet(own_, TeredoAddress{v4("192.168.1.1"), 0, kPeerMapping}.to_ipv6()));
  EXPECT_EQ(dropped(ClientDrop::kTunServerNotGlobal), 1u);
  EXPECT_EQ(sink_.udp.size(), 2u);
  EXPECT_EQ(e_->peers().size(), 0u);
}

TEST_F(ClientEngineTest, Rfc5991_3_2_ConeBitOfThePeerIsIgnoredByDefault) {
  qualify();
  const auto cone_peer = TeredoAddress{kServer2.primary, 0x8000, kPeerMapping}.to_ipv6();
  tun(data_packet(own_, cone_peer));
  ASSERT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_TRUE(wire::is_bubble(sent_to(kPeerMapping)[0].packet.ipv6));
  EXPECT_EQ(sent_to({kServer2.primary, 3544}).size(), 1u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_Case4_ConePeerIsSentToDirectlyWhenConfigured) {
  auto c = config();
  c.honor_cone_bit = true;
  make(c);
  qualify();
  const auto cone_peer = TeredoAddress{kServer2.primary, 0x8000, kPeerMapping}.to_ipv6();
  const auto pkt = data_packet(own_, cone_peer);
  tun(pkt);
  ASSERT_EQ(sent_to(kPeerMapping).size(), 1u);
  EXPECT_EQ(sent_to(kPeerMapping)[0].bytes, pkt);
  EXPECT_TRUE(sent_to({kServer2.primary, 3544}).empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_DestinationIsOwnAddressIsDropped) {
  qualify();
  tun(data_packet(own_, own_));
  // Our mapping under other flag bits is us as well.
  tun(data_packet(own_, TeredoAddress{kServer.primary, 0x0001, kMapping}.to_ipv6()));
  EXPECT_EQ(dropped(ClientDrop::kTunToSelf), 2u);
  EXPECT_EQ(sink_.udp.size(), 2u);
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_OnlyOwnUnicastTrafficIsSent) {
  qualify();
  tun(data_packet(v6("fe80::ffff:ffff:ffff"), v6("ff02::16")));  // the kernel's MLD
  tun(data_packet(own_, v6("ff0e::1")));
  tun({0x60, 0});
  EXPECT_EQ(dropped(ClientDrop::kTunSourceNotOwn), 1u);
  EXPECT_EQ(dropped(ClientDrop::kTunMulticast), 1u);
  EXPECT_EQ(e_->counters().count(wire::DropReason::kIpv6Truncated), 1u);
  EXPECT_EQ(sink_.udp.size(), 2u);
}

// --- ping test, RFC 4380 §5.2.4 case 2 and §5.2.9 ------------------------------------------

TEST_F(ClientEngineTest, Rfc4380_5_2_9_PingTestGoesThroughTheServerWithA64BitNonce) {
  qualify();
  tun(data_packet(own_, kNative));
  const auto pings = sent_to(kServer.primary_endpoint());
  ASSERT_EQ(pings.size(), 1u);
  const auto& ip = pings[0].packet.ipv6;
  EXPECT_FALSE(pings[0].packet.origin.has_value());
  EXPECT_EQ(ip.src, own_);
  EXPECT_EQ(ip.dst, kNative);
  auto icmp = wire::parse_icmpv6(ip);
  ASSERT_TRUE(icmp.ok());
  auto e = wire::parse_echo(*icmp);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_request);
  EXPECT_EQ(e->data.size(), 8u);     // 64-bit nonce
  EXPECT_LE(ip.payload_length, 88);  // Miredo's server relays no more
  const PeerId id = e_->peers().find(kNative);
  ASSERT_NE(id, kNoPeer);
  EXPECT_EQ(e_->peers()[id].queued_packets(), 1u);
  EXPECT_FALSE(e_->peers()[id].trusted());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case2_EchoReplyWithTheNonceTrustsTheRelay) {
  qualify();
  const auto pkt = data_packet(own_, kNative);
  tun(pkt);
  const auto pings = sent_to(kServer.primary_endpoint());
  ASSERT_EQ(pings.size(), 1u);
  const auto& ping = pings[0];
  auto e = wire::parse_echo(*wire::parse_icmpv6(ping.packet.ipv6));
  const std::vector<std::uint8_t> nonce(e->data.begin(), e->data.end());
  udp(kRelay, echo(false, kNative, own_, nonce));
  EXPECT_TRUE(sink_.tun.empty());  // our probe's reply is not the host's business
  const PeerId id = e_->peers().find(kNative);
  EXPECT_TRUE(e_->peers()[id].trusted());
  EXPECT_EQ(e_->peers()[id].mapping, kRelay);
  ASSERT_EQ(sent_to(kRelay).size(), 1u);
  EXPECT_EQ(sent_to(kRelay)[0].bytes, pkt);
  // Case 1 both ways: the relay's packets are accepted, ours go to it directly.
  udp(kRelay, data_packet(kNative, own_));
  EXPECT_EQ(sink_.tun.size(), 1u);
  tun(pkt);
  EXPECT_EQ(sent_to(kRelay).size(), 2u);
  // Another relay claiming the same native source is not trusted.
  udp(kRelay2, data_packet(kNative, own_));
  EXPECT_EQ(dropped(ClientDrop::kPeerMappingMismatch), 1u);
  EXPECT_EQ(sink_.tun.size(), 1u);
  run_until(now_ + 10s);
  EXPECT_EQ(sent_to(kServer.primary_endpoint()).size(), 1u);  // no more retries
}

TEST_F(ClientEngineTest, Rfc4380_5_2_3_Case2_EchoReplyWithAnotherNonceIsDropped) {
  qualify();
  tun(data_packet(own_, kNative));
  const std::uint8_t forged[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  udp(kRelay, echo(false, kNative, own_, forged));
  EXPECT_EQ(dropped(ClientDrop::kEchoNonceMismatch), 1u);
  EXPECT_FALSE(e_->peers()[e_->peers().find(kNative)].trusted());
  EXPECT_TRUE(sent_to(kRelay).empty());
}

TEST_F(ClientEngineTest, Rfc4380_5_2_4_Case2_PingRepeatsEvery2sThreeTimesThenUnreachable) {
  qualify();
  const TimePoint start = now_;
  tun(data_packet(own_, kNative));
  run_until(start + 7999ms);
  const auto pings = sent_to(kServer.primary_endpoint());
  ASSERT_EQ(pings.size(), 4u);  // t = 0, 2, 4, 6
  // The same nonce each time, so that a late reply still counts.
  for (const auto& p : pings) {
    auto e = wire::parse_echo(*wire::parse_icmpv6(p.packet.ipv6));
    auto e0 = wire::parse_echo(*wire::parse_icmpv6(pings[0].packet.ipv6));
    EXPECT_TRUE(std::equal(e->data.begin(), e->data.end(), e0->data.begin(), e0->data.end()));
  }
  EXPECT_TRUE(sink_.tun.empty());
  run_until(start + 8s);
  EXPECT_EQ(sink_.tun.size(), 1u);
  EXPECT_EQ(e_->counters().icmp_errors, 1u);
}

// --- queues and ICMPv6 errors --------------------------------------------------------------

TEST_F(ClientEngineTest, Queue_IsBoundedInBytesPerPeer) {
  auto c = config();
  c.peers.queue_bytes_per_peer = 1280;
  make(c);
  qualify();
  tun(data_packet(own_, kPeer, 600));
  tun(data_packet(own_, kPeer, 600));  // 640 + 640 = 1280: fits
  tun(data_packet(own_, kPeer, 10));   // does not
  EXPECT_EQ(e_->counters().queued, 2u);
  EXPECT_EQ(dropped(ClientDrop::kQueueFull), 1u);
}

TEST_F(ClientEngineTest, Queue_IsBoundedInTotal) {
  auto c = config();
  c.peers.queue_bytes_per_peer = 4096;
  c.peers.queue_bytes_total = 2048;
  make(c);
  qualify();
  tun(data_packet(own_, kNative, 900));
  tun(data_packet(own_, v6("2001:db8::11"), 900));
  tun(data_packet(own_, v6("2001:db8::12"), 900));
  EXPECT_EQ(e_->counters().queued, 2u);
  EXPECT_EQ(dropped(ClientDrop::kQueueFull), 1u);
}

TEST_F(ClientEngineTest, Rfc4443_2_4_f_UnreachableErrorsAreRateLimited) {
  auto c = config();
  c.icmp_error_limit = {0.001, 1};
  make(c);
  qualify();
  const TimePoint start = now_;
  tun(data_packet(own_, kPeer, 20, 1));
  tun(data_packet(own_, kPeer, 20, 2));
  run_until(start + 8s);
  EXPECT_EQ(sink_.tun.size(), 1u);
  EXPECT_EQ(e_->counters().icmp_errors, 1u);
  EXPECT_EQ(e_->counters().icmp_errors_suppressed, 1u);
  EXPECT_EQ(dropped(ClientDrop::kPeerUnreachable), 2u);
}

TEST_F(ClientEngineTest, Rfc4443_2_4_e_NoErrorAboutAnErrorMessage) {
  qualify();
  // An ICMPv6 error (type 1) the host sends to an unreachable native peer.
  test::Buffer b;
  wire::Icmpv6PacketWriter pw(b.w, own_, kNative, 64, 1, 4);
  b.w.u32(0);
  ASSERT_TRUE(pw.finish());
  tun(b.vec());
  run_until(now_ + 8s);
  EXPECT_TRUE(sink_.tun.empty());
  EXPECT_EQ(dropped(ClientDrop::kPeerUnreachable), 1u);
}

TEST_F(ClientEngineTest, ServerLossForgetsPeers) {
  qualify();
  udp(kPeerMapping, data_packet(kPeer, own_));
  EXPECT_EQ(e_->peers().size(), 1u);
  run_until(e_->next_deadline() + 12s, false);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(e_->peers().size(), 0u);
}

}  // namespace
}  // namespace shipworm::core
