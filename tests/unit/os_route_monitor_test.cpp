// Ipv6RouteMonitor against the real kernel, in a private network namespace (root; skipped
// otherwise): a new address's RTN_LOCAL route (docs/os-linux.md) arrives as a notification,
// so nothing has to poll the route table.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <poll.h>

#include <algorithm>
#include <string>
#include <vector>

#include "child_test_util.h"
#include "os/linux/event_loop.h"
#include "os/linux/netlink.h"
#include "os/linux/private_netns.h"
#include "os/linux/tun_device.h"

namespace shipworm::os {
namespace {

using wire::Ipv6Address;

const Ipv6Address kTeredo = *Ipv6Address::parse("2001:0:c633:6401::1");

bool is_local(const Ipv6Route& r) {
  return r.type == RTN_LOCAL && r.destination == Ipv6Prefix{kTeredo, 128};
}

TEST(Ipv6RouteMonitor, NewAddressLocalRouteArrivesAsNotification) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto tun = TunDevice::open({.name = "teredo"});
    CHILD_OK(tun);
    auto nl = Netlink::open();
    CHILD_OK(nl);
    const unsigned idx = tun->ifindex();
    CHILD_OK(nl->set_link_up(idx));
    auto monitor = Ipv6RouteMonitor::open();
    CHILD_OK(monitor);
    auto none = monitor->read_added();  // non-blocking: nothing pending yet, or link routes
    CHILD_OK(none);
    CHILD_CHECK(std::none_of(none->begin(), none->end(), is_local), "local route too early");
    CHILD_OK(nl->add_address(idx, {kTeredo, 32}, {.no_dad = true}));
    bool seen = false;
    const auto until = EventLoop::now() + std::chrono::seconds(5);
    while (!seen && EventLoop::now() < until) {
      pollfd p{monitor->fd(), POLLIN, 0};
      CHILD_CHECK(poll(&p, 1, 5000) >= 0, "poll");
      auto added = monitor->read_added();
      CHILD_OK(added);
      seen = std::any_of(added->begin(), added->end(), is_local);
    }
    CHILD_CHECK(seen, "no RTN_LOCAL notification for the new address");
    // Deletions are not reported as additions.
    CHILD_OK(nl->delete_address(idx, {kTeredo, 32}));
    pollfd p{monitor->fd(), POLLIN, 0};
    (void)poll(&p, 1, 200);
    auto after = monitor->read_added();
    CHILD_OK(after);
    CHILD_CHECK(std::none_of(after->begin(), after->end(), is_local), "deletion reported");
    return {};
  });
}

}  // namespace
}  // namespace shipworm::os
