// Tcp6Segmenter and complete_checksum (TSO reads from the TUN). Pure; no kernel.
#include <gtest/gtest.h>

#include <vector>

#include "os/linux/tcp_segment.h"
#include "test_util.h"
#include "wire/checksum.h"
#include "wire/ip_address.h"

namespace shipworm::os {
namespace {

using Packet = std::vector<std::uint8_t>;

const auto kSrc = *wire::Ipv6Address::parse("2001:db8:1::10");
const auto kDst = *wire::Ipv6Address::parse("2001:0:c633:6401::1");

std::uint32_t u32(const Packet& p, std::size_t at) {
  return std::uint32_t{p[at]} << 24 | std::uint32_t{p[at + 1]} << 16 |
         std::uint32_t{p[at + 2]} << 8 | std::uint32_t{p[at + 3]};
}

// IPv6 + TCP (12 bytes of options) with `payload` bytes, flags as given, seq 0xfffffff0
// (so that the segments' sequence numbers wrap).
Packet super_packet(std::size_t payload, std::uint8_t flags) {
  const std::size_t tcp_header = 32;
  Packet p(40 + tcp_header + payload);
  p[0] = 0x60;
  p[1] = 0x0a;  // traffic class bits, kept
  const std::size_t len = tcp_header + payload;
  p[4] = static_cast<std::uint8_t>(len >> 8);
  p[5] = static_cast<std::uint8_t>(len);
  p[6] = 6;
  p[7] = 63;
  std::copy(kSrc.bytes.begin(), kSrc.bytes.end(), p.begin() + 8);
  std::copy(kDst.bytes.begin(), kDst.bytes.end(), p.begin() + 24);
  p[40] = 0x14;  // ports
  p[41] = 0x51;
  p[42] = 0xc0;
  p[43] = 0x01;
  p[44] = 0xff;  // seq
  p[45] = 0xff;
  p[46] = 0xff;
  p[47] = 0xf0;
  p[51] = 7;  // ack
  p[52] = static_cast<std::uint8_t>((tcp_header / 4) << 4);
  p[53] = flags;
  p[54] = 0x10;  // window
  p[56] = 0xde;  // checksum: whatever (partial), recomputed per segment
  p[57] = 0xad;
  p[60] = 1;  // options: NOP NOP timestamp
  p[61] = 1;
  p[62] = 8;
  p[63] = 10;
  for (std::size_t k = 0; k < payload; ++k) p[72 + k] = static_cast<std::uint8_t>(k * 7 + 1);
  return p;
}

TEST(Tcp6Segmenter, CutsIntoMssSegmentsWithFixedHeaders) {
  constexpr std::uint8_t kAck = 0x10, kPsh = 0x08, kFin = 0x01, kCwr = 0x80;
  const Packet in = super_packet(3 * 1208 + 500, kAck | kPsh | kFin | kCwr);
  Tcp6Segmenter seg;
  ASSERT_TRUE(seg.start(in, 1208));
  EXPECT_EQ(seg.header_length(), 72U);
  std::vector<Packet> out;
  Packet buf(1500);
  while (const std::size_t n = seg.next(buf))
    out.emplace_back(buf.begin(), buf.begin() + static_cast<long>(n));
  ASSERT_EQ(out.size(), 4U);
  Packet payload;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Packet& p = out[i];
    const std::size_t len = i < 3 ? 1208 : 500;
    ASSERT_EQ(p.size(), 72 + len);
    EXPECT_EQ((p[4] << 8 | p[5]), static_cast<int>(32 + len)) << i;
    EXPECT_TRUE(std::equal(p.begin(), p.begin() + 4, in.begin())) << i;           // version..label
    EXPECT_TRUE(std::equal(p.begin() + 6, p.begin() + 44, in.begin() + 6)) << i;  // ..ports
    EXPECT_EQ(u32(p, 44), 0xfffffff0U + static_cast<std::uint32_t>(i * 1208)) << i;
    EXPECT_TRUE(std::equal(p.begin() + 48, p.begin() + 53, in.begin() + 48)) << i;  // ack, offset
    const std::uint8_t want = i == 0 ? (kAck | kCwr) : i == 3 ? (kAck | kPsh | kFin) : kAck;
    EXPECT_EQ(p[53], want) << i;
    EXPECT_TRUE(std::equal(p.begin() + 58, p.begin() + 72, in.begin() + 58)) << i;  // options
    EXPECT_EQ(test::transport_sum(p), 0xffff) << "checksum of segment " << i;
    payload.insert(payload.end(), p.begin() + 72, p.end());
  }
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), in.begin() + 72, in.end()));
  EXPECT_EQ(seg.next(buf), 0U);
}

TEST(Tcp6Segmenter, RejectsWhatIsNotIpv6Tcp) {
  Tcp6Segmenter seg;
  Packet p = super_packet(100, 0x10);
  EXPECT_FALSE(seg.start(p, 0));
  Packet udp = p;
  udp[6] = 17;
  EXPECT_FALSE(seg.start(udp, 50));
  Packet v4 = p;
  v4[0] = 0x45;
  EXPECT_FALSE(seg.start(v4, 50));
  Packet short_header = p;
  short_header[52] = 0x40;  // data offset 4 words < 20 bytes
  EXPECT_FALSE(seg.start(short_header, 50));
  Packet beyond = p;
  beyond.resize(80);
  beyond[52] = 0xf0;  // 60-byte header does not fit
  EXPECT_FALSE(seg.start(beyond, 50));
  Packet buf(64);  // too small for header + one MSS
  ASSERT_TRUE(seg.start(p, 50));
  EXPECT_EQ(seg.next(buf), 0U);
}

TEST(Tcp6Segmenter, RejectsASuperPacketWithoutPayload) {
  Tcp6Segmenter seg;
  EXPECT_FALSE(seg.start(super_packet(0, 0x10), 1220)) << "nothing to cut: an unusable read";
  EXPECT_TRUE(seg.start(super_packet(1, 0x10), 1220));
}

// RFC 8200 §3: Payload Length is 16 bits, so no segment may carry more than 65535 bytes
// after the IPv6 header (a wrapped length would misdescribe the segment).
TEST(Tcp6Segmenter, Rfc8200_3_RejectsSegmentsLongerThanPayloadLengthCanSay) {
  Tcp6Segmenter seg;
  const Packet big = super_packet(70000, 0x10);
  EXPECT_FALSE(seg.start(big, 65535)) << "32-byte header + 65535 bytes of payload";
  EXPECT_FALSE(seg.start(big, 65504)) << "65536 bytes of TCP";
  EXPECT_TRUE(seg.start(big, 65503)) << "65535 bytes of TCP";
  EXPECT_TRUE(seg.start(super_packet(100, 0x10), 65535)) << "the one segment is small";
}

TEST(CompleteChecksum, FillsThePartialChecksum) {
  Packet p = super_packet(333, 0x18);
  // As the kernel hands it: the field holds the folded pseudo-header sum.
  const std::size_t len = p.size() - 40;
  std::uint8_t pseudo[8] = {
      0, 0, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len), 0, 0, 0, 6};
  std::uint32_t s = wire::ones_complement_sum(wire::Bytes(p).subspan(8, 32));
  s = wire::ones_complement_sum(pseudo, s);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  p[56] = static_cast<std::uint8_t>(s >> 8);
  p[57] = static_cast<std::uint8_t>(s);
  ASSERT_TRUE(complete_checksum(p, 40, 16));
  EXPECT_EQ(test::transport_sum(p), 0xffff);
  EXPECT_FALSE(complete_checksum(p, p.size() - 1, 16));
  EXPECT_FALSE(complete_checksum(p, p.size() + 1, 0));
  EXPECT_FALSE(complete_checksum(p, p.size() - 1, 0)) << "one byte is no 16-bit field";
  EXPECT_TRUE(complete_checksum(p, p.size() - 2, 0));
}

// Offsets near SIZE_MAX must not wrap into the packet (the virtio fields are 16 bits, but
// the function does not rely on its caller for that).
TEST(CompleteChecksum, HugeOffsetsAreRefusedWithoutWrapping) {
  Packet p = super_packet(10, 0x10);
  const Packet before = p;
  const std::size_t max = static_cast<std::size_t>(-1);
  EXPECT_FALSE(complete_checksum(p, 0, max - 1));
  EXPECT_FALSE(complete_checksum(p, 40, max));
  EXPECT_FALSE(complete_checksum(p, max, 0));
  EXPECT_EQ(p, before);
}

}  // namespace
}  // namespace shipworm::os
