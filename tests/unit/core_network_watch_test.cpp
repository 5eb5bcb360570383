// NetworkWatch: which changes of the host's IPv4 network make the client re-qualify (RFC 4380
// §5.2.5 lets it refresh whenever it wants), and the damping of bursts and flapping links.
#include <gtest/gtest.h>

#include "core/network_watch.h"

namespace shipworm::core {
namespace {

using namespace std::chrono_literals;
using Kind = HostNetworkEvent::Kind;

const TimePoint t0 = TimePoint{} + 1000s;
constexpr unsigned kEth0 = 2;
constexpr unsigned kOther = 5;

wire::Ipv4Address v4(const char* s) { return *wire::Ipv4Address::parse(s); }

HostPath path(const char* source, const char* gateway = "10.0.1.1", unsigned ifindex = kEth0) {
  return HostPath{ifindex, ifindex == kEth0 ? "eth0" : "wlan0", v4(source), v4(gateway)};
}

HostNetworkEvent link(unsigned ifindex, bool up) {
  return {.kind = Kind::kLink, .removed = false, .ifindex = ifindex, .link_up = up};
}
HostNetworkEvent address(unsigned ifindex, const char* a, bool removed) {
  return {.kind = Kind::kAddress, .removed = removed, .ifindex = ifindex, .address = v4(a)};
}
HostNetworkEvent route(unsigned ifindex, bool removed) {
  return {.kind = Kind::kRoute, .removed = removed, .ifindex = ifindex};
}

TEST(NetworkWatch, NothingPendingHasNoDeadline) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  EXPECT_EQ(w.deadline(), kNoDeadline);
  EXPECT_FALSE(w.look(t0, path("10.0.1.10")));
}

TEST(NetworkWatch, AnUnrelatedInterfaceComingAndGoingLeavesTheClientAlone) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, link(kOther, true));
  w.on_event(t0 + 10ms, address(kOther, "10.99.0.1", false));
  w.on_event(t0 + 20ms, route(kOther, false));
  w.on_event(t0 + 30ms, link(kOther, false));
  w.on_event(t0 + 40ms, address(kOther, "10.99.0.1", true));
  ASSERT_EQ(w.deadline(), t0 + 240ms);
  EXPECT_FALSE(w.look(t0 + 240ms, path("10.0.1.10")));
  EXPECT_FALSE(w.pending());
}

// Another address on the same interface that is not the path's source: untouched.
TEST(NetworkWatch, ASecondAddressOnThePathsInterfaceIsNotAChange) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, address(kEth0, "10.0.1.77", false));
  w.on_event(t0 + 5ms, address(kEth0, "10.0.1.77", true));
  EXPECT_FALSE(w.look(w.deadline(), path("10.0.1.10")));
}

TEST(NetworkWatch, ANewSourceAddressIsAChange) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, address(kEth0, "10.0.1.10", true));
  w.on_event(t0 + 5ms, address(kEth0, "10.0.2.10", false));
  w.on_event(t0 + 6ms, route(kEth0, false));
  const auto why = w.look(w.deadline(), path("10.0.2.10", "10.0.2.1"));
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "the path toward the server changed: eth0 10.0.1.10 via 10.0.1.1 -> eth0 10.0.2.10 "
            "via 10.0.2.1");
  EXPECT_EQ(w.path(), path("10.0.2.10", "10.0.2.1"));
  EXPECT_EQ(w.changed_at(), t0);  // the burst's first notification
}

TEST(NetworkWatch, AnotherInterfaceTakingTheRouteIsAChange) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, route(kOther, false));
  EXPECT_TRUE(w.look(w.deadline(), path("192.168.8.3", "192.168.8.1", kOther)));
}

// Another Wi-Fi often hands out the same private address and gateway, behind another NAT:
// carrier loss on the path's interface counts even when the same route comes back.
TEST(NetworkWatch, CarrierLossOnThePathsInterfaceIsAChangeEvenIfTheRouteComesBackTheSame) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, link(kEth0, false));
  w.on_event(t0 + 50ms, link(kEth0, true));
  const auto why = w.look(w.deadline(), path("10.0.1.10"));
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "link eth0 went down (the path toward the server is eth0 10.0.1.10 via 10.0.1.1 "
            "again)");
}

TEST(NetworkWatch, TheSourceAddressRemovedAndAddedBackIsAChange) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, address(kEth0, "10.0.1.10", true));
  w.on_event(t0 + 50ms, address(kEth0, "10.0.1.10", false));
  const auto why = w.look(w.deadline(), path("10.0.1.10"));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rfind("address 10.0.1.10 removed from eth0", 0), 0u) << *why;
}

TEST(NetworkWatch, TheRouteGoingAwayAndComingBackAreChanges) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, route(kEth0, true));
  auto why = w.look(w.deadline(), std::nullopt);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "the path toward the server changed: eth0 10.0.1.10 via 10.0.1.1 -> no route");
  w.on_event(t0 + 5s, route(kEth0, false));
  why = w.look(w.deadline(), path("10.0.1.10"));
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "the path toward the server changed: no route -> eth0 10.0.1.10 via 10.0.1.1");
}

TEST(NetworkWatch, LostNotificationsCountAsAChange) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_lost_events(t0);
  const auto why = w.look(w.deadline(), path("10.0.1.10"));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rfind("network notifications were lost", 0), 0u) << *why;
}

// A move is a burst of notifications: the path is looked at once they have been quiet for
// 200 ms, but a burst that never ends is looked at 1 s after its start.
TEST(NetworkWatch, BurstsSettleFor200MsButAtMost1s) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  w.on_event(t0, link(kEth0, false));
  EXPECT_EQ(w.deadline(), t0 + 200ms);
  w.on_event(t0 + 150ms, link(kEth0, true));
  EXPECT_EQ(w.deadline(), t0 + 350ms);
  EXPECT_FALSE(w.look(t0 + 200ms, path("10.0.1.10")));  // too early: still pending
  EXPECT_TRUE(w.pending());
  for (auto t = 300ms; t < 3s; t += 100ms) w.on_event(t0 + t, route(kOther, false));
  EXPECT_EQ(w.deadline(), t0 + 1s);
  EXPECT_TRUE(w.look(t0 + 1s, path("10.0.1.10")));
}

// A flapping link: the first three changes act at once; then each waits a doubling hold-down,
// and what is pending when it ends is still acted on.
TEST(NetworkWatch, FlappingIsDampedNotIgnored) {
  NetworkWatch w;
  w.reset(path("10.0.1.10"));
  std::vector<TimePoint> acted;
  TimePoint now = t0;
  for (int flap = 0; flap < 20; ++flap) {  // down and up every 500 ms for 10 s
    w.on_event(now, link(kEth0, false));
    w.on_event(now + 10ms, link(kEth0, true));
    const TimePoint next = now + 500ms;
    while (w.pending() && w.deadline() < next) {
      const TimePoint d = w.deadline();
      if (w.look(d, path("10.0.1.10"))) acted.push_back(d);
    }
    now = next;
  }
  // The flapping stops: whatever is pending is acted on once the hold-down ends.
  while (w.pending()) {
    const TimePoint d = w.deadline();
    if (w.look(d, path("10.0.1.10"))) acted.push_back(d);
  }
  ASSERT_GE(acted.size(), 5u);
  EXPECT_LE(acted.size(), 7u);  // 20 flaps, not 20 re-qualifications
  EXPECT_EQ(acted[0], t0 + 210ms);
  EXPECT_EQ(acted[1], t0 + 710ms);
  EXPECT_EQ(acted[2], t0 + 1210ms);
  EXPECT_GE(acted[3] - acted[2], 2s);
  EXPECT_GE(acted[4] - acted[3], 4s);
  EXPECT_GE(acted.back(), t0 + 9500ms);  // the last flap was not ignored
}

}  // namespace
}  // namespace shipworm::core
