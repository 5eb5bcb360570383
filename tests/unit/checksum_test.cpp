#include "wire/checksum.h"

#include <gtest/gtest.h>

#include <vector>

#include "test_util.h"
#include "wire/router_discovery.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

using test::from_hex;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

TEST(Checksum, Rfc4443_2_3_RouterSolicitationVectors) {
  // docs/rfc-notes.md §6.3, cross-checked against Miredo's hard-coded values.
  const std::uint8_t rs[8] = {133, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(icmpv6_checksum(v6("fe80::ffff:ffff:ffff"), kAllRouters, rs), 0x7d37);
  EXPECT_EQ(icmpv6_checksum(v6("fe80::8000:5445:5245:444f"), kAllRouters, rs), 0x125d);
  EXPECT_EQ(icmpv6_checksum(v6("fe80::8000:ffff:ffff:fffd"), kAllRouters, rs), 0xfd38);
}

TEST(Checksum, Rfc4443_2_3_ReceivedPacketWithValidChecksumSumsToZero) {
  const auto p = from_hex(
      "6000000000083afffe800000000000000000ffffffffffffff020000000000000000000000000002"
      "85007d3700000000");
  const Bytes all = p;
  EXPECT_EQ(icmpv6_checksum(Ipv6Address::from_bytes(all.subspan(8)),
                            Ipv6Address::from_bytes(all.subspan(24)), all.subspan(40)),
            0);
}

TEST(Checksum, OddLengthIsPaddedWithZero) {
  const std::uint8_t odd[3] = {0x12, 0x34, 0x56};
  const std::uint8_t even[4] = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(ones_complement_sum(odd), ones_complement_sum(even));
  EXPECT_EQ(ones_complement_sum(odd), 0x1234u + 0x5600u);
}

TEST(Checksum, LargeInputDoesNotOverflow) {
  std::vector<std::uint8_t> big(65535, 0xff);
  const auto s = ones_complement_sum(big);
  EXPECT_GT(s, 0u);
  // 32767 words of 0xffff plus 0xff00: folding must give the same as a reference loop.
  std::uint64_t ref = 32767ull * 0xffff + 0xff00;
  while (ref >> 32) ref = (ref & 0xffffffff) + (ref >> 32);
  EXPECT_EQ(s, ref);
}

TEST(Checksum, Rfc4380_5_2_1_BuiltRouterSolicitationMatchesVectorBytes) {
  std::array<std::uint8_t, 64> buf{};
  Writer w(buf);
  ASSERT_TRUE(write_router_solicitation(w, client_rs_link_local(false)));
  EXPECT_EQ(test::to_hex(w.written()),
            "6000000000083afffe800000000000000000ffffffffffffff02000000000000000000000000000285"
            "007d3700000000");
}

TEST(Checksum, FoldAddsTheCarriesBackIn) {
  EXPECT_EQ(fold_sum(0), 0);
  EXPECT_EQ(fold_sum(0xffff), 0xffff);
  EXPECT_EQ(fold_sum(0x1fffe), 0xffff);     // 0xfffe + 1
  EXPECT_EQ(fold_sum(0xffffffff), 0xffff);  // 0xffff + 0xffff = 0x1fffe -> 0xffff
  EXPECT_EQ(fold_sum(0x00012345), 0x2346);
}

// RFC 8200 §8.1: the pseudo-header is source, destination, 32-bit upper-layer length, three
// zero bytes and the next header; summed with an ICMPv6 message it gives what
// icmpv6_checksum (which builds the pseudo-header from the addresses) computes.
TEST(Checksum, Rfc8200_8_1_PseudoHeaderSumAgreesWithIcmpv6Checksum) {
  const auto src = *Ipv6Address::parse("2001:db8::1");
  const auto dst = *Ipv6Address::parse("2001:0:c633:6401::2");
  std::vector<std::uint8_t> packet(40 + 12);
  packet[6] = 58;
  std::copy(src.bytes.begin(), src.bytes.end(), packet.begin() + 8);
  std::copy(dst.bytes.begin(), dst.bytes.end(), packet.begin() + 24);
  for (std::size_t i = 40; i < packet.size(); ++i) packet[i] = static_cast<std::uint8_t>(i * 7);
  const Bytes message = Bytes(packet).subspan(40);
  const std::uint32_t sum = pseudo_header_sum(packet, message.size(), 58);
  EXPECT_EQ(static_cast<std::uint16_t>(~fold_sum(ones_complement_sum(message, sum))),
            icmpv6_checksum(src, dst, message));
  // The next header and the length are part of it.
  EXPECT_NE(fold_sum(pseudo_header_sum(packet, message.size(), 17)), fold_sum(sum));
  EXPECT_NE(fold_sum(pseudo_header_sum(packet, message.size() + 1, 58)), fold_sum(sum));
}

}  // namespace
}  // namespace shipworm::wire
