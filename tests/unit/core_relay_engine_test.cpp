#include <gtest/gtest.h>

#include <set>

#include "core/relay_engine.h"
#include "test_util.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/icmpv6_errors.h"
#include "wire/teredo_address.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

using namespace std::chrono_literals;
using wire::Bytes;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;
using wire::TeredoAddress;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

const Ipv4Address kServer = v4("198.51.100.1");    // the clients' Teredo server
const Ipv4Address kRelayIpv4 = v4("192.0.2.99");   // the relay's own address
const Endpoint kClient{v4("203.0.113.7"), 40000};  // a client's NAT mapping
const Endpoint kClient2{v4("203.0.113.8"), 41000};
const Ipv6Address kNative = v6("2001:db8:1::10");  // a native IPv6 host
const Ipv6Address kNative2 = v6("2001:db8:1::11");
const TimePoint t0 = TimePoint{} + 10000s;

Ipv6Address teredo_of(Endpoint mapping, std::uint16_t flags = 0, Ipv4Address server = kServer) {
  return TeredoAddress{server, flags, mapping}.to_ipv6();
}
const Ipv6Address kClientAddr = teredo_of(kClient);

// An ICMPv6 echo request (any IPv6 packet would do; this one has a valid checksum).
std::vector<std::uint8_t> packet(const Ipv6Address& src, const Ipv6Address& dst,
                                 std::uint8_t hop = 64, std::size_t data = 16,
                                 std::uint16_t seq = 1) {
  std::vector<std::uint8_t> buf(data + 100);
  wire::Writer w(buf);
  std::vector<std::uint8_t> payload(data, static_cast<std::uint8_t>(seq));
  EXPECT_TRUE(wire::write_echo(w, wire::EchoParams{true, src, dst, hop, 7, seq, payload}));
  return {w.written().begin(), w.written().end()};
}

std::vector<std::uint8_t> bubble(const Ipv6Address& src, const Ipv6Address& dst,
                                 std::uint8_t hop = 0) {
  test::Buffer b;
  EXPECT_TRUE(wire::write_bubble(b.w, src, dst, hop));
  return b.vec();
}

struct Sent {
  bool udp = false;  // else tun
  Endpoint to;
  std::vector<std::uint8_t> bytes;
  [[nodiscard]] wire::Ipv6View ip() const {
    const auto p = wire::parse_ipv6(bytes);
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : wire::Ipv6View{};
  }
};

class RecordingSink : public ActionSink {
 public:
  void send_udp(const Endpoint& to, Bytes payload) override {
    sent.push_back({true, to, {payload.begin(), payload.end()}});
  }
  void write_tun(Bytes p) override { sent.push_back({false, {}, {p.begin(), p.end()}}); }
  std::vector<Sent> take() {
    auto r = std::move(sent);
    sent.clear();
    return r;
  }
  std::vector<Sent> sent;
};

// Deterministic nonces: 0x01020304, 0x05060708, ... (never 0).
class CountingRandom : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = ++next_;
  }

 private:
  std::uint8_t next_ = 0;
};

// The Nonce Trailer of a sent datagram (RFC 6081 §4.2), or 0 when it has none.
wire::Nonce32 nonce_of(const std::vector<std::uint8_t>& datagram) {
  const auto ip = wire::parse_ipv6(datagram);
  if (!ip || ip->trailing.empty()) return {};
  const auto t = wire::parse_trailers(ip->trailing);
  if (!t || !t->nonce) return {};
  return *t->nonce;
}

// A bubble carrying a Nonce Trailer (how a client echoes our nonce in its direct bubble).
std::vector<std::uint8_t> bubble_with_nonce(const Ipv6Address& src, const Ipv6Address& dst,
                                            wire::Nonce32 nonce) {
  auto b = bubble(src, dst);
  const auto n = nonce.bytes();
  test::append(b, {0x01, 0x04, n[0], n[1], n[2], n[3]});
  return b;
}

RelayEngineConfig routed() {
  static CountingRandom random;
  RelayEngineConfig c;
  c.random = &random;
  c.own_ipv4 = {kRelayIpv4, v4("10.0.0.2")};
  c.hash_key = 77;
  c.table.capacity = 1024;
  c.table.hash_key = 78;
  return c;
}

class RelayEngineTest : public ::testing::Test {
 protected:
  void reset(RelayEngineConfig c) { engine_ = std::make_unique<RelayEngine>(std::move(c)); }
  std::vector<Sent> tun(const std::vector<std::uint8_t>& p, TimePoint now = t0) {
    engine_->on_tun(now, p, sink_);
    return sink_.take();
  }
  std::vector<Sent> udp(Endpoint from, const std::vector<std::uint8_t>& p, TimePoint now = t0) {
    engine_->on_udp(now, from, p, sink_);
    return sink_.take();
  }
  std::vector<Sent> timer(TimePoint now) {
    engine_->on_timer(now, sink_);
    return sink_.take();
  }
  std::uint64_t dropped(RelayDrop d) const {
    return engine_->counters().dropped[static_cast<std::size_t>(d)];
  }
  std::uint64_t malformed(wire::DropReason r) const {
    return engine_->counters().malformed[static_cast<std::size_t>(r)];
  }
  const Peer* peer(const Ipv6Address& a) const {
    const PeerId id = engine_->peers().find(a);
    return id == kNoPeer ? nullptr : &engine_->peers()[id];
  }
  // Native packet to the client, then the client's Miredo-style reply bubble: trusted.
  void make_trusted(TimePoint now = t0) {
    tun(packet(kNative, kClientAddr), now);
    udp(kClient, bubble(kClientAddr, kNative), now);
    ASSERT_NE(peer(kClientAddr), nullptr);
    ASSERT_TRUE(peer(kClientAddr)->trusted());
  }
  static void expect_bubble(const Sent& s, Endpoint to, const Ipv6Address& src,
                            const Ipv6Address& dst) {
    EXPECT_TRUE(s.udp);
    EXPECT_EQ(s.to, to);
    const auto ip = s.ip();
    EXPECT_TRUE(wire::is_bubble(ip));
    EXPECT_EQ(ip.src, src);
    EXPECT_EQ(ip.dst, dst);
  }

  RecordingSink sink_;
  std::unique_ptr<RelayEngine> engine_ = std::make_unique<RelayEngine>(routed());
};

const Endpoint kClientServer{kServer, 3544};

// ---------------------------------------------------------------- §5.4.1 sending to clients

// ------------------------------------------- RFC 6081 §5.2 with the relay as the peer (§8.1)

// The client's symmetric NAT maps it to another port towards the relay than towards its
// server (the port embedded in its Teredo address).
const Endpoint kClientTowardsRelay{kClient.address, 50123};

TEST_F(RelayEngineTest, Rfc6081_5_2_IndirectBubbleCarriesFreshNonceKeptAsNonceSent) {
  auto c = routed();
  c.behind_restricted_nat = true;
  reset(c);
  const auto out = tun(packet(kNative, kClientAddr));
  ASSERT_EQ(out.size(), 2u);
  expect_bubble(out[0], kClientServer, kNative, kClientAddr);
  const wire::Nonce32 n1 = nonce_of(out[0].bytes);
  EXPECT_FALSE(n1.empty());
  const PeerId id = engine_->peers().find(kClientAddr);
  ASSERT_NE(engine_->peers().rfc6081(id), nullptr);
  EXPECT_EQ(engine_->peers().rfc6081(id)->nonce_sent, n1);
  // §5.2.3: no Nonce Trailer on a direct bubble before an indirect bubble was received.
  expect_bubble(out[1], kClient, kNative, kClientAddr);
  EXPECT_TRUE(nonce_of(out[1].bytes).empty());
  EXPECT_EQ(out[1].bytes.size(), wire::kIpv6HeaderSize);
  // The retry carries a fresh nonce, which replaces Nonce Sent.
  const auto retry = timer(t0 + 2s);
  ASSERT_GE(retry.size(), 1u);
  const wire::Nonce32 n2 = nonce_of(retry[0].bytes);
  EXPECT_FALSE(n2.empty());
  EXPECT_NE(n2, n1);
  EXPECT_EQ(engine_->peers().rfc6081(id)->nonce_sent, n2);
}

TEST_F(RelayEngineTest, Rfc6081_5_2_AcceptsSymmetricClientBubbleEchoingTheNonce) {
  tun(packet(kNative, kClientAddr, 64, 16, 1));
  const auto first = tun(packet(kNative, kClientAddr, 64, 16, 2), t0 + 100ms);
  EXPECT_TRUE(first.empty());
  const wire::Nonce32 n = engine_->peers().rfc6081(engine_->peers().find(kClientAddr))->nonce_sent;
  // The client answers from the port its NAT opened towards us, echoing the nonce.
  const auto out = udp(kClientTowardsRelay, bubble_with_nonce(kClientAddr, kNative, n), t0 + 200ms);
  ASSERT_EQ(out.size(), 2u);  // both queued packets, to the observed source (§8.1.6)
  for (const auto& s : out) {
    EXPECT_TRUE(s.udp);
    EXPECT_EQ(s.to, kClientTowardsRelay);
    EXPECT_FALSE(wire::is_bubble(s.ip()));
  }
  const Peer* p = peer(kClientAddr);
  EXPECT_TRUE(p->trusted());
  EXPECT_EQ(p->mapping, kClientTowardsRelay);
  EXPECT_EQ(engine_->counters().bubbles_nonce_accepted, 1u);
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 0u);
  // From then on: data from that mapping is forwarded, and data to the client goes there.
  const auto fwd = udp(kClientTowardsRelay, packet(kClientAddr, kNative), t0 + 300ms);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_FALSE(fwd[0].udp);
  const auto back = tun(packet(kNative, kClientAddr), t0 + 400ms);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].to, kClientTowardsRelay);
  EXPECT_FALSE(wire::is_bubble(back[0].ip()));
  // The embedded mapping is still acceptable too (RFC 4380 §5.4.2).
  EXPECT_EQ(udp(kClient, packet(kClientAddr, kNative), t0 + 500ms).size(), 1u);
}

TEST_F(RelayEngineTest, Rfc6081_5_2_DropsMismatchedBubbleWithWrongNonce) {
  tun(packet(kNative, kClientAddr));
  const wire::Nonce32 n = engine_->peers().rfc6081(engine_->peers().find(kClientAddr))->nonce_sent;
  EXPECT_TRUE(udp(kClientTowardsRelay,
                  bubble_with_nonce(kClientAddr, kNative, wire::Nonce32{n.value() ^ 1}))
                  .empty());
  EXPECT_TRUE(udp(kClientTowardsRelay, bubble(kClientAddr, kNative)).empty());  // no nonce
  // Another client's address with our nonce: that peer has no Nonce Sent.
  const Ipv6Address other = teredo_of(kClient2);
  EXPECT_TRUE(udp(kClientTowardsRelay, bubble_with_nonce(other, kNative, n)).empty());
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 3u);
  EXPECT_FALSE(peer(kClientAddr)->trusted());
  EXPECT_EQ(peer(kClientAddr)->mapping, kClient);
  EXPECT_EQ(peer(kClientAddr)->queued_packets(), 1);
  EXPECT_EQ(engine_->counters().bubbles_nonce_accepted, 0u);
}

TEST_F(RelayEngineTest, Rfc6081_5_2_DropsMismatchedDataPacket) {
  tun(packet(kNative, kClientAddr));
  const wire::Nonce32 n = engine_->peers().rfc6081(engine_->peers().find(kClientAddr))->nonce_sent;
  // Only a bubble may carry the nonce in (§5.2.3): data, even with the right trailer, must
  // match the trusted mapping or the embedded one (RFC 4380 §5.4.2).
  auto data = packet(kClientAddr, kNative);
  test::append(data, {0x01, 0x04, n.bytes()[0], n.bytes()[1], n.bytes()[2], n.bytes()[3]});
  EXPECT_TRUE(udp(kClientTowardsRelay, data).empty());
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 1u);
  EXPECT_FALSE(peer(kClientAddr)->trusted());
  EXPECT_EQ(engine_->counters().to_native_packets, 0u);
}

TEST_F(RelayEngineTest, Rfc6081_5_2_NonceIsSingleUseSoAReplayCannotMoveTheMapping) {
  tun(packet(kNative, kClientAddr));
  const wire::Nonce32 n = engine_->peers().rfc6081(engine_->peers().find(kClientAddr))->nonce_sent;
  ASSERT_EQ(udp(kClientTowardsRelay, bubble_with_nonce(kClientAddr, kNative, n)).size(), 1u);
  // Someone who saw the bubble replays it from elsewhere.
  EXPECT_TRUE(udp(kClient2, bubble_with_nonce(kClientAddr, kNative, n), t0 + 1s).empty());
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 1u);
  EXPECT_EQ(peer(kClientAddr)->mapping, kClientTowardsRelay);
  // The genuine client's further bubbles from its mapping are still fine.
  const auto again = udp(kClientTowardsRelay, bubble_with_nonce(kClientAddr, kNative, n), t0 + 3s);
  ASSERT_EQ(again.size(), 1u);  // accepted (trusted mapping) and answered
  expect_bubble(again[0], kClientTowardsRelay, kNative, kClientAddr);
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 1u);
  EXPECT_EQ(engine_->counters().bubbles_nonce_accepted, 1u);
}

TEST_F(RelayEngineTest, Rfc6081_5_2_WithoutRandomSourceNoNoncesAndRfc4380RulesOnly) {
  auto c = routed();
  c.random = nullptr;
  reset(c);
  EXPECT_EQ(engine_->peers().rfc6081(0), nullptr);  // no RFC 6081 state allocated
  const auto out = tun(packet(kNative, kClientAddr));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes.size(), wire::kIpv6HeaderSize);  // a plain bubble
  EXPECT_TRUE(
      udp(kClientTowardsRelay, bubble_with_nonce(kClientAddr, kNative, wire::Nonce32{0x01020304}))
          .empty());
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 1u);
  EXPECT_FALSE(peer(kClientAddr)->trusted());
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_Case3_QueuesAndSendsIndirectBubbleToClientsServer) {
  const auto out = tun(packet(kNative, kClientAddr));
  ASSERT_EQ(out.size(), 1u);
  // src = the packet's source (no relay address configured), dst = the client.
  expect_bubble(out[0], kClientServer, kNative, kClientAddr);
  EXPECT_EQ(out[0].ip().hop_limit, kRelayBubbleHopLimit);
  const Peer* p = peer(kClientAddr);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->trusted());
  EXPECT_EQ(p->queued_packets(), 1);
  EXPECT_EQ(p->bubbles, 1);
  EXPECT_EQ(engine_->counters().bubbles_sent_indirect, 1u);
  EXPECT_EQ(engine_->counters().bubbles_sent_direct, 0u);
  EXPECT_EQ(engine_->counters().packets_queued, 1u);
  EXPECT_EQ(engine_->next_deadline(), t0 + 2s);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_Case3_RestrictedRelayAlsoSendsDirectBubbleToMapping) {
  auto c = routed();
  c.behind_restricted_nat = true;
  reset(c);
  const auto out = tun(packet(kNative, kClientAddr));
  ASSERT_EQ(out.size(), 2u);
  expect_bubble(out[0], kClientServer, kNative, kClientAddr);
  expect_bubble(out[1], kClient, kNative, kClientAddr);
  EXPECT_EQ(engine_->counters().bubbles_sent_direct, 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_Case3_ConfiguredRelayAddressIsBubbleSource) {
  auto c = routed();
  c.relay_address = v6("2001:db8:ffff::1");
  reset(c);
  const auto out = tun(packet(kNative, kClientAddr));
  ASSERT_EQ(out.size(), 1u);
  expect_bubble(out[0], kClientServer, v6("2001:db8:ffff::1"), kClientAddr);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_Case3_SecondPacketQueuedWithoutSecondBubble) {
  tun(packet(kNative, kClientAddr, 64, 16, 1));
  const auto out = tun(packet(kNative, kClientAddr, 64, 16, 2), t0 + 500ms);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(peer(kClientAddr)->queued_packets(), 2);
  EXPECT_EQ(engine_->counters().bubbles_sent_indirect, 1u);
}

TEST_F(RelayEngineTest, Rfc5991_3_2_IgnoresConeBitByDefault) {
  const Ipv6Address cone = teredo_of(kClient, wire::kFlagCone);
  const auto out = tun(packet(kNative, cone));
  ASSERT_EQ(out.size(), 1u);
  expect_bubble(out[0], kClientServer, kNative, cone);
  EXPECT_EQ(engine_->counters().to_clients_packets, 0u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_Case2_ConeDestinationSentDirectlyWhenConeBitHonoured) {
  auto c = routed();
  c.honour_cone_bit = true;
  reset(c);
  const Ipv6Address cone = teredo_of(kClient, wire::kFlagCone);
  const auto out = tun(packet(kNative, cone, 64));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].udp);
  EXPECT_EQ(out[0].to, kClient);
  EXPECT_EQ(out[0].ip().hop_limit, 63);
  ASSERT_NE(peer(cone), nullptr);
  EXPECT_TRUE(peer(cone)->trusted());  // §5.4.1: "marked as trusted in case 2"
  // A C = 0 destination still goes through case 3.
  const auto out2 = tun(packet(kNative, kClientAddr));
  ASSERT_EQ(out2.size(), 1u);
  expect_bubble(out2[0], kClientServer, kNative, kClientAddr);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_ReplyBubbleTrustsPeerAndFlushesQueueInOrder) {
  tun(packet(kNative, kClientAddr, 64, 16, 1));
  tun(packet(kNative2, kClientAddr, 64, 16, 2), t0 + 100ms);
  // Miredo's reply: a bubble from the client's Teredo address to the bubble's source, hop 0.
  const auto out = udp(kClient, bubble(kClientAddr, kNative, 0), t0 + 200ms);
  ASSERT_EQ(out.size(), 2u);  // the two queued packets; the reply bubble is not answered
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(out[i].udp);
    EXPECT_EQ(out[i].to, kClient);
    const auto ip = out[i].ip();
    EXPECT_EQ(ip.dst, kClientAddr);
    EXPECT_EQ(ip.hop_limit, 63);  // decremented as a router
    const auto icmp = wire::parse_icmpv6(ip);
    ASSERT_TRUE(icmp.ok());
    EXPECT_EQ(wire::parse_echo(*icmp)->sequence, i + 1);
  }
  const Peer* p = peer(kClientAddr);
  EXPECT_TRUE(p->trusted());
  EXPECT_EQ(p->queued_packets(), 0);
  EXPECT_EQ(p->mapping, kClient);
  EXPECT_EQ(engine_->counters().packets_dequeued, 2u);
  EXPECT_EQ(engine_->counters().bubbles_received, 1u);
  EXPECT_EQ(engine_->counters().bubble_replies_sent, 0u);
  EXPECT_EQ(engine_->counters().to_native_packets, 0u);  // bubbles are not forwarded
  // No retry is pending any more.
  EXPECT_TRUE(timer(t0 + 3s).empty());
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_AnyPacketFromClientTrustsPendingPeer) {
  tun(packet(kNative, kClientAddr));
  const auto out = udp(kClient, packet(kClientAddr, kNative));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].udp);   // the queued packet, first
  EXPECT_FALSE(out[1].udp);  // then the client's packet, forwarded natively
  EXPECT_TRUE(peer(kClientAddr)->trusted());
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_Case1_TrustedPeerGetsPacketsDirectly) {
  make_trusted();
  const auto out = tun(packet(kNative, kClientAddr), t0 + 1s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].udp);
  EXPECT_EQ(out[0].to, kClient);
  EXPECT_FALSE(wire::is_bubble(out[0].ip()));
  EXPECT_EQ(peer(kClientAddr)->last_tx, t0 + 1s);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_RetriesEvery2sUpTo3TimesThenRemovesAndSendsUnreachable) {
  const auto original = packet(kNative, kClientAddr);
  tun(original);
  EXPECT_TRUE(timer(t0 + 1999ms).empty());
  for (int i = 1; i <= 3; ++i) {
    const auto out = timer(t0 + std::chrono::seconds(2 * i));
    ASSERT_EQ(out.size(), 1u) << i;
    expect_bubble(out[0], kClientServer, kNative, kClientAddr);  // source from the queue
  }
  EXPECT_EQ(engine_->counters().bubbles_sent_indirect, 4u);
  const auto out = timer(t0 + 8s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].udp);  // ICMPv6 to the native sender, through the tun
  const auto ip = out[0].ip();
  EXPECT_EQ(ip.dst, kNative);
  EXPECT_EQ(ip.src, kClientAddr);  // no relay address: the unreachable destination
  const auto icmp = wire::parse_icmpv6(ip);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, wire::kIcmpDestinationUnreachable);
  EXPECT_EQ(icmp->code, wire::kUnreachableAddress);
  // The error carries the invoking packet, hop limit already decremented.
  ASSERT_EQ(icmp->message.size(), 8 + original.size());
  EXPECT_EQ(icmp->message[8 + 7], 63);
  EXPECT_EQ(engine_->counters().peers_unreachable, 1u);
  EXPECT_EQ(engine_->counters().icmp_unreachable_sent, 1u);
  EXPECT_EQ(dropped(RelayDrop::kQueueDroppedUnreachable), 1u);
  EXPECT_EQ(engine_->peers().queued_bytes_total(), 0u);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_6_FailedPeerHeldDownAnsweredWithUnreachableNoMoreBubbles) {
  tun(packet(kNative, kClientAddr));
  for (int s = 2; s <= 8; s += 2) timer(t0 + std::chrono::seconds(s));
  // Within 300 s of the first bubble: no fifth bubble, an immediate error instead.
  const auto out = tun(packet(kNative, kClientAddr), t0 + 100s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].udp);
  EXPECT_EQ(wire::parse_icmpv6(out[0].ip())->type, wire::kIcmpDestinationUnreachable);
  EXPECT_EQ(dropped(RelayDrop::kPeerUnreachable), 1u);
  EXPECT_EQ(engine_->counters().bubbles_sent_indirect, 4u);
  EXPECT_LE(engine_->next_deadline(), t0 + 300s);
  // The hold-down ends 300 s after the first bubble; then a new exchange may start.
  timer(t0 + 200s);  // an idle-expiry pass does not end the hold-down early
  EXPECT_NE(peer(kClientAddr), nullptr);
  EXPECT_EQ(dropped(RelayDrop::kPeerUnreachable), 1u);
  timer(t0 + 300s);
  EXPECT_EQ(peer(kClientAddr), nullptr);
  const auto again = tun(packet(kNative, kClientAddr), t0 + 301s);
  ASSERT_EQ(again.size(), 1u);
  expect_bubble(again[0], kClientServer, kNative, kClientAddr);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_2_PacketFromHeldDownPeerEndsTheHoldDown) {
  tun(packet(kNative, kClientAddr));
  for (int s = 2; s <= 8; s += 2) timer(t0 + std::chrono::seconds(s));
  udp(kClient, packet(kClientAddr, kNative), t0 + 20s);
  EXPECT_TRUE(peer(kClientAddr)->trusted());
  const auto out = tun(packet(kNative, kClientAddr), t0 + 21s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kClient);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_ZeroHoldDownRemovesEntryAtOnce) {
  auto c = routed();
  c.failed_holddown = Duration::zero();
  reset(c);
  tun(packet(kNative, kClientAddr));
  for (int s = 2; s <= 8; s += 2) timer(t0 + std::chrono::seconds(s));
  EXPECT_EQ(peer(kClientAddr), nullptr);
  EXPECT_EQ(engine_->peers().size(), 0u);
}

TEST_F(RelayEngineTest, Rfc4443_2_4_f_IcmpErrorsAreRateLimited) {
  auto c = routed();
  c.icmp_limit = {1, 2};
  reset(c);
  for (std::uint16_t i = 0; i < 5; ++i) tun(packet(kNative, kClientAddr, 64, 16, i));
  for (int s = 2; s <= 6; s += 2) timer(t0 + std::chrono::seconds(s));
  const auto out = timer(t0 + 8s);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(engine_->counters().icmp_unreachable_sent, 2u);
  EXPECT_EQ(engine_->counters().icmp_rate_limited, 3u);
  EXPECT_EQ(dropped(RelayDrop::kQueueDroppedUnreachable), 5u);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_4_StaleTrustedPeerIsRevalidatedWithBubble) {
  make_trusted();
  // 30 s without hearing from the client: the entry is no longer valid (§5.2.4).
  const auto out = tun(packet(kNative, kClientAddr), t0 + 31s);
  ASSERT_EQ(out.size(), 1u);
  expect_bubble(out[0], kClientServer, kNative, kClientAddr);
  EXPECT_FALSE(peer(kClientAddr)->trusted());
  EXPECT_EQ(peer(kClientAddr)->queued_packets(), 1);
  const auto flushed = udp(kClient, bubble(kClientAddr, kNative), t0 + 31500ms);
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0].to, kClient);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_6_NoBubbleWithin2sOfLastTransmission) {
  make_trusted();
  tun(packet(kNative, kClientAddr), t0 + 29500ms);  // last tx at 29.5 s, still valid
  // At 30.5 s the entry is stale; a bubble would come 1 s after the last transmission.
  EXPECT_TRUE(tun(packet(kNative, kClientAddr), t0 + 30500ms).empty());
  EXPECT_EQ(engine_->next_deadline(), t0 + 31500ms);
  EXPECT_TRUE(timer(t0 + 31400ms).empty());
  const auto out = timer(t0 + 31500ms);
  ASSERT_EQ(out.size(), 1u);
  expect_bubble(out[0], kClientServer, kNative, kClientAddr);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_MustDropNonGlobalEmbeddedIpv4) {
  for (const char* a : {"10.1.2.3", "192.168.1.1", "127.0.0.1", "224.0.0.253", "0.1.2.3"}) {
    EXPECT_TRUE(tun(packet(kNative, teredo_of({v4(a), 4000}))).empty()) << a;
  }
  EXPECT_EQ(dropped(RelayDrop::kDestinationIpv4NotGlobal), 5u);
  EXPECT_TRUE(tun(packet(kNative, teredo_of({kClient.address, 0}))).empty());  // port 0
  EXPECT_EQ(dropped(RelayDrop::kDestinationIpv4NotGlobal), 6u);
  EXPECT_EQ(engine_->peers().size(), 0u);
}

TEST_F(RelayEngineTest, Rfc6324_3_3_DropsTeredoDestinationWhoseServerIsNotGlobal) {
  EXPECT_TRUE(tun(packet(kNative, teredo_of(kClient, 0, v4("10.0.0.1")))).empty());
  EXPECT_EQ(dropped(RelayDrop::kServerIpv4NotGlobal), 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_DropsNonTeredoDestination) {
  EXPECT_TRUE(tun(packet(kNative, kNative2)).empty());
  EXPECT_EQ(dropped(RelayDrop::kDestinationNotTeredo), 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_DropsMalformedNativePacket) {
  auto p = packet(kNative, kClientAddr);
  p[0] = 0x45;  // IPv4
  EXPECT_TRUE(tun(p).empty());
  EXPECT_EQ(malformed(wire::DropReason::kIpv6BadVersion), 1u);
  EXPECT_TRUE(tun(std::vector<std::uint8_t>(p.begin(), p.begin() + 20)).empty());
  EXPECT_EQ(malformed(wire::DropReason::kIpv6Truncated), 1u);
}

TEST_F(RelayEngineTest, Rfc6324_3_3_DropsDestinationEmbeddingOwnIpv4) {
  EXPECT_TRUE(tun(packet(kNative, teredo_of({kRelayIpv4, 3544}))).empty());
  EXPECT_TRUE(tun(packet(kNative, teredo_of(kClient, 0, kRelayIpv4))).empty());
  EXPECT_EQ(dropped(RelayDrop::kLoopOwnIpv4Destination), 2u);
}

TEST_F(RelayEngineTest, Rfc6324_3_3_DropsSourceEmbeddingOwnIpv4In6to4OrIsatap) {
  // 2002:c000:0263::/48 is 6to4 for 192.0.2.99; ISATAP IIDs ::0:5efe:V4 and ::200:5efe:V4.
  for (const char* s :
       {"2002:c000:263::1", "2001:db8::5efe:c000:263", "2001:db8::200:5efe:c000:263"}) {
    EXPECT_TRUE(tun(packet(v6(s), kClientAddr)).empty()) << s;
  }
  EXPECT_EQ(dropped(RelayDrop::kLoopOwnIpv4Source), 3u);
  // Another host's 6to4 address is fine.
  EXPECT_EQ(tun(packet(v6("2002:c000:264::1"), kClientAddr)).size(), 1u);
}

TEST_F(RelayEngineTest, Rfc6324_3_3_DropsTeredoSourceArrivingFromNativeSide) {
  EXPECT_TRUE(tun(packet(teredo_of(kClient2), kClientAddr)).empty());
  EXPECT_EQ(dropped(RelayDrop::kLoopTeredoSource), 1u);
}

TEST_F(RelayEngineTest, Rfc4291_DropsNonGlobalSourceFromNativeSide) {
  EXPECT_TRUE(tun(packet(v6("fe80::1"), kClientAddr)).empty());
  EXPECT_TRUE(tun(packet(v6("::1"), kClientAddr)).empty());
  EXPECT_EQ(dropped(RelayDrop::kSourceNotGlobal6), 2u);
}

TEST_F(RelayEngineTest, Rfc4380_7_3_5_DropsSourcesOutsideServedRange) {
  auto c = routed();
  c.served = {{v6("2001:db8:1::"), 48}};
  reset(c);
  EXPECT_TRUE(tun(packet(v6("2001:db8:2::1"), kClientAddr)).empty());
  EXPECT_EQ(dropped(RelayDrop::kSourceNotServed), 1u);
  EXPECT_EQ(tun(packet(kNative, kClientAddr)).size(), 1u);
}

TEST_F(RelayEngineTest, Rfc4443_3_3_HopLimitDecrementedAndExpiryAnsweredWithTimeExceeded) {
  make_trusted();
  const auto out = tun(packet(kNative, kClientAddr, 2), t0 + 1s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ip().hop_limit, 1);
  const auto expired = tun(packet(kNative, kClientAddr, 1), t0 + 1s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_FALSE(expired[0].udp);
  const auto ip = expired[0].ip();
  EXPECT_EQ(ip.dst, kNative);
  const auto icmp = wire::parse_icmpv6(ip);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, wire::kIcmpTimeExceeded);
  EXPECT_EQ(icmp->code, 0);
  EXPECT_TRUE(tun(packet(kNative, kClientAddr, 0), t0 + 1s).size() == 1u);
  EXPECT_EQ(dropped(RelayDrop::kHopLimitExceeded), 2u);
  EXPECT_EQ(engine_->counters().icmp_time_exceeded_sent, 2u);
}

TEST_F(RelayEngineTest, Rfc4443_2_4_e_NoErrorAboutAnIcmpv6Error) {
  std::vector<std::uint8_t> buf(2048);
  wire::Writer w(buf);
  const auto inner = packet(kNative2, kNative);
  ASSERT_TRUE(wire::write_icmpv6_error(w, kNative, kClientAddr, wire::kIcmpDestinationUnreachable,
                                       0, inner));
  std::vector<std::uint8_t> err(w.written().begin(), w.written().end());
  err[7] = 1;  // hop limit 1 (the checksum does not cover it)
  EXPECT_TRUE(tun(err).empty());
  EXPECT_EQ(dropped(RelayDrop::kHopLimitExceeded), 1u);
  EXPECT_EQ(engine_->counters().icmp_time_exceeded_sent, 0u);
}

// ---------------------------------------------------------------- §5.4.2 receiving

TEST_F(RelayEngineTest, Rfc4380_5_4_2_ForwardsValidPacketNativelyWithHopLimitDecremented) {
  const auto out = udp(kClient, packet(kClientAddr, kNative, 64));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].udp);
  EXPECT_EQ(out[0].ip().dst, kNative);
  EXPECT_EQ(out[0].ip().hop_limit, 63);
  EXPECT_EQ(engine_->counters().to_native_packets, 1u);
  // The default policy forwards without creating state.
  EXPECT_EQ(engine_->peers().size(), 0u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_2_DropsInvalidIpv6) {
  auto p = packet(kClientAddr, kNative);
  p[0] = 0x50;  // neither IPv6 nor a Teredo encapsulation
  EXPECT_TRUE(udp(kClient, p).empty());
  EXPECT_EQ(malformed(wire::DropReason::kUnknownEncapsulation), 1u);
  auto longer = packet(kClientAddr, kNative);
  longer.resize(longer.size() - 1);  // payload length exceeds the datagram
  EXPECT_TRUE(udp(kClient, longer).empty());
  EXPECT_EQ(malformed(wire::DropReason::kIpv6LengthExceedsDatagram), 1u);
  EXPECT_TRUE(udp(kClient, {}).empty());
  EXPECT_EQ(malformed(wire::DropReason::kEmptyPayload), 1u);
}

TEST_F(RelayEngineTest, Rfc6081_4_ToleratesTrailersButHonoursTheDiscardType) {
  auto p = packet(kClientAddr, kNative);
  const std::size_t plain = p.size();
  test::append(p, {0x01, 0x04, 1, 2, 3, 4});  // a Nonce trailer
  const auto out = udp(kClient, p);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes.size(), plain);  // trailers are not forwarded
  auto q = packet(kClientAddr, kNative);
  test::append(q, {0x41, 0x00});  // unknown type, top bits 01: discard (§4.1)
  EXPECT_TRUE(udp(kClient, q).empty());
  EXPECT_EQ(malformed(wire::DropReason::kTrailerUnknownDiscard), 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_2_DropsSpoofedTeredoSource) {
  EXPECT_TRUE(udp(kClient2, packet(kClientAddr, kNative)).empty());
  EXPECT_TRUE(udp({kClient.address, 40001}, packet(kClientAddr, kNative)).empty());
  EXPECT_EQ(dropped(RelayDrop::kTeredoSourceMismatch), 2u);
  // A spoofed bubble does not trust a pending peer either.
  tun(packet(kNative, kClientAddr));
  udp(kClient2, bubble(kClientAddr, kNative));
  EXPECT_FALSE(peer(kClientAddr)->trusted());
}

TEST_F(RelayEngineTest, Rfc4380_5_4_2_DropsNonTeredoSource) {
  EXPECT_TRUE(udp(kClient, packet(kNative2, kNative)).empty());
  // Miredo's link-local bubble source is not a Teredo address either.
  EXPECT_TRUE(udp(kClient, bubble(v6("fe80::1234:5678"), kClientAddr)).empty());
  EXPECT_EQ(dropped(RelayDrop::kSourceNotTeredo), 2u);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_4_DropsNonGlobalIpv4Source) {
  const Endpoint lan{v4("10.9.9.9"), 4000};
  EXPECT_TRUE(udp(lan, packet(teredo_of(lan), kNative)).empty());
  EXPECT_EQ(dropped(RelayDrop::kSourceNotGlobal), 1u);
}

TEST_F(RelayEngineTest, Rfc6324_3_3_DropsDatagramFromOwnAddress) {
  const Endpoint self{kRelayIpv4, 3544};
  EXPECT_TRUE(udp(self, packet(teredo_of(self), kNative)).empty());
  EXPECT_EQ(dropped(RelayDrop::kLoopFromOwnAddress), 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_2_UnknownPeerDroppedWhenPolicyIsDrop) {
  auto c = routed();
  c.unknown_peers = UnknownPeerPolicy::kDrop;
  reset(c);
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, kNative)).empty());
  EXPECT_EQ(dropped(RelayDrop::kUnknownPeer), 1u);
  // Once the relay has sent to the client, its packets are accepted.
  make_trusted();
  EXPECT_EQ(udp(kClient, packet(kClientAddr, kNative), t0 + 1s).size(), 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_3_TrustPolicyCreatesTrustedEntrySoRepliesGoDirect) {
  auto c = routed();
  c.unknown_peers = UnknownPeerPolicy::kTrust;
  reset(c);
  EXPECT_EQ(udp(kClient, packet(kClientAddr, kNative)).size(), 1u);
  ASSERT_NE(peer(kClientAddr), nullptr);
  EXPECT_TRUE(peer(kClientAddr)->trusted());
  const auto out = tun(packet(kNative, kClientAddr), t0 + 1s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kClient);
  EXPECT_FALSE(wire::is_bubble(out[0].ip()));
}

TEST_F(RelayEngineTest, Rfc6324_3_3_NeverForwardsUdpPacketBackToTeredo) {
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, teredo_of(kClient2))).empty());
  EXPECT_EQ(dropped(RelayDrop::kLoopTeredoDestination), 1u);
}

TEST_F(RelayEngineTest, Rfc6324_3_3_DropsClientPacketWhoseDestinationEmbedsOwnIpv4) {
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, v6("2002:c000:263::5"))).empty());
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, v6("2001:db8::200:5efe:a00:2"))).empty());
  EXPECT_EQ(dropped(RelayDrop::kLoopOwnIpv4Destination), 2u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_2_DropsDestinationNotServedOrNotGlobal) {
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, v6("fe80::1"))).empty());
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, v6("ff02::1"))).empty());
  EXPECT_EQ(dropped(RelayDrop::kDestinationNotGlobal), 2u);
  auto c = routed();
  c.served = {{v6("2001:db8:1::"), 48}};
  reset(c);
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, v6("2001:db8:2::1"))).empty());
  EXPECT_EQ(dropped(RelayDrop::kDestinationNotServed), 1u);
  EXPECT_EQ(udp(kClient, packet(kClientAddr, kNative)).size(), 1u);
}

TEST_F(RelayEngineTest, Rfc4443_3_3_ClientPacketWithExpiringHopLimitGetsTimeExceeded) {
  const auto out = udp(kClient, packet(kClientAddr, kNative, 1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].udp);  // back to the client over UDP
  EXPECT_EQ(out[0].to, kClient);
  const auto ip = out[0].ip();
  EXPECT_EQ(ip.dst, kClientAddr);
  EXPECT_EQ(wire::parse_icmpv6(ip)->type, wire::kIcmpTimeExceeded);
  EXPECT_EQ(dropped(RelayDrop::kHopLimitExceeded), 1u);
}

// ---------------------------------------------------------------- bubbles (Miredo interop)

TEST_F(RelayEngineTest, MiredoInterop_AnswersUnsolicitedBubbleWithSwappedBubble) {
  const auto out = udp(kClient, bubble(kClientAddr, kNative, 0));
  ASSERT_EQ(out.size(), 1u);
  expect_bubble(out[0], kClient, kNative, kClientAddr);  // destination = received source
  EXPECT_EQ(engine_->counters().bubble_replies_sent, 1u);
  EXPECT_EQ(engine_->peers().size(), 0u);  // answered without creating state
  // Unknown sources are answered at a limited rate.
  EXPECT_TRUE(udp(kClient, bubble(kClientAddr, kNative, 0), t0 + 100ms).empty());
  EXPECT_TRUE(udp(kClient, bubble(kClientAddr, kNative, 0), t0 + 200ms).empty());
  EXPECT_EQ(engine_->counters().bubbles_received, 3u);
  EXPECT_EQ(engine_->counters().to_native_packets, 0u);
}

TEST_F(RelayEngineTest, MiredoInterop_DirectPacketsAfterBubbleExchangeAreForwarded) {
  udp(kClient, bubble(kClientAddr, kNative, 0));
  const auto out = udp(kClient, packet(kClientAddr, kNative), t0 + 50ms);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].udp);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_6_BubbleAnswersToKnownPeerRespect2sSpacing) {
  make_trusted();  // the flush sent data at t0
  EXPECT_TRUE(udp(kClient, bubble(kClientAddr, kNative), t0 + 1s).empty());
  const auto out = udp(kClient, bubble(kClientAddr, kNative), t0 + 2s);
  ASSERT_EQ(out.size(), 1u);
  expect_bubble(out[0], kClient, kNative, kClientAddr);
  EXPECT_TRUE(udp(kClient, bubble(kClientAddr, kNative), t0 + 3s).empty());
}

TEST_F(RelayEngineTest, BubbleToUnservedDestinationIsNotAnswered) {
  EXPECT_TRUE(udp(kClient, bubble(kClientAddr, teredo_of(kClient2))).empty());
  EXPECT_TRUE(udp(kClient, bubble(kClientAddr, v6("fe80::1"))).empty());
  EXPECT_EQ(engine_->counters().bubble_replies_sent, 0u);
}

// ---------------------------------------------------------------- queues, table, timers

TEST_F(RelayEngineTest, Rfc4380_5_4_1_QueueLimitedPerPeerInBytes) {
  auto c = routed();
  c.table.queue_bytes_per_peer = 1280;
  reset(c);
  tun(packet(kNative, kClientAddr, 64, 1000));
  tun(packet(kNative, kClientAddr, 64, 1000));
  EXPECT_EQ(dropped(RelayDrop::kQueueFullPeer), 1u);
  EXPECT_EQ(peer(kClientAddr)->queued_packets(), 1);
  EXPECT_LE(peer(kClientAddr)->queued_bytes(), 1280u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_QueueLimitedInTotal) {
  auto c = routed();
  c.table.queue_bytes_total = 2048;
  reset(c);
  for (std::uint32_t i = 0; i < 4; ++i) {
    tun(packet(kNative, teredo_of({kClient.address, static_cast<std::uint16_t>(5000 + i)}), 64,
               900));
  }
  EXPECT_EQ(dropped(RelayDrop::kQueueFullTotal), 2u);
  EXPECT_EQ(engine_->counters().packets_queued, 2u);
  // Every destination still got its bubble.
  EXPECT_EQ(engine_->counters().bubbles_sent_indirect, 4u);
}

TEST_F(RelayEngineTest, Rfc4380_5_2_LruEvictionAtCapacityDropsVictimsQueue) {
  auto c = routed();
  c.table.capacity = 4;
  c.table.max_untrusted = 4;
  reset(c);
  for (std::uint16_t i = 0; i < 5; ++i) {
    tun(packet(kNative, teredo_of({kClient.address, static_cast<std::uint16_t>(5000 + i)})),
        t0 + std::chrono::milliseconds(i));
  }
  EXPECT_EQ(engine_->peers().size(), 4u);
  EXPECT_EQ(engine_->counters().peers_evicted, 1u);
  EXPECT_EQ(dropped(RelayDrop::kQueueDroppedEvicted), 1u);
  EXPECT_EQ(peer(teredo_of({kClient.address, 5000})), nullptr);  // the oldest
}

TEST_F(RelayEngineTest, IdlePeersExpireAndDeadlineSaysWhen) {
  make_trusted();
  EXPECT_EQ(engine_->next_deadline(), t0 + 120s);
  timer(t0 + 119s);
  EXPECT_NE(peer(kClientAddr), nullptr);
  timer(t0 + 120s);
  EXPECT_EQ(peer(kClientAddr), nullptr);
  EXPECT_EQ(engine_->counters().peers_expired, 1u);
  EXPECT_EQ(engine_->next_deadline(), kNoDeadline);
}

TEST_F(RelayEngineTest, Rfc4380_7_3_3_FloodOf100kFakeTeredoPeersKeepsMemoryBoundedAndServesClient) {
  auto c = routed();
  c.table.capacity = 4096;
  reset(c);
  make_trusted();
  const std::size_t memory = engine_->peers().memory_bytes();
  // 100k spoofed datagrams, each with a Teredo source matching its (forged) UDP source...
  for (std::uint32_t i = 0; i < 100000; ++i) {
    const Endpoint fake{Ipv4Address{0x0b000000u + i}, static_cast<std::uint16_t>(1024 + i % 60000)};
    engine_->on_udp(t0 + 1s, fake, packet(teredo_of(fake), kNative), sink_);
  }
  // ...and 100k native packets towards fake Teredo destinations.
  for (std::uint32_t i = 0; i < 100000; ++i) {
    const Endpoint fake{Ipv4Address{0x0c000000u + i}, static_cast<std::uint16_t>(1024 + i % 60000)};
    engine_->on_tun(t0 + 2s, packet(kNative2, teredo_of(fake)), sink_);
  }
  sink_.take();
  EXPECT_EQ(engine_->peers().memory_bytes(), memory);
  EXPECT_LE(engine_->peers().size(), 4096u);
  EXPECT_LE(engine_->peers().untrusted_count(), engine_->peers().max_untrusted());
  EXPECT_GT(engine_->counters().peers_evicted, 90000u);
  // The legitimate client is still trusted and served directly, both ways.
  ASSERT_NE(peer(kClientAddr), nullptr);
  EXPECT_TRUE(peer(kClientAddr)->trusted());
  udp(kClient, packet(kClientAddr, kNative), t0 + 3s);
  const auto out = tun(packet(kNative, kClientAddr), t0 + 3s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kClient);
  EXPECT_FALSE(wire::is_bubble(out[0].ip()));
  // A new legitimate client can still be reached through the bubble exchange.
  const Ipv6Address fresh = teredo_of(kClient2);
  const auto b = tun(packet(kNative, fresh), t0 + 4s);
  ASSERT_EQ(b.size(), 1u);
  const auto flushed = udp(kClient2, bubble(fresh, kNative), t0 + 4100ms);
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0].to, kClient2);
}

TEST(RelayEngineNames, DropReasonNamesAreUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(RelayDrop::kCount); ++i) {
    const auto n = to_string(static_cast<RelayDrop>(i));
    EXPECT_TRUE(names.insert(n).second) << n;
    for (char ch : n)
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_' || (ch >= '0' && ch <= '9')) << n;
  }
  EXPECT_EQ(to_string(RelayDrop::kCount), "unknown");
}

// ---------------------------------------------------------------- host-specific relay (§5)

const Ipv6Address kHost = v6("2001:db8:5::1");

RelayEngineConfig host_specific() {
  RelayEngineConfig c = routed();
  c.host_specific = true;
  c.served = {{kHost, 128}};
  return c;
}

TEST(RelayEngineHostSpecific, Rfc4380_5_5_HostSpecificRequiresTheHostsAddresses) {
  auto c = host_specific();
  c.served.clear();
  EXPECT_THROW(RelayEngine{c}, std::invalid_argument);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_HostSpecificFlowPingReplyViaBubbleThenDirect) {
  reset(host_specific());
  // 1. The client's ping reaches the host natively (through its server); the host's stack
  //    answers, and the reply to 2001::/32 comes to the engine from the tun.
  const auto reply = packet(kHost, kClientAddr, 64, 8);
  const auto bubbles = tun(reply);
  // 2. Relay case 3: an indirect bubble from the host's own address via the client's server.
  ASSERT_EQ(bubbles.size(), 1u);
  expect_bubble(bubbles[0], kClientServer, kHost, kClientAddr);
  // 3. The client answers the bubble directly; the host trusts it and
  // 4. the echo reply goes straight to the client's mapping, unchanged (no router hop).
  const auto out = udp(kClient, bubble(kClientAddr, kHost, 0), t0 + 100ms);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kClient);
  EXPECT_EQ(out[0].bytes, reply);
  // The client's later packets come directly and reach the host, hop limit untouched.
  const auto in = udp(kClient, packet(kClientAddr, kHost, 1), t0 + 200ms);
  ASSERT_EQ(in.size(), 1u);
  EXPECT_FALSE(in[0].udp);
  EXPECT_EQ(in[0].ip().hop_limit, 1);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_HostSpecificServesOnlyTheHostsAddresses) {
  reset(host_specific());
  EXPECT_TRUE(udp(kClient, packet(kClientAddr, kNative)).empty());
  EXPECT_EQ(dropped(RelayDrop::kDestinationNotServed), 1u);
  EXPECT_TRUE(tun(packet(kNative, kClientAddr)).empty());  // not the host's own traffic
  EXPECT_EQ(dropped(RelayDrop::kSourceNotServed), 1u);
  // The served set follows the host's addresses.
  engine_->set_served({{kHost, 128}, {kNative, 128}});
  EXPECT_EQ(udp(kClient, packet(kClientAddr, kNative)).size(), 1u);
}

TEST_F(RelayEngineTest, Rfc4380_5_4_1_HostSpecificBehindNatSendsDirectBubbleToo) {
  auto c = host_specific();
  c.behind_restricted_nat = true;
  reset(c);
  const auto out = tun(packet(kHost, kClientAddr));
  ASSERT_EQ(out.size(), 2u);
  expect_bubble(out[0], kClientServer, kHost, kClientAddr);
  expect_bubble(out[1], kClient, kHost, kClientAddr);
}

// ---------------------------------------------------------------- in-place entry points
// The daemon forwards without copies: on_tun_inplace/on_udp_inplace decrement the hop limit in
// the caller's buffer and hand the sink a span of that buffer.

TEST_F(RelayEngineTest, InPlace_TunToTrustedClientSendsCallersBufferWithHopLimitDecremented) {
  make_trusted();
  const auto before = engine_->counters().to_clients_packets;
  auto p = packet(kNative, kClientAddr, 64);
  const Bytes seen_by_sink = [&] {
    struct AliasSink : ActionSink {
      Bytes last;
      Endpoint to;
      void send_udp(const Endpoint& e, Bytes b) override {
        last = b;
        to = e;
      }
      void write_tun(Bytes) override {}
    } s;
    engine_->on_tun_inplace(t0 + 1s, p, s);
    EXPECT_EQ(s.to, kClient);
    return s.last;
  }();
  EXPECT_EQ(seen_by_sink.data(), p.data());  // no copy
  EXPECT_EQ(seen_by_sink.size(), p.size());
  EXPECT_EQ(p[7], 63);  // decremented in place
  EXPECT_EQ(engine_->counters().to_clients_packets, before + 1);
}

TEST_F(RelayEngineTest, InPlace_UdpToNativeWritesCallersPacketWithHopLimitDecremented) {
  auto d = packet(kClientAddr, kNative, 10);
  const std::size_t len = d.size();
  struct AliasSink : ActionSink {
    Bytes tun;
    void send_udp(const Endpoint&, Bytes) override {}
    void write_tun(Bytes b) override { tun = b; }
  } s;
  auto c = routed();
  c.unknown_peers = UnknownPeerPolicy::kForward;
  reset(c);
  engine_->on_udp_inplace(t0, kClient, d, s);
  EXPECT_EQ(s.tun.data(), d.data());
  EXPECT_EQ(s.tun.size(), len);
  EXPECT_EQ(d[7], 9);
  EXPECT_EQ(engine_->counters().to_native_packets, 1u);
}

TEST_F(RelayEngineTest, InPlace_SameDecisionsAsCopyingEntryPoints) {
  // The same sequence through both APIs gives the same outputs and counters.
  CountingRandom random_a, random_b;  // the same nonces on both sides
  auto ca = routed(), cb = routed();
  ca.random = &random_a;
  cb.random = &random_b;
  RelayEngine a(ca), b(cb);
  RecordingSink sa, sb;
  const std::vector<std::vector<std::uint8_t>> native_in = {
      packet(kNative, kClientAddr, 64), packet(kNative, kClientAddr, 1),
      packet(kNative, v6("2001:db8::5")), packet(kNative, teredo_of({v4("10.0.0.1"), 5}))};
  for (const auto& p : native_in) {
    auto copy = p;
    a.on_tun(t0, p, sa);
    b.on_tun_inplace(t0, copy, sb);
  }
  const std::vector<std::vector<std::uint8_t>> udp_in = {
      bubble(kClientAddr, kNative), packet(kClientAddr, kNative, 5),
      packet(kClientAddr, kNative, 1), packet(teredo_of(kClient2), kNative)};
  for (const auto& p : udp_in) {
    auto copy = p;
    a.on_udp(t0 + 1s, kClient, p, sa);
    b.on_udp_inplace(t0 + 1s, kClient, copy, sb);
  }
  const auto ra = sa.take(), rb = sb.take();
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].udp, rb[i].udp) << i;
    EXPECT_EQ(ra[i].to, rb[i].to) << i;
    EXPECT_EQ(ra[i].bytes, rb[i].bytes) << i;
  }
  EXPECT_EQ(a.counters().dropped, b.counters().dropped);
  EXPECT_EQ(a.counters().to_native_packets, b.counters().to_native_packets);
  EXPECT_EQ(a.counters().to_clients_packets + a.counters().packets_dequeued,
            b.counters().to_clients_packets + b.counters().packets_dequeued);
  EXPECT_GE(a.counters().to_native_packets, 1u);
  EXPECT_GE(a.counters().dropped[static_cast<std::size_t>(RelayDrop::kHopLimitExceeded)], 1u);
}

}  // namespace
}  // namespace shipworm::core
