#include "wire/trailers.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace shipworm::wire {
namespace {

using test::from_hex;
using test::to_hex;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }

Parsed<Trailers> parse(const char* hex) {
  const auto bytes = from_hex(hex);
  return parse_trailers(bytes);
}

TEST(Trailers, Rfc6081_4_2_NonceTrailer) {
  auto t = parse("0104 deadbeef");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->nonce.has_value());
  EXPECT_EQ(*t->nonce, Nonce32{0xdeadbeef});
  EXPECT_FALSE(t->malformed);
  test::Buffer b;
  write_nonce_trailer(b.w, Nonce32{0xdeadbeef});
  EXPECT_EQ(to_hex(b.bytes()), "0104deadbeef");
}

TEST(Trailers, Rfc6081_4_4_NdOptionTrailer) {
  auto sol = parse("0404 00000000");
  ASSERT_TRUE(sol.ok());
  EXPECT_EQ(sol->nd, NdDiscoveryType::kSolicitation);
  auto adv = parse("0404 01000000");
  ASSERT_TRUE(adv.ok());
  EXPECT_EQ(adv->nd, NdDiscoveryType::kAdvertisement);
  auto other = parse("0404 07000000");  // unknown discovery type: ignored, not malformed
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->nd.has_value());
  EXPECT_FALSE(other->malformed);
  test::Buffer b;
  write_nd_option_trailer(b.w, NdDiscoveryType::kSolicitation);
  write_nd_option_trailer(b.w, NdDiscoveryType::kAdvertisement);
  EXPECT_EQ(to_hex(b.bytes()),
            "0404000000000404"
            "01000000");
}

TEST(Trailers, Rfc6081_4_5_And_9_RandomPortTrailerAcceptsBothTypeCodes) {
  auto a = parse("0502 1234");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->random_port, 0x1234);
  auto b = parse("0202 4321");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->random_port, 0x4321);
  test::Buffer w;
  write_random_port_trailer(w.w, 0x1234);
  write_random_port_trailer(w.w, 0x4321, kTrailerRandomPortIana);
  EXPECT_EQ(to_hex(w.bytes()),
            "050212340202"
            "4321");
}

TEST(Trailers, Rfc6081_4_3_AlternateAddressTrailerVector) {
  auto t = parse("0308 0000 c0a80100 0fff");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->has_alternate);
  ASSERT_EQ(t->alternate_count, 1u);
  EXPECT_EQ(t->alternate[0], (Endpoint{v4("192.168.1.0"), 4095}));
  test::Buffer b;
  const Endpoint e[] = {{v4("192.168.1.0"), 4095}};
  write_alternate_address_trailer(b.w, e);
  EXPECT_EQ(to_hex(b.bytes()), "03080000c0a801000fff");
}

TEST(Trailers, Rfc6081_4_3_AlternateAddressWithFourEntries) {
  auto t = parse("031a 0000 c0000201 0001 c0000202 0002 c0000203 0003 c0000204 0004");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->alternate_count, 4u);
  EXPECT_EQ(t->alternate[3], (Endpoint{v4("192.0.2.4"), 4}));
}

TEST(Trailers, Rfc6081_4_3_AlternateAddressOfBadLengthIsMalformed) {
  for (const char* h :
       {"0306 0000 c0000201", "0309 0000 c0000201 0001 00",
        "0320 0000 c0000201 0001 c0000202 0002 c0000203 0003 c0000204 0004 c0000205 0005"}) {
    SCOPED_TRACE(h);
    auto t = parse(h);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(t->malformed);
    EXPECT_EQ(t->malformed_type, kTrailerAlternateAddress);
    EXPECT_FALSE(t->has_alternate);
  }
  test::Buffer b;
  write_alternate_address_trailer(b.w, {});
  EXPECT_FALSE(b.w.ok());
}

TEST(Trailers, Rfc6081_4_1_UnknownTypeWithTopBits01DiscardsThePacket) {
  EXPECT_EQ(parse("4100").reason(), DropReason::kTrailerUnknownDiscard);
  EXPECT_EQ(parse("0104 deadbeef 7f02 0000").reason(), DropReason::kTrailerUnknownDiscard);
}

TEST(Trailers, Rfc6081_4_1_OtherUnknownTypesAreSkipped) {
  auto t = parse("8102 aaaa 0104 01020304 c000 3f01 00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->unknown_skipped, 3);
  ASSERT_TRUE(t->nonce.has_value());
  EXPECT_FALSE(t->malformed);
}

TEST(Trailers, Rfc6081_5_1_2_StopsAtTheFirstMalformedTrailer) {
  // Length 3 with only 2 bytes left (docs/rfc-notes.md §6.3).
  auto t = parse("0104 01020304 0503 aabb");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->malformed);
  EXPECT_EQ(t->malformed_type, 0x05);
  EXPECT_TRUE(t->nonce.has_value());  // what came before is kept
  EXPECT_FALSE(t->random_port.has_value());
  // A lone byte is malformed; so is anything after the malformed trailer (not processed,
  // even a discard type).
  auto lone = parse("0104 01020304 01");
  ASSERT_TRUE(lone.ok());
  EXPECT_TRUE(lone->malformed);
  auto after = parse("0103 010203 4100");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->malformed);
  EXPECT_EQ(after->malformed_type, kTrailerNonce);
  EXPECT_FALSE(after->nonce.has_value());
}

TEST(Trailers, Rfc6081_4_KnownTypeWithWrongLengthIsMalformed) {
  for (const char* h : {"0103 010203", "0403 000000", "0501 01", "0203 010203"}) {
    SCOPED_TRACE(h);
    auto t = parse(h);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(t->malformed);
  }
}

TEST(Trailers, Rfc6081_5_1_2_FirstOccurrenceOfARepeatedTypeCounts) {
  auto t = parse("0104 01010101 0104 02020202 0502 0001 0502 0002");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nonce->bytes()[0], 1);
  EXPECT_EQ(*t->random_port, 1);
}

TEST(Trailers, ShipwormFilteringProbeTrailerIsSkippableByOthers) {
  test::Buffer b;
  write_filtering_probe_trailer(b.w);
  EXPECT_EQ(to_hex(b.bytes()), "a500");
  auto t = parse("a500 0104 01020304");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->filtering_probe);
  EXPECT_TRUE(t->nonce.has_value());
  EXPECT_EQ(kTrailerFilteringProbe >> 6,
            0x2);  // RFC 6081 §4.1: receivers that do not know it skip it
  auto bad = parse("a501 00");
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->malformed);
  EXPECT_FALSE(bad->filtering_probe);
}

TEST(Trailers, EmptyIsNoTrailers) {
  auto t = parse_trailers({});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->malformed);
  EXPECT_FALSE(t->nonce || t->nd || t->random_port || t->has_alternate);
}

}  // namespace
}  // namespace shipworm::wire
