// Who can talk to whom: client <-> native host through the server and a relay, and client to
// client across every pair of NAT models, with the expected-connectivity matrix written out
// and derived from the RFCs as implemented by the engines.
#include <gtest/gtest.h>

#include "scenario.h"

namespace shipworm::sim {
namespace {

using namespace std::chrono_literals;
using core::ClientState;

constexpr std::uint64_t kSeeds = 50;

// After a failed attempt nothing may be left behind: no queued packets, and no pending
// bubble or ping timer (only maintenance remains).
void expect_no_leak(const ClientHost& c) {
  EXPECT_EQ(c.engine().peers().queued_bytes_total(), 0u) << c.name();
  EXPECT_EQ(c.engine().peers().next_deadline(), core::kNoDeadline) << c.name();
}

// --- client <-> native host -------------------------------------------------------------
//
// RFC 4380 §5.2.4 case 2 / §5.2.9: the client queues, sends an echo request through its
// server, the native host answers to the Teredo address, the IPv6 routing system brings the
// reply to the nearest relay, the relay bubbles through the server (§5.4.1 case 3), the
// client's answer opens its NAT, the relay flushes the echo reply, the client trusts the
// relay as the native peer's mapping and flushes its data. The relay accepts the client only
// if the UDP source equals the mapping embedded in its address (§5.4.2): a client behind a
// symmetric NAT reaches the relay from another port. An RFC 4380-only relay (Miredo's;
// nonces off) therefore fails it (RFC 4380 §5.2.1: a symmetric NAT makes Teredo unusable).
// shipworm's relay, like the daemon, puts an RFC 6081 §5.2 nonce in its indirect bubbles
// (RFC 6081 §5.2.3, §5.2.6): the client echoes it in its direct bubble from the new port, the
// relay takes that port as the client's mapping, and the exchange succeeds.
bool native_reachable(NatKind k, bool relay_nonces) { return relay_nonces || !is_symmetric(k); }

class ClientToNative : public ::testing::TestWithParam<NatKind> {};

TEST_P(ClientToNative, ConnectsWhereTheRfcSaysAndFailsCleanlyElsewhere) {
  const NatKind kind = GetParam();
  for (const bool nonces : {true, false}) {
    SCOPED_TRACE(nonces ? "relay with RFC 6081 nonces" : "RFC 4380-only relay");
    for_each_seed(kSeeds, [&](std::uint64_t seed) {
      Scenario s(seed, LinkProfile{5ms, 2ms});
      ClientHost& c = s.add_client(kind, ClientOptions::on(LinkProfile{20ms, 10ms}));
      RelayHost& relay = s.add_relay(0, {}, nonces);
      NativeHost& native = s.add_native(0);
      ASSERT_TRUE(s.qualify_all()) << describe(c);
      const auto t0 = s.world.now();
      c.send_app(native.address(), 1);
      s.world.run_for(20s);
      if (native_reachable(kind, nonces)) {
        ASSERT_EQ(native.app.count_from(*c.address(), false), 1u) << describe(c);
        ASSERT_EQ(c.app.count_from(native.address(), true), 1u) << describe(c);
        // Ping test + relay bubble + flush: a handful of round trips, well inside one retry.
        EXPECT_LT(*c.app.first_from(native.address(), true) - t0, 2s);
        // The native side can now start conversations too (the relay holds a trusted entry).
        native.send_app(*c.address(), 2);
        s.world.run_for(2s);
        EXPECT_EQ(c.app.count_from(native.address(), false), 1u);
        EXPECT_TRUE(c.app.unreachable.empty());
      } else {
        EXPECT_EQ(native.app.count_from(*c.address(), false), 0u);
        // §5.2.4: the ping test is repeated (2 s x 4) and then the sender is told.
        ASSERT_EQ(c.app.unreachable.size(), 1u) << describe(c);
        EXPECT_LE(c.app.unreachable[0] - t0, 9s);
        EXPECT_EQ(relay.engine().counters().to_native_packets, 0u);
        expect_no_leak(c);
        // The relay gave up on the client too, and forgets it after the hold-down.
        s.world.run_for(10min);
        EXPECT_EQ(relay.engine().peers().size(), 0u);
      }
      EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
    });
  }
}

INSTANTIATE_TEST_SUITE_P(EveryNat, ClientToNative, ::testing::ValuesIn(kAllNatKinds),
                         nat_param_name);

// A native host starts the conversation: the relay queues, bubbles through the client's
// server (§5.4.1 case 3), the client answers at the origin and the relay flushes. The
// client then sees a native source it has no entry for: RFC 4380 §5.2.3 case 6 says it MAY
// accept after a direct connectivity test. By default (UnsolicitedPolicy::kPingTest) the
// engine drops it but runs the test under a global rate limit (CVE-2006-6266), so the native
// host's next packet (its retransmission) gets through; with kDrop it never does.
TEST_P(ClientToNative, NativeHostStartsTheConversation) {
  const NatKind kind = GetParam();
  ASSERT_EQ(core::ClientEngineConfig{}.unsolicited, core::UnsolicitedPolicy::kPingTest);
  for (const auto policy : {core::UnsolicitedPolicy::kPingTest, core::UnsolicitedPolicy::kDrop}) {
    for (const bool nonces : {true, false}) {
      SCOPED_TRACE(nonces ? "relay with RFC 6081 nonces" : "RFC 4380-only relay");
      for_each_seed(kSeeds / 2, [&](std::uint64_t seed) {
        Scenario s(seed, LinkProfile{5ms, 2ms});
        ClientOptions o = ClientOptions::on(LinkProfile{20ms, 10ms});
        if (policy == core::UnsolicitedPolicy::kDrop) {
          o.tweak = [](core::ClientEngineConfig& c) {
            c.unsolicited = core::UnsolicitedPolicy::kDrop;
          };
        }
        ClientHost& c = s.add_client(kind, o);
        RelayHost& relay = s.add_relay(0, {}, nonces);
        NativeHost& native = s.add_native(0);
        ASSERT_TRUE(s.qualify_all()) << describe(c);
        native.send_app(*c.address(), 7);
        s.world.run_for(3s);
        native.send_app(*c.address(), 8);
        s.world.run_for(15s);
        const auto& counters = c.engine().counters();
        if (!native_reachable(kind, nonces)) {
          EXPECT_EQ(c.app.count_from(native.address(), false), 0u);
          // §5.4.1: bubbles unanswered; the second packet meets the hold-down at once.
          EXPECT_EQ(native.app.unreachable.size(), 2u);
          EXPECT_EQ(relay.engine().counters().peers_unreachable, 1u);
        } else if (policy == core::UnsolicitedPolicy::kDrop) {
          EXPECT_EQ(c.app.count_from(native.address(), false), 0u);
          EXPECT_EQ(counters.count(core::ClientDrop::kUnsolicited), 2u);
          EXPECT_EQ(relay.engine().counters().to_clients_packets, 2u);  // the relay did deliver
        } else {
          ASSERT_EQ(c.app.count_from(native.address(), false), 1u) << describe(c);
          EXPECT_EQ(c.app.received.at(0).packet.seq, 8u);
          EXPECT_EQ(native.app.count_from(*c.address(), true), 1u);
          EXPECT_EQ(counters.count(core::ClientDrop::kUnsolicited), 1u);
        }
        EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
      });
    }
  }
}

// --- client <-> client ------------------------------------------------------------------
//
// A (initiator) sends one packet to B's Teredo address; B's application reflects it. The
// engines follow RFC 4380 §5.2.4 case 5 (direct bubble to B's mapping + indirect bubble via
// B's server, repeated 2 s x 4) and RFC 5991 §3.2 (C bit ignored). B answers the indirect
// bubble with a direct bubble to A's origin (§5.2.3). A accepts a direct packet when its UDP
// source equals the mapping embedded in the peer's address (§5.2.3 case 3), or (RFC 6081
// §5.2.3, SNS) when a direct bubble echoes the nonce of A's indirect bubble.
//
// Why each cell holds (S = any symmetric kind; C, R, P = full cone, address-, port-restricted):
// - A in {C,R,P}, B in {C,R,P}: B's answer comes from B's mapping, which A's direct bubble
//   opened (exactly that address:port, so even P lets it in); A trusts B (case 3), and A's
//   data goes to B's mapping, which B's answer opened. YES.
// - A in {C,R,P}, B = S: B's answer comes from a new port. With RFC 6081 §5.2.3 as written
//   (every indirect bubble carries a nonce, the engine default NonceTrailerPolicy::kAlways):
//   C and R let the new port in and A accepts the echoed nonce, YES; P filters the new port,
//   NO. With nonce trailers only from symmetric clients (the kWhenSymmetric option), A sent
//   no nonce and must drop B's answer: NO.
// - A = S: A's NAT opened A's mapping only towards the server, so B's answer is filtered;
//   A's direct bubbles come from yet another port and carry no nonce B knows. NO.
enum : std::uint8_t { kC, kR, kP, kS, kPP, kSQ };
// [initiator][responder], in kAllNatKinds order.
// The default (RFC 6081 §5.2.3: a nonce on every indirect bubble).
constexpr bool kDefaultMatrix[6][6] = {
    /*          C     R     P     S      PP     SQ  */
    /* C  */ {true, true, true, true, true, true},
    /* R  */ {true, true, true, true, true, true},
    /* P  */ {true, true, true, false, false, false},
    /* S  */ {false, false, false, false, false, false},
    /* PP */ {false, false, false, false, false, false},
    /* SQ */ {false, false, false, false, false, false},
};
// NonceTrailerPolicy::kWhenSymmetric: the C/R -> symmetric cells are lost.
constexpr bool kNoncesWhenSymmetricMatrix[6][6] = {
    /*          C     R     P     S      PP     SQ  */
    /* C  */ {true, true, true, false, false, false},
    /* R  */ {true, true, true, false, false, false},
    /* P  */ {true, true, true, false, false, false},
    /* S  */ {false, false, false, false, false, false},
    /* PP */ {false, false, false, false, false, false},
    /* SQ */ {false, false, false, false, false, false},
};

struct Pair {
  NatKind a, b;
  bool nonces_when_symmetric;  // the kWhenSymmetric option instead of the default
};
std::string pair_name(const ::testing::TestParamInfo<Pair>& info) {
  std::string n = std::string(to_string(info.param.a)) + "_to_" +
                  std::string(to_string(info.param.b)) +
                  (info.param.nonces_when_symmetric ? "_nonces_when_symmetric" : "_default");
  for (auto& ch : n) ch = ch == '-' ? '_' : ch;
  return n;
}
std::vector<Pair> all_pairs() {
  std::vector<Pair> v;
  for (bool option : {false, true}) {
    for (auto a : kAllNatKinds) {
      for (auto b : kAllNatKinds) v.push_back({a, b, option});
    }
  }
  return v;
}

class ClientToClient : public ::testing::TestWithParam<Pair> {};

TEST_P(ClientToClient, MatrixCell) {
  const Pair p = GetParam();
  const bool expected =
      (p.nonces_when_symmetric ? kNoncesWhenSymmetricMatrix
                               : kDefaultMatrix)[static_cast<int>(p.a)][static_cast<int>(p.b)];
  ClientOptions o = ClientOptions::on(LinkProfile{20ms, 10ms});
  if (p.nonces_when_symmetric) {
    o.tweak = [](core::ClientEngineConfig& c) {
      c.nonce_trailers = core::NonceTrailerPolicy::kWhenSymmetric;
    };
  }
  for_each_seed(kSeeds / 2, [&](std::uint64_t seed) {
    Scenario s(seed, LinkProfile{5ms, 2ms});
    ClientHost& a = s.add_client(p.a, o);
    ClientHost& b = s.add_client(p.b, o);
    ASSERT_TRUE(s.qualify_all()) << describe(a) << " / " << describe(b);
    const auto t0 = s.world.now();
    a.send_app(*b.address(), 1);
    s.world.run_for(15s);
    const std::size_t got = b.app.count_from(*a.address(), false);
    if (expected) {
      ASSERT_EQ(got, 1u) << "expected connectivity " << a.name() << " -> " << b.name();
      ASSERT_EQ(a.app.count_from(*b.address(), true), 1u) << "reflection lost";
      EXPECT_LT(*a.app.first_from(*b.address(), true) - t0, 2500ms);
      EXPECT_TRUE(a.app.unreachable.empty());
    } else {
      ASSERT_EQ(got, 0u) << "unexpected connectivity " << a.name() << " -> " << b.name();
      // §5.2.4 case 5: bubbles 2 s x 4, then ICMPv6 address unreachable to the sender.
      ASSERT_EQ(a.app.unreachable.size(), 1u) << describe(a);
      EXPECT_LE(a.app.unreachable[0] - t0, 8100ms);
      EXPECT_GE(a.app.unreachable[0] - t0, 8s);
    }
    expect_no_leak(a);
    expect_no_leak(b);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

INSTANTIATE_TEST_SUITE_P(EveryPair, ClientToClient, ::testing::ValuesIn(all_pairs()), pair_name);

// Two clients behind one port-restricted NAT (RFC 6081 §3.5). A hairpinning NAT loops
// packets for its own public address back in with the translated source, so the pair
// behaves like two port-restricted clients: YES. Without hairpinning every direct packet
// is lost; the RFC 6081 §5.6 alternate-address trailers and RFC 4380 §5.2.8 local discovery
// would help, and the client engine implements neither: NO, with a clean failure.
TEST(Hairpin, TwoClientsBehindOneNat) {
  for (const bool hairpin : {true, false}) {
    for_each_seed(kSeeds / 2, [&](std::uint64_t seed) {
      Scenario s(seed, LinkProfile{5ms, 2ms});
      ClientOptions oa = ClientOptions::on(LinkProfile{20ms, 10ms});
      oa.hairpinning = hairpin;
      ClientHost& a = s.add_client(NatKind::kPortRestricted, oa);
      ClientOptions ob;
      ob.behind = &s.nat_of(a);
      ClientHost& b = s.add_client(NatKind::kPortRestricted, ob);
      ASSERT_TRUE(s.qualify_all()) << describe(a) << " / " << describe(b);
      ASSERT_EQ(a.engine().mapping()->address, b.engine().mapping()->address);
      a.send_app(*b.address(), 1);
      s.world.run_for(15s);
      if (hairpin) {
        ASSERT_EQ(b.app.count_from(*a.address(), false), 1u) << describe(a);
        EXPECT_EQ(a.app.count_from(*b.address(), true), 1u);
      } else {
        EXPECT_EQ(b.app.count_from(*a.address(), false), 0u);
        EXPECT_EQ(a.app.unreachable.size(), 1u);
      }
      expect_no_leak(a);
      expect_no_leak(b);
      EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
    });
  }
}

}  // namespace
}  // namespace shipworm::sim
