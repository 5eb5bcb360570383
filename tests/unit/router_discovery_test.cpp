#include "wire/router_discovery.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "wire/encapsulation.h"
#include "wire/messages.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

using test::fix_icmpv6;
using test::from_hex;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }
Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }

std::vector<std::uint8_t> rs_packet(bool cone = false) {
  test::Buffer b;
  EXPECT_TRUE(write_router_solicitation(b.w, client_rs_link_local(cone)));
  return b.vec();
}

// An RA as the server sends it, as an IPv6 packet (no encapsulation).
std::vector<std::uint8_t> ra_packet() {
  test::Buffer b;
  RouterAdvertisementParams p;
  p.src = server_link_local(v4("198.51.100.1"));
  p.dst = client_rs_link_local(false);
  p.prefix.prefix = teredo_prefix(v4("198.51.100.1"));
  EXPECT_TRUE(write_router_advertisement(b.w, p));
  return b.vec();
}

Parsed<RouterSolicitation> rs_of(const std::vector<std::uint8_t>& p) {
  auto ip = parse_ipv6(p);
  EXPECT_TRUE(ip.ok());
  return parse_router_solicitation(*ip);
}
Parsed<RouterAdvertisement> ra_of(const std::vector<std::uint8_t>& p) {
  auto ip = parse_ipv6(p);
  EXPECT_TRUE(ip.ok());
  return parse_router_advertisement(*ip);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_AcceptsValidSolicitation) {
  auto rs = rs_of(rs_packet());
  ASSERT_TRUE(rs.ok());
  EXPECT_FALSE(rs->has_source_link_layer);
  EXPECT_TRUE(rs_of(rs_packet(true)).ok());
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsHopLimitBelow255) {
  auto p = rs_packet();
  p[7] = 254;
  EXPECT_EQ(rs_of(p).reason(), DropReason::kNdBadHopLimit);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsBadChecksum) {
  auto p = rs_packet();
  p[43] ^= 1;
  EXPECT_EQ(rs_of(p).reason(), DropReason::kIcmpv6BadChecksum);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsNonZeroCode) {
  auto p = rs_packet();
  p[41] = 1;
  fix_icmpv6(p);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kNdBadCode);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsIcmpShorterThan8) {
  auto p = rs_packet();
  p.resize(46);
  fix_icmpv6(p);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kNdTruncated);
}

TEST(RouterSolicitation, Rfc4443_DropsIcmpShorterThanItsHeader) {
  auto p = rs_packet();
  p.resize(42);
  store_u16(p, 4, 2);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kIcmpv6Truncated);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsZeroLengthOption) {
  auto p = rs_packet();
  test::append(p, {1, 0, 0, 0, 0, 0, 0, 0});
  fix_icmpv6(p);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kNdOptionZeroLength);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsOptionRunningPastTheMessage) {
  auto p = rs_packet();
  test::append(p, {1, 2, 0, 0, 0, 0, 0, 0});  // claims 16 bytes, has 8
  fix_icmpv6(p);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kNdOptionTruncated);
  auto q = rs_packet();
  q.push_back(1);  // a lone option type byte
  fix_icmpv6(q);
  EXPECT_EQ(rs_of(q).reason(), DropReason::kNdOptionTruncated);
}

TEST(RouterSolicitation, Rfc4861_6_1_1_DropsUnspecifiedSourceWithLinkLayerOption) {
  auto p = rs_packet();
  std::fill(p.begin() + 8, p.begin() + 24, 0);  // source ::
  test::append(p, {1, 1, 2, 0, 0, 0, 0, 1});
  fix_icmpv6(p);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kRsUnspecifiedSourceWithSlla);
  // The same option from a real source is fine.
  auto q = rs_packet();
  test::append(q, {1, 1, 2, 0, 0, 0, 0, 1});
  fix_icmpv6(q);
  ASSERT_TRUE(rs_of(q).ok());
  EXPECT_TRUE(rs_of(q)->has_source_link_layer);
}

TEST(RouterSolicitation, DropsOtherIcmpTypesAndNonIcmp) {
  auto p = rs_packet();
  p[40] = 134;
  fix_icmpv6(p);
  EXPECT_EQ(rs_of(p).reason(), DropReason::kIcmpv6UnexpectedType);
  auto q = rs_packet();
  q[6] = 17;  // UDP
  EXPECT_EQ(rs_of(q).reason(), DropReason::kNotIcmpv6);
}

TEST(RouterAdvertisement, Rfc4380_5_3_2_ParsesServerAdvertisement) {
  auto ra = ra_of(ra_packet());
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra->prefix_count, 1);
  EXPECT_EQ(ra->prefix.prefix, v6("2001:0:c633:6401::"));
  EXPECT_EQ(ra->prefix.prefix_length, 64);
  EXPECT_EQ(ra->prefix.flags, 0x40);
  EXPECT_EQ(ra->prefix.valid_lifetime, 0xffffffffu);
  EXPECT_EQ(ra->prefix.preferred_lifetime, 0xffffffffu);
  ASSERT_TRUE(ra->mtu.has_value());
  EXPECT_EQ(*ra->mtu, 1280u);
  EXPECT_EQ(ra->router_lifetime, 0);
  EXPECT_EQ(ra->retrans_timer, 2000u);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsNonLinkLocalSource) {
  auto p = ra_packet();
  p[8] = 0x20;
  p[9] = 0x01;
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kRaSourceNotLinkLocal);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsHopLimitBelow255) {
  auto p = ra_packet();
  p[7] = 64;
  EXPECT_EQ(ra_of(p).reason(), DropReason::kNdBadHopLimit);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsBadChecksum) {
  auto p = ra_packet();
  p[50] ^= 0x80;
  EXPECT_EQ(ra_of(p).reason(), DropReason::kIcmpv6BadChecksum);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsNonZeroCode) {
  auto p = ra_packet();
  p[41] = 3;
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kNdBadCode);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsIcmpShorterThan16) {
  auto p = ra_packet();
  p.resize(40 + 12);
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kNdTruncated);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsZeroLengthOption) {
  auto p = ra_packet();
  p[40 + 16 + 1] = 0;  // the PIO's length
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kNdOptionZeroLength);
}

TEST(RouterAdvertisement, Rfc4861_6_1_2_DropsOptionRunningPastTheMessage) {
  auto p = ra_packet();
  p.resize(p.size() - 4);  // cut the MTU option in half
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kNdOptionTruncated);
}

TEST(RouterAdvertisement, Rfc4861_4_6_2_DropsPrefixOptionOfWrongLength) {
  auto p = ra_packet();
  p[40 + 16 + 1] = 3;  // PIO claims 24 bytes; the next "option" starts inside it
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kRaBadPrefixOption);
}

TEST(RouterAdvertisement, Rfc4861_4_6_2_DropsPrefixLengthAbove128) {
  auto p = ra_packet();
  p[40 + 16 + 2] = 129;
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kRaBadPrefixOption);
}

TEST(RouterAdvertisement, Rfc4861_4_6_4_DropsMtuOptionOfWrongLength) {
  auto p = ra_packet();
  test::append(p, {5, 2, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  fix_icmpv6(p);
  EXPECT_EQ(ra_of(p).reason(), DropReason::kRaBadMtuOption);
}

TEST(RouterAdvertisement, Rfc4861_4_2_IgnoresUnknownOptionsAndCountsPrefixes) {
  auto p = ra_packet();
  test::append(p, {200, 1, 9, 9, 9, 9, 9, 9});  // unknown option
  // A second PIO: counted, but the first one is reported.
  const std::vector<std::uint8_t> pio(p.begin() + 56, p.begin() + 88);
  p.insert(p.end(), pio.begin(), pio.end());
  p[p.size() - 32 + 16] = 0x2a;
  fix_icmpv6(p);
  auto ra = ra_of(p);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra->prefix_count, 2);
  EXPECT_EQ(ra->prefix.prefix, v6("2001:0:c633:6401::"));
}

TEST(RouterAdvertisement, DropsSolicitationType) {
  auto rs = rs_packet();
  auto ip = parse_ipv6(rs);
  ASSERT_TRUE(ip.ok());
  // An RS has a link-local source too, so the type check is what rejects it.
  EXPECT_EQ(parse_router_advertisement(*ip).reason(), DropReason::kIcmpv6UnexpectedType);
}

TEST(RouterDiscovery, BuildersFailCleanlyWhenTheBufferIsTooSmall) {
  for (std::size_t n = 0; n < 96; ++n) {
    std::vector<std::uint8_t> small(n, 0xee);
    Writer w(small);
    RouterAdvertisementParams p;
    p.src = server_link_local(v4("198.51.100.1"));
    EXPECT_FALSE(write_router_advertisement(w, p)) << n;
  }
  std::array<std::uint8_t, 96> exact{};
  Writer w(exact);
  RouterAdvertisementParams p;
  p.src = server_link_local(v4("198.51.100.1"));
  EXPECT_TRUE(write_router_advertisement(w, p));
  EXPECT_EQ(w.size(), 96u);
}

}  // namespace
}  // namespace shipworm::wire
