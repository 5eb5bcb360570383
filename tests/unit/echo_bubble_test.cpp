#include <gtest/gtest.h>

#include "test_util.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

using test::fix_icmpv6;
using test::to_hex;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

const Ipv6Address kClient = v6("2001:0:c633:6401:0:f227:34ff:8ef8");
const Ipv6Address kNative = v6("2001:db8:1::10");

std::vector<std::uint8_t> echo(bool request,
                               std::vector<std::uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8}) {
  test::Buffer b;
  EXPECT_TRUE(write_echo(b.w, EchoParams{request, kClient, kNative, 64, 0x1234, 7, data}));
  return b.vec();
}

Parsed<Echo> echo_of(const std::vector<std::uint8_t>& p) {
  auto ip = parse_ipv6(p);
  EXPECT_TRUE(ip.ok());
  auto icmp = parse_icmpv6(*ip);
  if (!icmp) return icmp.reason();
  return parse_echo(*icmp);
}

TEST(Echo, Rfc4443_4_1_RequestRoundTrips) {
  const auto p = echo(true);  // the parsed view points into p
  auto e = echo_of(p);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_request);
  EXPECT_EQ(e->identifier, 0x1234);
  EXPECT_EQ(e->sequence, 7);
  EXPECT_EQ(to_hex(e->data), "0102030405060708");
}

TEST(Echo, Rfc4443_4_2_ReplyRoundTrips) {
  const auto p = echo(false, {});
  auto e = echo_of(p);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->is_request);
  EXPECT_TRUE(e->data.empty());
}

TEST(Echo, Rfc4443_DropsNonZeroCode) {
  auto p = echo(true);
  p[41] = 1;
  fix_icmpv6(p);
  EXPECT_EQ(echo_of(p).reason(), DropReason::kEchoBadCode);
}

TEST(Echo, Rfc4443_DropsEchoWithoutIdentifierAndSequence) {
  auto p = echo(true, {});
  p.resize(44 + 2);
  fix_icmpv6(p);
  EXPECT_EQ(echo_of(p).reason(), DropReason::kEchoTruncated);
}

TEST(Echo, Rfc4443_DropsOtherTypesAndBadChecksum) {
  auto p = echo(true);
  p[40] = 1;  // destination unreachable
  fix_icmpv6(p);
  EXPECT_EQ(echo_of(p).reason(), DropReason::kIcmpv6UnexpectedType);
  auto q = echo(true);
  q.back() ^= 0xff;
  EXPECT_EQ(echo_of(q).reason(), DropReason::kIcmpv6BadChecksum);
}

TEST(Bubble, Rfc4380_2_8_BubbleIsA40ByteHeaderWithNoNextHeader) {
  test::Buffer b;
  ASSERT_TRUE(write_bubble(b.w, kClient, kNative, 0));
  EXPECT_EQ(b.w.size(), 40u);
  EXPECT_EQ(to_hex(b.bytes().first(8)),
            "60000000"
            "00003b00");
  auto t = classify(b.bytes());
  ASSERT_TRUE(t.ok());
  auto bubble = parse_bubble(t->ipv6);
  ASSERT_TRUE(bubble.ok());
  EXPECT_EQ(bubble->src, kClient);
  EXPECT_EQ(bubble->dst, kNative);
}

TEST(Bubble, Rfc4380_5_2_8_DiscoveryBubbleHasHopLimitOne) {
  test::Buffer b;
  ASSERT_TRUE(write_bubble(b.w, kClient, kAllNodes, 1));
  EXPECT_EQ(to_hex(b.bytes().first(8)),
            "60000000"
            "00003b01");
}

TEST(Bubble, Rfc4380_2_8_NotABubbleWhenPayloadOrNextHeaderDiffer) {
  const auto p = echo(true);
  auto t = classify(p);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(parse_bubble(t->ipv6).reason(), DropReason::kNotBubble);
  test::Buffer b;
  write_ipv6_header(b.w, Ipv6Header{kClient, kNative, 58, 0, 0, 0, 0});
  auto u = classify(b.bytes());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(parse_bubble(u->ipv6).reason(), DropReason::kNotBubble);
}

}  // namespace
}  // namespace shipworm::wire
