// Udp6Segmenter (USO reads from the TUN, os/linux/udp_segment.h). Pure; no kernel.
#include <gtest/gtest.h>

#include <vector>

#include "os/linux/udp_segment.h"
#include "test_util.h"
#include "wire/checksum.h"
#include "wire/ip_address.h"

namespace shipworm::os {
namespace {

using Packet = std::vector<std::uint8_t>;

const auto kSrc = *wire::Ipv6Address::parse("2001:db8:1::10");
const auto kDst = *wire::Ipv6Address::parse("2001:0:c633:6401::1");

std::uint16_t u16(const Packet& p, std::size_t at) {
  return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}

// An IPv6 + UDP super-packet as the kernel hands it over: lengths for the whole, a partial
// checksum (here just garbage: the segmenter must not rely on it).
Packet super_packet(std::size_t payload) {
  Packet p(48 + payload);
  p[0] = 0x60;
  p[1] = 0x0a;  // traffic class bits, kept
  p[3] = 0x42;  // flow label, kept
  const std::size_t len = 8 + payload;
  p[4] = static_cast<std::uint8_t>(len >> 8);
  p[5] = static_cast<std::uint8_t>(len);
  p[6] = 17;
  p[7] = 63;
  std::copy(kSrc.bytes.begin(), kSrc.bytes.end(), p.begin() + 8);
  std::copy(kDst.bytes.begin(), kDst.bytes.end(), p.begin() + 24);
  p[40] = 0x14;  // ports 5201 -> 49153
  p[41] = 0x51;
  p[42] = 0xc0;
  p[43] = 0x01;
  p[44] = p[4];
  p[45] = p[5];
  p[46] = 0xde;
  p[47] = 0xad;
  for (std::size_t k = 0; k < payload; ++k) p[48 + k] = static_cast<std::uint8_t>(k * 7 + 1);
  return p;
}

std::vector<Packet> cut(const Packet& p, std::size_t segment) {
  Udp6Segmenter s;
  EXPECT_TRUE(s.start(p, segment));
  std::vector<Packet> out;
  Packet buf(2000);
  while (const std::size_t n = s.next(buf))
    out.emplace_back(buf.begin(), buf.begin() + static_cast<long>(n));
  return out;
}

TEST(Udp6Segmenter, CutsIntoDatagramsOfTheGsoSizeWithTheirOwnLengthsAndChecksums) {
  const Packet p = super_packet(1000);
  const auto segs = cut(p, 300);
  ASSERT_EQ(segs.size(), 4U);  // 300 + 300 + 300 + 100
  std::vector<std::uint8_t> payload;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const Packet& s = segs[i];
    const std::size_t len = i < 3 ? 300 : 100;
    ASSERT_EQ(s.size(), 48 + len);
    EXPECT_TRUE(std::equal(s.begin(), s.begin() + 4, p.begin())) << "version, class, label";
    EXPECT_TRUE(std::equal(s.begin() + 6, s.begin() + 44, p.begin() + 6))
        << "next header, hop limit, addresses, ports";
    EXPECT_EQ(u16(s, 4), 8 + len) << "IPv6 Payload Length";
    EXPECT_EQ(u16(s, 44), 8 + len) << "UDP Length";
    EXPECT_EQ(test::transport_sum(s), 0xffff) << "checksum of datagram " << i;
    EXPECT_NE(u16(s, 46), 0) << "IPv6 UDP checksums are never zero";
    payload.insert(payload.end(), s.begin() + 48, s.end());
  }
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), p.begin() + 48, p.end()));
}

TEST(Udp6Segmenter, ExactMultipleAndSingleSegment) {
  EXPECT_EQ(cut(super_packet(600), 300).size(), 2U);
  const auto one = cut(super_packet(64), 1232);
  ASSERT_EQ(one.size(), 1U);
  EXPECT_EQ(one[0].size(), 48U + 64U);
  EXPECT_EQ(test::transport_sum(one[0]), 0xffff);
}

// RFC 8200 §8.1: a computed checksum of zero is sent as 0xffff.
TEST(Udp6Segmenter, Rfc8200_8_1_ZeroChecksumIsSentAsAllOnes) {
  Packet p = super_packet(2);
  // Choose the two payload bytes so that the datagram's sum without them is cancelled: then
  // the one's-complement sum is 0xffff and the checksum computes to 0.
  p[48] = 0;
  p[49] = 0;
  Packet probe = cut(p, 2)[0];
  probe[46] = 0;
  probe[47] = 0;
  const std::uint16_t rest = test::transport_sum(probe);  // sum of everything but the checksum
  const auto fill = static_cast<std::uint16_t>(~rest);
  p[48] = static_cast<std::uint8_t>(fill >> 8);
  p[49] = static_cast<std::uint8_t>(fill);
  const Packet s = cut(p, 2)[0];
  EXPECT_EQ(u16(s, 46), 0xffff);
  EXPECT_EQ(test::transport_sum(s), 0xffff);
}

TEST(Udp6Segmenter, RefusesWhatIsNotIpv6UdpWithPayload) {
  Udp6Segmenter s;
  Packet p = super_packet(100);
  EXPECT_FALSE(s.start(p, 0)) << "segment 0";
  EXPECT_FALSE(s.start(wire::Bytes(p).first(48), 10)) << "headers only";
  Packet tcp = p;
  tcp[6] = 6;
  EXPECT_FALSE(s.start(tcp, 10)) << "TCP";
  Packet v4 = p;
  v4[0] = 0x45;
  EXPECT_FALSE(s.start(v4, 10)) << "IPv4";
  Packet buf(2000);
  EXPECT_EQ(s.next(buf), 0U) << "nothing after a refused start";
}

// RFC 768 / RFC 8200 §3: UDP Length and Payload Length are 16 bits.
TEST(Udp6Segmenter, Rfc8200_3_RejectsDatagramsLongerThanTheLengthFieldsCanSay) {
  Udp6Segmenter s;
  const Packet big = super_packet(70000);
  EXPECT_FALSE(s.start(big, 65535)) << "8 + 65535 bytes";
  EXPECT_FALSE(s.start(big, 65528)) << "65536 bytes of UDP";
  EXPECT_TRUE(s.start(big, 65527)) << "65535 bytes of UDP";
  EXPECT_TRUE(s.start(super_packet(100), 65535)) << "the one datagram is small";
}

TEST(Udp6Segmenter, TooSmallOutputCutsNothing) {
  Udp6Segmenter s;
  const Packet p = super_packet(100);  // start() keeps a view: the packet must outlive it
  ASSERT_TRUE(s.start(p, 50));
  Packet small(48 + 49);
  EXPECT_EQ(s.next(small), 0U);
  Packet big(48 + 50);
  EXPECT_EQ(s.next(big), 98U);
}

}  // namespace
}  // namespace shipworm::os
