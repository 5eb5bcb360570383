#include "wire/messages.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

using test::to_hex;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

TEST(Messages, Rfc4380_5_2_1_RsDatagramIsAuthPlusSolicitationLikeMiredo) {
  test::Buffer b;
  ASSERT_TRUE(write_rs_datagram(b.w, Nonce{1, 2, 3, 4, 5, 6, 7, 8}, false));
  // 13-byte auth header + 48-byte RS = the 61-byte payload Miredo sends (seen on the wire).
  EXPECT_EQ(b.w.size(), 61u);
  EXPECT_EQ(to_hex(b.bytes()),
            "00010000010203040506070800"
            "6000000000083afffe800000000000000000ffffffffffffff02000000000000000000000000000285"
            "007d3700000000");
}

TEST(Messages, Rfc4380_5_2_1_ConeRsUsesTheConeLinkLocalSource) {
  test::Buffer b;
  ASSERT_TRUE(write_rs_datagram(b.w, Nonce{}, true));
  auto p = classify(b.bytes());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ipv6.src, v6("fe80::8000:ffff:ffff:fffd"));
  EXPECT_TRUE(parse_router_solicitation(p->ipv6).ok());
}

TEST(Messages, Rfc4380_5_3_2_RaDatagramLayoutAndFields) {
  test::Buffer b;
  RaDatagramParams ra;
  ra.server = v4("65.54.227.120");
  ra.client_ll = client_rs_link_local(false);
  ra.mapping = {v4("192.0.2.45"), 40000};
  ra.nonce = Nonce{1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(write_ra_datagram(b.w, ra));
  // auth 13 + origin 8 + IPv6 40 + RA 16 + PIO 32 + MTU 8 = 117 bytes, as Miredo's server.
  EXPECT_EQ(b.w.size(), 117u);
  EXPECT_EQ(to_hex(b.bytes().subspan(13, 8)), "000063bf3ffffdd2");

  auto p = classify(b.bytes());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->auth && p->origin);
  EXPECT_EQ(p->auth->nonce, *ra.nonce);
  EXPECT_EQ(*p->origin, ra.mapping);
  EXPECT_EQ(p->ipv6.src, v6("fe80::8000:f227:bec9:1c87"));
  EXPECT_EQ(p->ipv6.dst, v6("fe80::ffff:ffff:ffff"));
  EXPECT_EQ(p->ipv6.hop_limit, 255);
  auto adv = parse_router_advertisement(p->ipv6);
  ASSERT_TRUE(adv.ok());
  EXPECT_EQ(adv->prefix_count, 1);
  EXPECT_EQ(adv->prefix.prefix, v6("2001:0:4136:e378::"));
  EXPECT_EQ(adv->prefix.prefix_length, 64);
  EXPECT_EQ(adv->mtu, 1280u);
}

TEST(Messages, Rfc4380_5_3_2_RaWithoutNonceHasNoAuthHeader) {
  test::Buffer b;
  RaDatagramParams ra;
  ra.server = v4("198.51.100.1");
  ra.client_ll = client_rs_link_local(true);
  ra.mapping = {v4("203.0.113.9"), 1};
  ra.mtu.reset();
  ASSERT_TRUE(write_ra_datagram(b.w, ra));
  EXPECT_EQ(b.w.size(), 8u + 40 + 16 + 32);
  auto p = classify(b.bytes());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->auth.has_value());
  auto adv = parse_router_advertisement(p->ipv6);
  ASSERT_TRUE(adv.ok());
  EXPECT_FALSE(adv->mtu.has_value());
}

TEST(Messages, BuildersReportOverflowInsteadOfWritingPastTheBuffer) {
  for (std::size_t n = 0; n < 117; ++n) {
    std::vector<std::uint8_t> small(n);
    Writer w(small);
    RaDatagramParams ra;
    ra.server = v4("198.51.100.1");
    ra.nonce = Nonce{};
    EXPECT_FALSE(write_ra_datagram(w, ra)) << n;
    EXPECT_LE(w.size(), n);
  }
  for (std::size_t n = 0; n < 61; ++n) {
    std::vector<std::uint8_t> small(n);
    Writer w(small);
    EXPECT_FALSE(write_rs_datagram(w, Nonce{}, false)) << n;
  }
}

}  // namespace
}  // namespace shipworm::wire
