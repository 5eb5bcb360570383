// The pure parts of the client's Teredo interface management; the rtnetlink side runs in
// the client lab tests (tests/lab/test_client.py) and Ipv6RouteMonitor in os_tests.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <cerrno>

#include "daemon/teredo_interface.h"

namespace shipworm::daemon {
namespace {

wire::Ipv6Address v6(const char* text) { return *wire::Ipv6Address::parse(text); }

// RFC 4380 §5.5 (Miredo's metric 1029): the Teredo default route loses to native IPv6's 1024.
TEST(TeredoInterface, DefaultRouteIsLastResortOnTheTun) {
  const os::Ipv6Route r = teredo_default_route(7);
  EXPECT_EQ(r.destination, (os::Ipv6Prefix{wire::Ipv6Address{}, 0}));
  EXPECT_EQ(r.ifindex, 7U);
  EXPECT_EQ(r.metric, 1029U);
  EXPECT_GT(r.metric, os::Ipv6Route{}.metric);
  EXPECT_FALSE(r.gateway.has_value());
}

// RFC 4380 §5.1.2 / RFC 8200 §5: the MTU follows the RA, never below 1280.
TEST(TeredoInterface, MtuFollowsTheAdvertisementButNotBelow1280) {
  EXPECT_EQ(teredo_mtu(1280), 1280U);
  EXPECT_EQ(teredo_mtu(1400), 1400U);
  EXPECT_EQ(teredo_mtu(576), 1280U);
  EXPECT_EQ(teredo_mtu(0), 1280U);
}

// docs/os-linux.md: an address is usable once its RTN_LOCAL /128 route exists.
TEST(TeredoInterface, LocalRouteIsTheRtnLocalHostRouteOfTheAddress) {
  const auto a = v6("2001:0:c633:6401::1");
  os::Ipv6Route local{.destination = {a, 128}, .table = RT_TABLE_LOCAL, .type = RTN_LOCAL};
  os::Ipv6Route unicast{.destination = {a, 128}};
  os::Ipv6Route prefix{.destination = {v6("2001::"), 32}, .type = RTN_LOCAL};
  os::Ipv6Route other{.destination = {v6("2001:0:c633:6401::2"), 128}, .type = RTN_LOCAL};
  EXPECT_FALSE(has_local_route({}, a));
  EXPECT_FALSE(has_local_route({unicast, prefix, other}, a));
  EXPECT_TRUE(has_local_route({unicast, local}, a));
}

// A hook may change the interface first (Miredo's flushes it on STATE=down): what it
// already did is no error, anything else is.
TEST(TeredoInterface, ErrorsAHookCanCauseAreTolerated) {
  EXPECT_TRUE(tolerated_add_error(EEXIST));
  EXPECT_FALSE(tolerated_add_error(EPERM));
  EXPECT_TRUE(tolerated_route_delete_error(ESRCH));
  EXPECT_TRUE(tolerated_route_delete_error(ENOENT));
  EXPECT_FALSE(tolerated_route_delete_error(EPERM));
  EXPECT_TRUE(tolerated_address_delete_error(EADDRNOTAVAIL));
  EXPECT_TRUE(tolerated_address_delete_error(ENOENT));
  EXPECT_FALSE(tolerated_address_delete_error(ESRCH));
}

}  // namespace
}  // namespace shipworm::daemon
