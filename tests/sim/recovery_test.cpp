// Recovery, asserted on simulated time against what the RFCs imply: NAT mapping expiry and
// rebinding (refresh interval, RFC 4380 §5.2.5), server restart and outage (T = 4 s x
// N = 3, then the bounded backoff), relay restart and route withdrawal (§5.4.1 bubbles).
#include <gtest/gtest.h>

#include "scenario.h"

namespace shipworm::sim {
namespace {

using namespace std::chrono_literals;
using core::ClientState;

constexpr std::uint64_t kSeeds = 50;

// A NAT reboot loses every mapping. The next refresh (at most the 30 s refresh interval
// after the last RA, RFC 4380 §5.2.5) gets an RA with the new mapping: a new address, and
// traffic to the native host flows again from it.
TEST(Recovery, Rfc4380_5_2_5_NatRebindingIsDetectedWithinOneRefreshInterval) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kPortRestricted);
    s.add_relay(0);
    NativeHost& native = s.add_native(0);
    ASSERT_TRUE(s.qualify_all());
    s.world.run_for(std::chrono::seconds(s.world.random().between(1, 60)));
    const auto old = *c.address();
    const auto rebooted = s.world.now();
    s.nat_of(c).reboot();
    ASSERT_TRUE(s.world.run_until_true([&] { return c.address() && *c.address() != old; }, 40s))
        << describe(c);
    EXPECT_LE(s.world.now() - rebooted, 30s + 200ms);
    EXPECT_EQ(c.engine().state(), ClientState::kQualified);
    EXPECT_EQ(c.address_events.back().old_address, old);
    const auto t = s.world.now();
    c.send_app(native.address(), 1);
    ASSERT_TRUE(
        s.world.run_until_true([&] { return c.app.count_from(native.address(), true) == 1; }, 5s));
    EXPECT_LT(s.world.now() - t, 2s);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

// A mapping that expires before the refresh (20 s < 22.5-30 s): every refresh finds a new
// mapping, so the address changes each time, and the client never goes off-line. (RFC 4380
// §5.2.7 interval determination would shorten the interval; it is not implemented.)
TEST(Recovery, Rfc4380_5_2_5_ShortMappingTimeoutChangesTheAddressEachRefreshButStaysQualified) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientOptions o;
    o.mapping_timeout = 20s;
    ClientHost& c = s.add_client(NatKind::kPortRestricted, o);
    ASSERT_TRUE(s.qualify_all());
    for (int i = 0; i < 60; ++i) {
      s.world.run_for(5s);
      ASSERT_EQ(c.engine().state(), ClientState::kQualified) << describe(c);
    }
    // 300 s / 22.5-30 s per refresh: 10 to 13 new mappings, each noticed.
    EXPECT_GE(c.address_events.size(), 1u + 9);
    EXPECT_LE(c.address_events.size(), 1u + 14);
    EXPECT_TRUE(s.world.violations().empty());
  });
}

// The server keeps no client state (docs/architecture.md, "House rules"): an instant restart
// goes unnoticed.
TEST(Recovery, ServerRestartWithoutDowntimeIsInvisibleToClients) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& a = s.add_client(NatKind::kPortRestricted);
    ClientHost& b = s.add_client(NatKind::kFullCone);
    ASSERT_TRUE(s.qualify_all());
    const auto addr = *a.address();
    s.world.run_for(std::chrono::seconds(s.world.random().between(1, 40)));
    s.server.restart(0s);
    a.send_app(*b.address(), 1);  // bubbles go through the new server engine
    s.world.run_for(5min);
    EXPECT_EQ(a.address(), addr);
    EXPECT_EQ(a.address_events.size(), 1u);
    EXPECT_EQ(a.app.count_from(*b.address(), true), 1u);
    EXPECT_TRUE(s.world.violations().empty());
  });
}

// A 60 s outage: the client notices at the first refresh that gets no RA (at most 30 s +
// T x N = 12 s), qualifies again after the server is back within one qualification (12 s)
// plus the backoff then pending (at most 20 s: 10 s, then 20 s, randomized to 75-100 %).
TEST(Recovery, Rfc4380_5_2_5_ServerOutageIsDetectedAndRecoveredWithinTheBackoffBound) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kAddressRestricted);
    ASSERT_TRUE(s.qualify_all());
    s.world.run_for(std::chrono::seconds(s.world.random().between(1, 40)));
    const auto down = s.world.now();
    s.server.restart(60s);
    ASSERT_TRUE(
        s.world.run_until_true([&] { return c.engine().state() != ClientState::kQualified; }, 60s));
    EXPECT_LE(s.world.now() - down, 30s + 12s);
    EXPECT_FALSE(c.address());
    const auto up = down + 60s;
    ASSERT_TRUE(
        s.world.run_until_true([&] { return c.engine().state() == ClientState::kQualified; }, 3min))
        << describe(c);
    EXPECT_GE(s.world.now(), up);
    EXPECT_LE(s.world.now() - up, 20s + 12s + 1s) << describe(c);
    EXPECT_TRUE(s.world.violations().empty());
  });
}

// A relay restart loses every peer entry. Client -> native resumes at once (the relay
// forwards valid packets from unknown clients, UnknownPeerPolicy::kForward); native ->
// client resumes after one bubble exchange through the server (§5.4.1 case 3), well within
// the first 2 s retry.
TEST(Recovery, Rfc4380_5_4_1_RelayRestartRecoversWithinOneBubbleExchange) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kPortRestricted);
    RelayHost& relay = s.add_relay(0);
    NativeHost& native = s.add_native(0);
    ASSERT_TRUE(s.qualify_all());
    c.send_app(native.address(), 1);
    s.world.run_for(2s);
    ASSERT_EQ(c.app.count_from(native.address(), true), 1u);
    relay.restart(5s);
    const auto up = s.world.now() + 5s;
    std::uint32_t seq = 100;
    for (int i = 0; i < 12; ++i) {  // both sides keep talking, one packet a second
      native.send_app(*c.address(), ++seq);
      c.send_app(native.address(), seq);
      s.world.run_for(1s);
    }
    const auto to_client = c.app.first_from(native.address(), false, up);
    const auto to_native = native.app.first_from(*c.address(), false, up);
    ASSERT_TRUE(to_client && to_native) << describe(c);
    EXPECT_LE(*to_native - up, 1s + 100ms);
    EXPECT_LE(*to_client - up, 2s);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

// RFC 4380 §5.4, §7.3.5: the IPv6 cloud routes 2001::/32 to the nearest relay; when that
// relay withdraws its route, the native host's packets reach the next relay, which bubbles
// and delivers them. The client trusts only the relay its ping test found (§5.2.3 case 1:
// a trusted entry accepts only its own mapping), so it drops them until that entry is no
// longer valid (30 s without reception, §5.2.4) and its next packet runs a new ping test
// (§5.2.9), answered through the new relay. Bound: 30 s + one ping exchange. Meanwhile
// client -> native keeps flowing through the withdrawn relay, which is still up.
TEST(Recovery, Rfc4380_7_3_5_TrafficMovesToTheNextRelayWhenTheNearestWithdraws) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kFullCone);
    RelayHost& far = s.add_relay(0);
    RelayHost& near = s.add_relay(10);
    NativeHost& native = s.add_native(9);
    ASSERT_TRUE(s.qualify_all());
    c.send_app(native.address(), 1);
    s.world.run_for(3s);
    ASSERT_EQ(c.app.count_from(native.address(), true), 1u);
    EXPECT_GT(near.engine().counters().to_clients_packets, 0u);
    EXPECT_EQ(far.engine().counters().tun_packets_in, 0u);
    s.world.cloud().set_advertising(&near, false);
    const auto t = s.world.now();
    for (std::uint32_t i = 2; i < 40; ++i) {
      native.send_app(*c.address(), i);
      c.send_app(native.address(), i);
      s.world.run_for(1s);
    }
    const auto moved = c.app.first_from(native.address(), false, t);
    ASSERT_TRUE(moved) << describe(c);
    EXPECT_LE(*moved - t, 30s + 2s);
    EXPECT_GT(far.engine().counters().to_clients_packets, 0u);
    // The client's own packets never stopped reaching the native host.
    EXPECT_GE(native.app.count_from(*c.address(), false), 38u);
    EXPECT_TRUE(s.world.violations().empty());
  });
}

}  // namespace
}  // namespace shipworm::sim
