#include "wire/teredo_address.h"

#include <gtest/gtest.h>

#include <bitset>
#include <set>

#include "os/linux/csprng.h"

namespace shipworm::wire {
namespace {

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }
Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }

struct Vector {
  const char* address;
  const char* server;
  std::uint16_t flags;
  std::uint16_t port;
  const char* mapped;
};

// docs/rfc-notes.md §6.1 (RFC 6081 §3.1 Fig. 2 and §3.5 Fig. 3, and the classic example).
constexpr Vector kVectors[] = {
    {"2001:0000:4136:e378:8000:63bf:3fff:fdd2", "65.54.227.120", 0x8000, 40000, "192.0.2.45"},
    {"2001:0:cb00:7178:0:efff:3fff:fdfe", "203.0.113.120", 0x0000, 4096, "192.0.2.1"},
    {"2001:0:c633:6476:0:dfff:3fff:fdf5", "198.51.100.118", 0x0000, 8192, "192.0.2.10"},
    {"2001:0:cb00:7178:0:f000:39cc:9b89", "203.0.113.120", 0x0000, 4095, "198.51.100.118"},
    {"2001:0:cb00:7178:0:efff:39cc:9b89", "203.0.113.120", 0x0000, 4096, "198.51.100.118"},
};

TEST(TeredoAddress, Rfc4380_4_DecodesEveryVector) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.address);
    const auto t = TeredoAddress::from_ipv6(v6(v.address));
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->server, v4(v.server));
    EXPECT_EQ(t->flags, v.flags);
    EXPECT_EQ(t->cone(), (v.flags & 0x8000) != 0);
    EXPECT_EQ(t->mapped.port, v.port);
    EXPECT_EQ(t->mapped.address, v4(v.mapped));
  }
}

TEST(TeredoAddress, Rfc4380_4_EncodesEveryVector) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.address);
    const TeredoAddress t{v4(v.server), v.flags, {v4(v.mapped), v.port}};
    EXPECT_EQ(t.to_ipv6(), v6(v.address));
  }
}

TEST(TeredoAddress, Rfc4380_4_EncodesRfc5991ClientWithoutRandomBits) {
  const TeredoAddress t{v4("65.54.227.120"), 0x0000, {v4("192.0.2.45"), 40000}};
  EXPECT_EQ(t.to_ipv6().to_string(), "2001:0:4136:e378:0:63bf:3fff:fdd2");
  EXPECT_EQ(t.to_ipv6(), v6("2001:0000:4136:e378:0000:63bf:3fff:fdd2"));
}

TEST(TeredoAddress, Rfc4380_4_BriefAddressBytes) {
  const TeredoAddress t{v4("65.54.227.120"), 0x8000, {v4("192.0.2.45"), 40000}};
  const std::array<std::uint8_t, 16> expected = {0x20, 0x01, 0x00, 0x00, 0x41, 0x36, 0xe3, 0x78,
                                                 0x80, 0x00, 0x63, 0xbf, 0x3f, 0xff, 0xfd, 0xd2};
  EXPECT_EQ(t.to_ipv6().bytes, expected);
}

TEST(TeredoAddress, Rfc5991_3_1_RandomFlagVectors) {
  // C = 0, Random1 = 0xA, Random2 = 0x5C -> 0x285c.
  EXPECT_EQ(make_flags(false, static_cast<std::uint16_t>((0xA << 10) | 0x5C)), 0x285c);
  const TeredoAddress t{v4("65.54.227.120"), 0x285c, {v4("192.0.2.45"), 40000}};
  EXPECT_EQ(t.to_ipv6(), v6("2001:0:4136:e378:285c:63bf:3fff:fdd2"));
  EXPECT_EQ(t.random_bits(), 0x285c);
  // Every random bit and C set -> 0xbcff.
  EXPECT_EQ(make_flags(true, 0xffff), 0xbcff);
}

TEST(TeredoAddress, Rfc5991_3_1_MakeFlagsNeverSetsZUGForAnyInput) {
  for (std::uint32_t r = 0; r <= 0xffff; ++r) {
    for (bool cone : {false, true}) {
      const std::uint16_t f = make_flags(cone, static_cast<std::uint16_t>(r));
      ASSERT_EQ(f & 0x4300, 0) << std::hex << r;
      ASSERT_EQ((f & 0x8000) != 0, cone);
      ASSERT_EQ(f & 0x3cff, r & 0x3cff);
      ASSERT_TRUE((TeredoAddress{v4("192.0.2.1"), f, {}}.rfc5991_compliant()));
    }
  }
}

TEST(TeredoAddress, Rfc5991_4_RandomBitsFromCsprngCoverEveryBit) {
  // 4096 draws: each of the 12 random bits is seen both set and clear, and the draws are
  // mostly distinct. (A fixed or biased generator fails; a working one fails with
  // probability below 2^-4000.)
  std::array<int, 16> ones{};
  std::set<std::uint16_t> distinct;
  constexpr int kDraws = 4096;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint16_t f = make_flags(false, os::random_value<std::uint16_t>());
    distinct.insert(f);
    for (int b = 0; b < 16; ++b) ones[static_cast<std::size_t>(b)] += (f >> b) & 1;
  }
  for (int b = 0; b < 16; ++b) {
    SCOPED_TRACE(b);
    const int n = ones[static_cast<std::size_t>(b)];
    if ((0x3cff >> b) & 1) {
      EXPECT_GT(n, kDraws / 4);
      EXPECT_LT(n, kDraws * 3 / 4);
    } else {
      EXPECT_EQ(n, 0);
    }
  }
  EXPECT_GT(distinct.size(), 2000u);  // expected about 2600 of 4096 possible values
}

TEST(TeredoAddress, Rfc5991_3_1_ZBitSetIsNotCompliant) {
  EXPECT_FALSE((TeredoAddress{v4("192.0.2.1"), 0x4000, {}}.rfc5991_compliant()));
  EXPECT_FALSE((TeredoAddress{v4("192.0.2.1"), 0xc000, {}}.rfc5991_compliant()));
  EXPECT_FALSE((TeredoAddress{v4("192.0.2.1"), 0x0200, {}}.rfc5991_compliant()));
  EXPECT_FALSE((TeredoAddress{v4("192.0.2.1"), 0x0100, {}}.rfc5991_compliant()));
  EXPECT_TRUE((TeredoAddress{v4("192.0.2.1"), 0xbcff, {}}.rfc5991_compliant()));
}

TEST(TeredoAddress, Rfc4380_2_6_RejectsAddressesOutsideTheTeredoPrefix) {
  for (const char* a : {"2002:c000:22d::1", "2001:1::1", "3ffe:831f::1", "::1", "fe80::1",
                        "2001:db8::1", "2000:0:4136:e378:8000:63bf:3fff:fdd2"}) {
    SCOPED_TRACE(a);
    EXPECT_FALSE(TeredoAddress::from_ipv6(v6(a)).has_value());
    EXPECT_FALSE(is_teredo(v6(a)));
  }
  EXPECT_TRUE(is_teredo(v6("2001::")));
  EXPECT_TRUE(is_teredo(v6("2001:0:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(TeredoAddress, Rfc4380_5_3_2_ServerLinkLocalVectors) {
  EXPECT_EQ(server_link_local(v4("65.54.227.120")), v6("fe80::8000:f227:bec9:1c87"));
  EXPECT_EQ(server_link_local(v4("203.0.113.120")), v6("fe80::8000:f227:34ff:8e87"));
  EXPECT_EQ(server_link_local(v4("198.51.100.118")), v6("fe80::8000:f227:39cc:9b89"));
}

TEST(TeredoAddress, Rfc4380_5_2_1_ClientRsLinkLocalCarriesTheConeBit) {
  EXPECT_EQ(client_rs_link_local(false), v6("fe80::ffff:ffff:ffff"));
  EXPECT_EQ(client_rs_link_local(true), v6("fe80::8000:ffff:ffff:fffd"));
  EXPECT_TRUE(client_rs_link_local(true).is_link_local());
}

TEST(TeredoAddress, Rfc4380_2_12_ClientPrefix) {
  EXPECT_EQ(teredo_prefix(v4("65.54.227.120")), v6("2001:0:4136:e378::"));
}

}  // namespace
}  // namespace shipworm::wire
