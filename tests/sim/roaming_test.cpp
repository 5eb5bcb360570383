// A client that follows its host (RFC 4380 §5.2.5 lets it refresh whenever it wants), on
// simulated time: a NAT that reboots under a busy client, a host that moves (the daemon's
// network watch calls on_network_change()), and a flapping link. Compare
// recovery_test.cpp's NAT reboot without traffic, which waits for the next refresh.
#include <gtest/gtest.h>

#include "scenario.h"

namespace shipworm::sim {
namespace {

using namespace std::chrono_literals;
using core::ClientState;
using core::NetworkTrigger;

constexpr std::uint64_t kSeeds = 50;

// Sends one application packet to `dst` every `every` until `pred` holds or `limit` passes.
bool send_until(Scenario& s, ClientHost& c, const wire::Ipv6Address& dst, std::uint32_t& seq,
                core::Duration every, core::Duration limit, const std::function<bool()>& pred) {
  const auto end = s.world.now() + limit;
  while (s.world.now() < end) {
    if (pred()) return true;
    c.send_app(dst, seq++);
    if (s.world.run_until_true(pred, every)) return true;
  }
  return pred();
}

// The NAT reboots while the client talks to a native host through a relay: the relay now
// sees a mapping that does not match the address (RFC 4380 §5.4.2) and drops; nothing comes
// back, so the client asks its server after 2 s and gets the new mapping at once, well
// before the refresh interval.
TEST(Roaming, Rfc4380_5_2_5_NatRebootUnderTrafficIsNoticedWithinSeconds) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kPortRestricted);
    s.add_relay(0);
    NativeHost& native = s.add_native(0);
    ASSERT_TRUE(s.qualify_all());
    std::uint32_t seq = 0;
    ASSERT_TRUE(send_until(s, c, native.address(), seq, 100ms, 10s,
                           [&] { return c.app.count_from(native.address(), true) > 0; }));
    s.world.run_for(std::chrono::milliseconds(s.world.random().between(0, 2000)));
    const auto old = *c.address();
    const auto rebooted = s.world.now();
    s.nat_of(c).reboot();
    ASSERT_TRUE(send_until(s, c, native.address(), seq, 100ms, 20s, [&] {
      return c.address() && *c.address() != old;
    })) << describe(c);
    EXPECT_LE(s.world.now() - rebooted, 5s);
    const auto change = c.engine().status().last_network_change;
    ASSERT_TRUE(change);
    EXPECT_EQ(change->trigger, NetworkTrigger::kDeadMapping);
    ASSERT_TRUE(change->recovered_in);
    const auto t = s.world.now();
    const auto before = c.app.count_from(native.address(), true);
    ASSERT_TRUE(send_until(s, c, native.address(), seq, 200ms, 10s,
                           [&] { return c.app.count_from(native.address(), true) > before; }));
    EXPECT_LT(s.world.now() - t, 3s);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

// The host joins another network: the NAT in front of it is new (modelled by a reboot: no
// mappings), and the daemon's network watch reports the change. The client has a new,
// working address within about a second, with nothing sent meanwhile.
TEST(Roaming, Rfc4380_5_2_5_HostMoveRequalifiesAtOnce) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kPortRestricted);
    s.add_relay(0);
    NativeHost& native = s.add_native(0);
    ASSERT_TRUE(s.qualify_all());
    s.world.run_for(std::chrono::seconds(s.world.random().between(1, 60)));
    const auto old = *c.address();
    const auto moved = s.world.now();
    s.nat_of(c).reboot();
    c.engine().on_network_change(moved, "the path toward the server changed", c);
    EXPECT_FALSE(c.address());  // the old address goes at once
    ASSERT_TRUE(s.world.run_until_true([&] { return c.address().has_value(); }, 10s))
        << describe(c);
    EXPECT_NE(*c.address(), old);
    EXPECT_LE(s.world.now() - moved, 1s);
    const auto change = c.engine().status().last_network_change;
    ASSERT_TRUE(change);
    EXPECT_EQ(change->trigger, NetworkTrigger::kNetwork);
    EXPECT_EQ(change->recovered_in, s.world.now() - moved);
    std::uint32_t seq = 0;
    ASSERT_TRUE(send_until(s, c, native.address(), seq, 200ms, 10s,
                           [&] { return c.app.count_from(native.address(), true) > 0; }));
    EXPECT_LT(s.world.now() - moved, 3s);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

// A link that flaps (each flap reported, sometimes with a NAT reboot): the client ends
// qualified with a working address once the flapping stops, and never breaks an invariant.
TEST(Roaming, FlappingLinkEndsWithAWorkingAddress) {
  for_each_seed(kSeeds, [&](std::uint64_t seed) {
    Scenario s(seed);
    ClientHost& c = s.add_client(NatKind::kPortRestricted);
    s.add_relay(0);
    NativeHost& native = s.add_native(0);
    ASSERT_TRUE(s.qualify_all());
    for (int flap = 0; flap < 10; ++flap) {
      if (s.world.random().between(0, 1) == 1) s.nat_of(c).reboot();
      c.engine().on_network_change(s.world.now(), "link eth0 went down", c);
      s.world.run_for(std::chrono::milliseconds(s.world.random().between(50, 700)));
    }
    ASSERT_TRUE(
        s.world.run_until_true([&] { return c.engine().state() == ClientState::kQualified; }, 20s))
        << describe(c);
    std::uint32_t seq = 0;
    ASSERT_TRUE(send_until(s, c, native.address(), seq, 200ms, 10s,
                           [&] { return c.app.count_from(native.address(), true) > 0; }));
    EXPECT_EQ(
        c.engine().counters().network_changes[static_cast<std::size_t>(NetworkTrigger::kNetwork)],
        10u);
    EXPECT_TRUE(s.world.violations().empty()) << s.world.violations().front();
  });
}

}  // namespace
}  // namespace shipworm::sim
