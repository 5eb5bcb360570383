#include "wire/encapsulation.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "wire/bubble.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

using test::from_hex;
using test::to_hex;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

constexpr const char* kRs =
    "6000000000083afffe800000000000000000ffffffffffffff02000000000000000000000000000285007d3700"
    "000000";

std::vector<std::uint8_t> cat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(Encapsulation, Rfc4380_5_1_1_MinimalAuthHeaderVector) {
  test::Buffer b;
  write_auth_header(b.w, {}, {}, Nonce{1, 2, 3, 4, 5, 6, 7, 8}, 0);
  EXPECT_EQ(to_hex(b.bytes()), "00010000010203040506070800");
  auto a = parse_auth_header(b.bytes());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->nonce, (Nonce{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(a->confirmation, 0);
  EXPECT_EQ(a->raw.size(), 13u);
  EXPECT_TRUE(a->client_id.empty());
  EXPECT_TRUE(a->auth_value.empty());
}

TEST(Encapsulation, Rfc4380_5_1_1_AuthHeaderWithClientIdAndValue) {
  const auto p = from_hex("0001 02 03 aabb ccddee 1112131415161718 05");
  auto a = parse_auth_header(p);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(to_hex(a->client_id), "aabb");
  EXPECT_EQ(to_hex(a->auth_value), "ccddee");
  EXPECT_EQ(a->nonce, (Nonce{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}));
  EXPECT_EQ(a->confirmation, 5);
  EXPECT_EQ(a->raw.size(), 18u);
}

TEST(Encapsulation, Rfc4380_5_1_1_DropsTruncatedAuthHeader) {
  const auto full = from_hex("0001 02 03 aabb ccddee 1112131415161718 05");
  for (std::size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(parse_auth_header(Bytes(full).first(n)).reason(), DropReason::kAuthTruncated);
  }
  // ID-len and AU-len of 255 each with a short body.
  EXPECT_EQ(parse_auth_header(from_hex("0001ffff0102030405060708090a0b0c0d")).reason(),
            DropReason::kAuthTruncated);
}

TEST(Encapsulation, Rfc4380_5_1_1_OriginIndicationVectors) {
  struct {
    std::uint16_t port;
    const char* ip;
    const char* hex;
  } const vectors[] = {{337, "1.2.3.4", "0000feaefefdfcfb"},
                       {40000, "192.0.2.45", "000063bf3ffffdd2"},
                       {3544, "65.54.227.120", "0000f227bec91c87"}};
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.hex);
    test::Buffer b;
    write_origin_indication(b.w, {v4(v.ip), v.port});
    EXPECT_EQ(to_hex(b.bytes()), v.hex);
    auto o = parse_origin_indication(from_hex(v.hex));
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(*o, (Endpoint{v4(v.ip), v.port}));
  }
  EXPECT_EQ(parse_origin_indication(from_hex("0000feaefefdfc")).reason(),
            DropReason::kOriginTruncated);
}

TEST(Encapsulation, Rfc4380_5_1_1_ClassifiesPlainIpv6) {
  const auto p = from_hex(kRs);
  auto t = classify(p);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->auth.has_value());
  EXPECT_FALSE(t->origin.has_value());
  EXPECT_EQ(t->ipv6.packet.size(), 48u);
  EXPECT_TRUE(t->ipv6.trailing.empty());
  EXPECT_EQ(t->ipv6.dst, kAllRouters);
}

TEST(Encapsulation, Rfc4380_5_1_1_ClassifiesAuthThenOriginThenIpv6) {
  const auto p =
      cat({from_hex("00010000010203040506070800"), from_hex("000063bf3ffffdd2"), from_hex(kRs)});
  auto t = classify(p);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->auth.has_value());
  EXPECT_EQ(t->auth->nonce, (Nonce{1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_TRUE(t->origin.has_value());
  EXPECT_EQ(*t->origin, (Endpoint{v4("192.0.2.45"), 40000}));
  EXPECT_EQ(to_hex(t->origin_raw), "000063bf3ffffdd2");
  EXPECT_EQ(t->ipv6.packet.size(), 48u);
  // Views point into the input, never elsewhere.
  EXPECT_EQ(t->ipv6.packet.data(), p.data() + 21);
}

TEST(Encapsulation, Rfc4380_5_1_1_ClassifiesOriginOnlyAndAuthOnly) {
  auto o = classify(cat({from_hex("000063bf3ffffdd2"), from_hex(kRs)}));
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->origin.has_value());
  EXPECT_FALSE(o->auth.has_value());
  auto a = classify(cat({from_hex("00010000010203040506070800"), from_hex(kRs)}));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->auth.has_value());
  EXPECT_FALSE(a->origin.has_value());
  EXPECT_TRUE(a->origin_raw.empty());
}

TEST(Encapsulation, Rfc6081_4_BytesAfterThePacketAreTrailers) {
  const auto p = cat({from_hex(kRs), from_hex("0104deadbeef")});
  auto t = classify(p);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->ipv6.packet.size(), 48u);
  EXPECT_EQ(to_hex(t->ipv6.trailing), "0104deadbeef");
}

TEST(Encapsulation, Rfc4380_5_2_3_DropsEmptyPayload) {
  EXPECT_EQ(classify({}).reason(), DropReason::kEmptyPayload);
}

TEST(Encapsulation, Rfc4380_5_2_3_DropsUnknownEncapsulation) {
  // An IPv4 header, and other leading bytes that are none of auth, origin or IPv6.
  for (const char* h : {"4500001c", "0002", "00", "ff", "01000000"}) {
    SCOPED_TRACE(h);
    EXPECT_EQ(classify(from_hex(h)).reason(), DropReason::kUnknownEncapsulation);
  }
}

TEST(Encapsulation, Rfc4380_5_1_1_DropsAuthAfterOriginAndRepeatedHeaders) {
  const auto auth = from_hex("00010000010203040506070800");
  const auto origin = from_hex("000063bf3ffffdd2");
  EXPECT_EQ(classify(cat({origin, auth, from_hex(kRs)})).reason(), DropReason::kEncapsulationOrder);
  EXPECT_EQ(classify(cat({auth, auth, from_hex(kRs)})).reason(), DropReason::kEncapsulationOrder);
  EXPECT_EQ(classify(cat({origin, origin, from_hex(kRs)})).reason(),
            DropReason::kEncapsulationOrder);
}

TEST(Encapsulation, Rfc4380_5_1_1_DropsTruncatedHeadersInsideThePayload) {
  EXPECT_EQ(classify(from_hex("000100000102")).reason(), DropReason::kAuthTruncated);
  EXPECT_EQ(classify(from_hex("000063bf3fff")).reason(), DropReason::kOriginTruncated);
  EXPECT_EQ(classify(from_hex("000063bf3ffffdd2")).reason(), DropReason::kIpv6Truncated);
  EXPECT_EQ(classify(from_hex("00010000010203040506070800")).reason(), DropReason::kIpv6Truncated);
}

TEST(Encapsulation, Rfc4380_5_2_3_DropsNonIpv6AfterHeaders) {
  EXPECT_EQ(classify(cat({from_hex("000063bf3ffffdd2"), from_hex("4500")})).reason(),
            DropReason::kIpv6BadVersion);
}

TEST(Ipv6, Rfc4380_5_2_3_DropsTruncatedHeader) {
  const auto p = from_hex(kRs);
  for (std::size_t n = 1; n < 40; ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(parse_ipv6(Bytes(p).first(n)).reason(), DropReason::kIpv6Truncated);
    EXPECT_EQ(classify(Bytes(p).first(n)).reason(), DropReason::kIpv6Truncated);
  }
}

TEST(Ipv6, Rfc6081_4_DropsPayloadLengthBeyondTheDatagram) {
  const auto p = from_hex(kRs);
  EXPECT_EQ(parse_ipv6(Bytes(p).first(47)).reason(), DropReason::kIpv6LengthExceedsDatagram);
  auto q = p;
  store_u16(q, 4, 0xffff);
  EXPECT_EQ(classify(q).reason(), DropReason::kIpv6LengthExceedsDatagram);
}

TEST(Ipv6, DropsWrongVersion) {
  auto p = from_hex(kRs);
  p[0] = 0x40;
  EXPECT_EQ(parse_ipv6(p).reason(), DropReason::kIpv6BadVersion);
}

TEST(Ipv6, HeaderFieldsRoundTrip) {
  test::Buffer b;
  write_ipv6_header(
      b.w, Ipv6Header{v6("2001:db8::1"), v6("2001:0:c633:6401::1"), 17, 33, 0, 0xab, 0x12345});
  auto ip = parse_ipv6(b.bytes());
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->traffic_class, 0xab);
  EXPECT_EQ(ip->flow_label, 0x12345u);
  EXPECT_EQ(ip->next_header, 17);
  EXPECT_EQ(ip->hop_limit, 33);
  EXPECT_EQ(ip->src, v6("2001:db8::1"));
  EXPECT_EQ(ip->dst, v6("2001:0:c633:6401::1"));
  EXPECT_TRUE(ip->payload().empty());
}

}  // namespace
}  // namespace shipworm::wire
