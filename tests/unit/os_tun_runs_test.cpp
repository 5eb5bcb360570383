// tun_run: which consecutive packets forwarded to the TUN leave as one GSO super-packet
// (os/linux/tun_runs.h). Pure; no kernel.
#include <gtest/gtest.h>

#include <vector>

#include "ipv6_test_packets.h"
#include "os/linux/tun_runs.h"

namespace shipworm::os {
namespace {

using test::Packet;
using test::tcp6_packet;
using test::udp6_packet;
using wire::Ipv6Address;

Ipv6Address v6(const char* text) { return *Ipv6Address::parse(text); }

const Ipv6Address kClient = v6("2001:0:c633:6401::99");
const Ipv6Address kNative = v6("2001:db8:1::10");
const Ipv6Address kNative2 = v6("2001:db8:1::11");

// All runs of a batch, as packet counts; `last` gets the last run found.
std::vector<std::size_t> runs(const std::vector<Packet>& batch, TunRun* last = nullptr,
                              std::size_t max_segments = kMaxCoalescedSegments) {
  std::vector<wire::Bytes> packets(batch.begin(), batch.end());
  std::vector<TunRunPacket> info;
  for (const auto& p : packets) info.push_back(classify_tun_packet(p));
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < packets.size();) {
    const TunRun r = tun_run(packets, info, i, max_segments);
    EXPECT_GE(r.count, 1U);
    out.push_back(r.count);
    if (last != nullptr) *last = r;
    i += r.count;
  }
  return out;
}

Packet udp(std::size_t payload, std::size_t seed, const Ipv6Address& dst = kNative) {
  return udp6_packet(kClient, dst, 5000, 53, payload, seed);
}

TEST(TunRuns, EmptyAndPastTheEnd) {
  const std::vector<wire::Bytes> none;
  EXPECT_EQ(tun_run(none, {}, 0).count, 0U);
  const Packet p = udp(100, 1);
  const std::vector<wire::Bytes> one = {p};
  const std::vector<TunRunPacket> info = {classify_tun_packet(p)};
  EXPECT_EQ(tun_run(one, info, 0).count, 1U);
  EXPECT_EQ(tun_run(one, info, 1).count, 0U);
}

TEST(TunRuns, ClassifySaysUdpTcpOrNeither) {
  const TunRunPacket u = classify_tun_packet(udp(100, 1));
  EXPECT_EQ(u.payload, 100U);
  EXPECT_FALSE(u.tcp);
  const TunRunPacket t = classify_tun_packet(tcp6_packet(kClient, kNative, 1, 1200, 1));
  EXPECT_EQ(t.payload, 1200U);
  EXPECT_TRUE(t.tcp);
  Packet bad = udp(100, 1);
  bad[48] ^= 1;  // wrong checksum: the kernel would recompute it, so never coalesced
  EXPECT_EQ(classify_tun_packet(bad).payload, 0U);
}

TEST(TunRuns, OneUdpFlowOfEqualSizesIsOneRunWithItsGsoFields) {
  TunRun r;
  EXPECT_EQ(runs({udp(1000, 1), udp(1000, 2), udp(1000, 3)}, &r), (std::vector<std::size_t>{3}));
  EXPECT_FALSE(r.tcp);
  EXPECT_EQ(r.header, 48U);
  EXPECT_EQ(r.segment, 1000U);
  EXPECT_EQ(r.total, 3000U);
}

TEST(TunRuns, AnotherFlowStartsANewRun) {
  EXPECT_EQ(runs({udp(1000, 1), udp(1000, 2), udp(1000, 3, kNative2), udp(1000, 4, kNative2)}),
            (std::vector<std::size_t>{2, 2}));
}

TEST(TunRuns, AShorterPacketIsTheLastOfItsRunAndALongerOneStartsANewOne) {
  EXPECT_EQ(runs({udp(1000, 1), udp(500, 2), udp(1000, 3)}), (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(runs({udp(500, 1), udp(1000, 2), udp(1000, 3)}), (std::vector<std::size_t>{1, 2}));
}

TEST(TunRuns, PacketsThatCannotBeCoalescedGoAlone) {
  Packet bad = udp(1000, 2);
  bad[48] ^= 1;
  EXPECT_EQ(runs({udp(1000, 1), bad, udp(1000, 3)}), (std::vector<std::size_t>{1, 1, 1}));
}

TEST(TunRuns, UdpAndTcpNeverShareARun) {
  EXPECT_EQ(runs({udp(1200, 1), tcp6_packet(kClient, kNative, 1000, 1200, 1)}),
            (std::vector<std::size_t>{1, 1}));
}

TEST(TunRuns, TcpSegmentsThatFollowEachOtherAreOneRun) {
  TunRun r;
  EXPECT_EQ(runs({tcp6_packet(kClient, kNative, 1000, 1200, 1),
                  tcp6_packet(kClient, kNative, 2200, 1200, 2),
                  tcp6_packet(kClient, kNative, 3400, 1200, 3)},
                 &r),
            (std::vector<std::size_t>{3}));
  EXPECT_TRUE(r.tcp);
  EXPECT_EQ(r.header, 40U + 32U);
  EXPECT_EQ(r.segment, 1200U);
  EXPECT_EQ(r.total, 3600U);
  EXPECT_FALSE(r.psh);
}

TEST(TunRuns, TcpGapInSequenceNumbersStartsANewRun) {
  EXPECT_EQ(runs({tcp6_packet(kClient, kNative, 1000, 1200, 1),
                  tcp6_packet(kClient, kNative, 9000, 1200, 2)}),
            (std::vector<std::size_t>{1, 1}));
}

TEST(TunRuns, TcpPshEndsTheRunAndIsCarriedToTheHead) {
  TunRun r;
  EXPECT_EQ(runs({tcp6_packet(kClient, kNative, 1000, 1200, 1),
                  tcp6_packet(kClient, kNative, 2200, 1200, 2, 0x18),
                  tcp6_packet(kClient, kNative, 3400, 1200, 3)}),
            (std::vector<std::size_t>{2, 1}));
  // A first segment with PSH goes alone.
  EXPECT_EQ(runs({tcp6_packet(kClient, kNative, 1000, 1200, 1, 0x18),
                  tcp6_packet(kClient, kNative, 2200, 1200, 2)},
                 &r),
            (std::vector<std::size_t>{1, 1}));
  const std::vector<Packet> two = {tcp6_packet(kClient, kNative, 1000, 1200, 1),
                                   tcp6_packet(kClient, kNative, 2200, 1200, 2, 0x18)};
  runs(two, &r);
  EXPECT_TRUE(r.psh);
}

TEST(TunRuns, AtMostMaxCoalescedSegmentsPackets) {
  const std::vector<Packet> batch(kMaxCoalescedSegments + 6, udp(100, 1));
  EXPECT_EQ(runs(batch), (std::vector<std::size_t>{kMaxCoalescedSegments, 6}));
  EXPECT_EQ(runs(std::vector<Packet>(5, udp(100, 1)), nullptr, 2),
            (std::vector<std::size_t>{2, 2, 1}));
}

TEST(TunRuns, Rfc8200_PayloadLengthFieldCapsARunAt65535Bytes) {
  // UDP: 8 + 46 * 1400 = 64408 fits, a 47th packet would not.
  EXPECT_EQ(runs(std::vector<Packet>(50, udp(1400, 1))), (std::vector<std::size_t>{46, 4}));
}

}  // namespace
}  // namespace shipworm::os
