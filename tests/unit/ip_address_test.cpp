#include "wire/ip_address.h"

#include <gtest/gtest.h>

namespace shipworm::wire {
namespace {

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }

TEST(GlobalUnicast, Rfc4380_5_2_4_RejectsEveryListedRange) {
  for (const char* a :
       {"0.1.2.3", "0.0.0.0", "127.0.0.1", "10.1.2.3", "10.255.255.255", "172.16.0.0",
        "172.31.255.255", "192.168.0.1", "192.168.255.255", "169.254.1.1", "192.88.99.1",
        "192.88.99.255", "224.0.0.253", "239.255.255.255", "255.255.255.255"}) {
    SCOPED_TRACE(a);
    EXPECT_FALSE(is_global_unicast(v4(a)));
  }
}

TEST(GlobalUnicast, Rfc4380_5_2_4_AcceptsEverythingElseIncludingTestNets) {
  // The RFC list is exhaustive: 240/4, 100.64/10 and the documentation ranges pass it.
  for (const char* a : {"65.54.227.120", "192.0.2.45", "198.51.100.1", "203.0.113.7", "172.32.0.1",
                        "172.15.255.255", "100.64.0.1", "240.0.0.1", "255.255.255.254",
                        "192.88.98.255", "192.88.100.0", "1.0.0.0", "126.255.255.255", "128.0.0.0",
                        "169.253.255.255", "223.255.255.255", "11.0.0.0"}) {
    SCOPED_TRACE(a);
    EXPECT_TRUE(is_global_unicast(v4(a)));
  }
}

TEST(IpAddress, ParsesAndFormats) {
  EXPECT_EQ(v4("192.0.2.1").value, 0xC0000201u);
  EXPECT_EQ(v4("192.0.2.1").to_string(), "192.0.2.1");
  EXPECT_EQ(Ipv4Address::from_octets(203, 0, 113, 7), v4("203.0.113.7"));
  EXPECT_EQ((Endpoint{v4("198.51.100.1"), 3544}.to_string()), "198.51.100.1:3544");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", " 1.2.3.4", "1.2.3.4 ", "x",
                          "1.2.3.4/24", "01234567890123456789"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(Ipv4Address::parse(bad).has_value());
  }
  const auto a = Ipv6Address::parse("2001:0000:4136:e378:8000:63bf:3fff:fdd2");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->to_string(), "2001:0:4136:e378:8000:63bf:3fff:fdd2");
  for (const char* bad : {"", "2001::1::2", "192.0.2.1", "fe80::1%eth0", "g::1",
                          "2001:0000:4136:e378:8000:63bf:3fff:fdd2:1"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(Ipv6Address::parse(bad).has_value());
  }
}

TEST(IpAddress, RejectsEmptyAndNullViewsAndEmbeddedNul) {
  EXPECT_FALSE(Ipv4Address::parse(std::string_view{}).has_value());
  EXPECT_FALSE(Ipv6Address::parse(std::string_view{}).has_value());
  using namespace std::string_view_literals;
  EXPECT_FALSE(Ipv4Address::parse("192.0.2.45\0\0"sv).has_value());
  EXPECT_FALSE(Ipv6Address::parse("2001:db8::1\0"sv).has_value());
}

TEST(IpAddress, Ipv6Classes) {
  EXPECT_TRUE(Ipv6Address::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(Ipv6Address::parse("febf::1")->is_link_local());
  EXPECT_FALSE(Ipv6Address::parse("fec0::1")->is_link_local());
  EXPECT_TRUE(kAllRouters.is_multicast());
  EXPECT_EQ(kAllRouters.to_string(), "ff02::2");
  EXPECT_EQ(kAllNodes.to_string(), "ff02::1");
  EXPECT_TRUE(Ipv6Address{}.is_unspecified());
  EXPECT_FALSE(kAllNodes.is_unspecified());
}

}  // namespace
}  // namespace shipworm::wire
