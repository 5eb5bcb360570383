// NetworkMonitor and Netlink::ipv4_route_to against the real kernel, in a private network
// namespace (root; skipped otherwise): what the client follows of its host's network
// (docs/roaming.md). Links, IPv4 addresses and IPv4 routes arrive as rtnetlink(7)
// notifications; `ip route get` semantics for the path toward the server.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "child_test_util.h"
#include "os/linux/event_loop.h"
#include "os/linux/netlink.h"
#include "os/linux/network_monitor.h"
#include "os/linux/private_netns.h"

namespace shipworm::os {
namespace {

using wire::Ipv4Address;

const Ipv4Address kServer = *Ipv4Address::parse("198.51.100.1");

std::string sh(const std::string& cmd) {
  if (std::system((cmd + " 2>&1").c_str()) != 0) return "'" + cmd + "' failed";
  return {};
}

// Waits (poll, at most 5 s) until `want` matches a notification; returns an error text or "".
std::string wait_for(NetworkMonitor& m, const std::function<bool(const NetworkEvent&)>& want,
                     const char* what) {
  const auto until = EventLoop::now() + std::chrono::seconds(5);
  while (EventLoop::now() < until) {
    pollfd p{m.fd(), POLLIN, 0};
    if (poll(&p, 1, 1000) < 0) return "poll failed";
    auto events = m.read();
    if (!events) return events.error().message();
    if (std::any_of(events->begin(), events->end(), want)) return {};
  }
  return std::string("no notification: ") + what;
}

TEST(NetworkMonitor, Rtnetlink_ReportsAddressesLinksAndRoutes) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto m = NetworkMonitor::open();
    CHILD_OK(m);
    if (auto e = sh("ip link add eth9 type veth peer name eth9p && ip link set eth9p up");
        !e.empty())
      return e;
    auto nl = Netlink::open();
    CHILD_OK(nl);
    auto idx = nl->link_index("eth9");
    CHILD_OK(idx);
    const unsigned eth9 = *idx;
    CHILD_OK(nl->set_link_up(eth9));
    auto e = wait_for(
        *m,
        [&](const NetworkEvent& ev) {
          return ev.kind == NetworkEvent::Kind::kLink && ev.ifindex == eth9 &&
                 (ev.link_flags & IFF_UP) != 0;
        },
        "link up");
    if (!e.empty()) return e;
    const Ipv4Address a = *Ipv4Address::parse("10.0.1.10");
    CHILD_OK(nl->add_address(eth9, a, 24));
    e = wait_for(
        *m,
        [&](const NetworkEvent& ev) {
          return ev.kind == NetworkEvent::Kind::kAddress && !ev.removed && ev.ifindex == eth9 &&
                 ev.address == a;
        },
        "address added");
    if (!e.empty()) return e;
    if (auto s = sh("ip route add default via 10.0.1.1"); !s.empty()) return s;
    e = wait_for(
        *m,
        [&](const NetworkEvent& ev) {
          return ev.kind == NetworkEvent::Kind::kRoute && !ev.removed && ev.ifindex == eth9 &&
                 ev.table == 254;
        },
        "default route added (main table)");
    if (!e.empty()) return e;
    CHILD_OK(nl->set_link_up(eth9, false));
    e = wait_for(
        *m,
        [&](const NetworkEvent& ev) {
          return ev.kind == NetworkEvent::Kind::kLink && ev.ifindex == eth9 &&
                 (ev.link_flags & IFF_UP) == 0;
        },
        "link down");
    if (!e.empty()) return e;
    CHILD_OK(nl->delete_address(eth9, a, 24));
    return wait_for(
        *m,
        [&](const NetworkEvent& ev) {
          return ev.kind == NetworkEvent::Kind::kAddress && ev.removed && ev.address == a;
        },
        "address removed");
  });
}

TEST(Netlink, Rtnetlink_RouteToTheServerGivesInterfaceSourceAndGateway) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto nl = Netlink::open();
    CHILD_OK(nl);
    // No route at all: no path, and no error.
    auto none = nl->ipv4_route_to(kServer);
    CHILD_OK(none);
    CHILD_CHECK(!none->has_value(), "a path without any route");

    if (auto e = sh("ip link add eth9 type veth peer name eth9p && ip link set eth9p up && ip link "
                    "set eth9 up && "
                    "ip addr add 10.0.1.10/24 dev eth9 && ip route add default via 10.0.1.1");
        !e.empty()) {
      return e;
    }
    auto idx = nl->link_index("eth9");
    CHILD_OK(idx);
    auto p = nl->ipv4_route_to(kServer);
    CHILD_OK(p);
    CHILD_CHECK(p->has_value(), "no path with a default route");
    CHILD_CHECK((*p)->ifindex == *idx, "wrong interface");
    CHILD_CHECK((*p)->source == *Ipv4Address::parse("10.0.1.10"), "wrong source");
    CHILD_CHECK((*p)->gateway == Ipv4Address::parse("10.0.1.1"), "wrong gateway");
    CHILD_CHECK((*p)->to_string() == "eth9 10.0.1.10 via 10.0.1.1", (*p)->to_string());

    // On-link destinations have no gateway.
    auto onlink = nl->ipv4_route_to(*Ipv4Address::parse("10.0.1.77"));
    CHILD_OK(onlink);
    CHILD_CHECK(onlink->has_value() && !(*onlink)->gateway, "on-link path has a gateway");

    // Another address: another path (the host joined another network).
    if (auto e = sh("ip addr flush dev eth9 && ip addr add 10.0.2.20/24 dev eth9 && "
                    "ip route add default via 10.0.2.1");
        !e.empty()) {
      return e;
    }
    auto moved = nl->ipv4_route_to(kServer);
    CHILD_OK(moved);
    CHILD_CHECK(moved->has_value() && (*moved)->source == *Ipv4Address::parse("10.0.2.20") &&
                    (*moved)->gateway == Ipv4Address::parse("10.0.2.1"),
                "the path did not follow the new address");

    // An unreachable route: no path.
    if (auto e = sh("ip route add unreachable 198.51.100.0/24"); !e.empty()) return e;
    auto blocked = nl->ipv4_route_to(kServer);
    CHILD_OK(blocked);
    CHILD_CHECK(!blocked->has_value(), "a path through an unreachable route");
    return {};
  });
}

}  // namespace
}  // namespace shipworm::os
