#include "wire/udp_frame.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "test_util.h"

namespace shipworm::wire {
namespace {

using test::from_hex;
using test::to_hex;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }

const MacAddress kServerMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kRouterMac{{0x02, 0, 0, 0, 0, 0x02}};
const Endpoint kClient{v4("192.0.2.45"), 40000};
const Endpoint kServer{v4("65.54.227.120"), 3544};

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// The expected frames below were computed with Python's struct module and a plain RFC 1071
// loop, independently of this code (the same construction as udp_frame() in
// fuzz/make_corpus.py):
//   ip  = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + 8 + len(p), ident, 0, 64, 17, 0, src, dst)
//   udp = struct.pack("!HHHH", sport, dport, 8 + len(p), 0) + p
//   checksums: ~sum16(ip), ~sum16(src dst 00 11 udplen + udp), each checked to re-sum to 0xffff.
// 192.0.2.45:40000 -> 65.54.227.120:3544, ID 0x1234, "shipworm".
constexpr const char* kVectorShipworm =
    "020000000001 020000000002 0800"
    "45000024 12340000 401181b9 c000022d 4136e378"
    "9c400dd8 0010a823"
    "73686970776f726d";
// 65.54.227.120:3544 -> 192.0.2.45:40000, ID 0xbeef, "odd" (the odd byte is padded with zero
// for the checksum only).
constexpr const char* kVectorOdd =
    "020000000001 020000000002 0800"
    "4500001f beef0000 4011d502 4136e378 c000022d"
    "0dd89c40 000b9b7e"
    "6f6464";
// 192.0.2.45:40000 -> 65.54.227.120:3544, ID 0x1234, payload 6ee5: the UDP checksum computes
// to 0x0000 and must be sent as 0xffff.
constexpr const char* kVectorChecksumAllOnes =
    "020000000001 020000000002 0800"
    "4500001e 12340000 401181bf c000022d 4136e378"
    "9c400dd8 000affff"
    "6ee5";

// An independent RFC 1071 sum (no shared code with the implementation) for tests that alter a
// field and must then make the checksums right again.
std::uint16_t reference_checksum(const std::vector<std::uint8_t>& data, std::size_t from,
                                 std::size_t length, std::uint32_t initial = 0) {
  std::uint32_t sum = initial;
  for (std::size_t i = 0; i < length; ++i) {
    sum += (i % 2 == 0) ? std::uint32_t{data[from + i]} << 8 : data[from + i];
    sum = (sum & 0xffff) + (sum >> 16);
  }
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// Recomputes the IPv4 header checksum (IHL from the frame) and, if `udp` is true, the UDP
// checksum over UDP-length bytes, so that a test changes only the field it is about.
void fix_checksums(std::vector<std::uint8_t>& f, bool udp = true) {
  const std::size_t ihl = std::size_t{f[14] & 0x0fU} * 4;
  store_u16(f, 24, 0);
  store_u16(f, 24, reference_checksum(f, 14, ihl));
  if (!udp) return;
  const std::size_t u = 14 + ihl;
  const std::uint16_t ulen = load_u16(f, u + 4);
  store_u16(f, u + 6, 0);
  std::uint32_t pseudo = 17 + ulen;
  for (std::size_t i = 26; i < 34; i += 2) pseudo += load_u16(f, i);
  const std::uint16_t c = reference_checksum(f, u, ulen, pseudo);
  store_u16(f, u + 6, c == 0 ? 0xffff : c);
}

std::vector<std::uint8_t> valid_frame() { return from_hex(kVectorShipworm); }

DropReason reason_of(const std::vector<std::uint8_t>& f) {
  auto p = parse_udp_frame(f);
  EXPECT_FALSE(p.ok());
  return p.ok() ? DropReason::kCount : p.reason();
}

TEST(UdpFrame, Rfc791_768_BuildMatchesIndependentVectors) {
  std::vector<std::uint8_t> out(128);
  auto n =
      build_udp_frame(out, kServerMac, kRouterMac, kClient, kServer, 0x1234, bytes_of("shipworm"));
  EXPECT_EQ(to_hex(Bytes(out).first(n)), to_hex(from_hex(kVectorShipworm)));
  n = build_udp_frame(out, kServerMac, kRouterMac, kServer, kClient, 0xbeef, bytes_of("odd"));
  EXPECT_EQ(to_hex(Bytes(out).first(n)), to_hex(from_hex(kVectorOdd)));
}

TEST(UdpFrame, Rfc768_ComputedZeroChecksumIsSentAsAllOnes) {
  std::vector<std::uint8_t> out(64);
  const std::uint8_t payload[] = {0x6e, 0xe5};
  const auto n = build_udp_frame(out, kServerMac, kRouterMac, kClient, kServer, 0x1234, payload);
  EXPECT_EQ(to_hex(Bytes(out).first(n)), to_hex(from_hex(kVectorChecksumAllOnes)));
  auto p = parse_udp_frame(Bytes(out).first(n));
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(to_hex(p->payload), "6ee5");
}

TEST(UdpFrame, Rfc791_768_ParsesIndependentVectors) {
  const auto f = from_hex(kVectorShipworm);
  auto p = parse_udp_frame(f);
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(p->destination_mac, kServerMac);
  EXPECT_EQ(p->source_mac, kRouterMac);
  EXPECT_EQ(p->source, kClient);
  EXPECT_EQ(p->destination, kServer);
  EXPECT_EQ(p->ttl, 64);
  EXPECT_EQ(to_hex(p->payload), to_hex(bytes_of("shipworm")));
  EXPECT_EQ(p->payload.data(), f.data() + kUdpFrameHeaderLength);  // a view, not a copy

  const auto g = from_hex(kVectorOdd);  // the view must not outlive its frame
  auto odd = parse_udp_frame(g);
  ASSERT_TRUE(odd.ok()) << to_string(odd.reason());
  EXPECT_EQ(odd->source, kServer);
  EXPECT_EQ(odd->destination, kClient);
  EXPECT_EQ(to_hex(odd->payload), "6f6464");
}

TEST(UdpFrame, Rfc791_PublishedHeaderChecksumExampleIsAccepted) {
  // The header of the widely reproduced example (Wikipedia, "Internet checksum"): DF set,
  // TTL 64, 192.168.0.1 -> 192.168.0.199, checksum b861. UDP without checksum fills the
  // 95 bytes that Total Length 0x73 announces.
  auto f = from_hex("020000000001 020000000002 0800 4500007300004000 4011b861c0a80001c0a800c7");
  const auto udp = from_hex("1000 2000 005f 0000");
  f.insert(f.end(), udp.begin(), udp.end());
  f.resize(14 + 0x73, 0xab);
  auto p = parse_udp_frame(f);
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(p->source, (Endpoint{v4("192.168.0.1"), 0x1000}));
  EXPECT_EQ(p->destination, (Endpoint{v4("192.168.0.199"), 0x2000}));
  EXPECT_EQ(p->payload.size(), 0x5fu - 8);
}

TEST(UdpFrame, RoundTripBuildThenParse) {
  std::vector<std::uint8_t> payload(1500);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<std::uint8_t> out(kUdpFrameHeaderLength + payload.size());
  for (const std::size_t len :
       std::initializer_list<std::size_t>{0, 1, 2, 3, 61, 128, 1279, 1500}) {
    SCOPED_TRACE(len);
    const Bytes in = Bytes(payload).first(len);
    const auto n = build_udp_frame(out, kRouterMac, kServerMac, kServer, kClient,
                                   static_cast<std::uint16_t>(len), in);
    ASSERT_EQ(n, kUdpFrameHeaderLength + len);
    auto p = parse_udp_frame(Bytes(out).first(n));
    ASSERT_TRUE(p.ok()) << to_string(p.reason());
    EXPECT_EQ(p->destination_mac, kRouterMac);
    EXPECT_EQ(p->source_mac, kServerMac);
    EXPECT_EQ(p->source, kServer);
    EXPECT_EQ(p->destination, kClient);
    EXPECT_EQ(p->ttl, kUdpFrameTtl);
    EXPECT_EQ(to_hex(p->payload), to_hex(in));
    EXPECT_EQ(load_u16(out, 18), len);              // Identification
    EXPECT_EQ(load_u16(out, 20), 0);                // DF clear, no fragment
    EXPECT_NE(load_u16(out, 40), 0);                // a checksum is always sent
    EXPECT_EQ(reference_checksum(out, 14, 20), 0);  // re-sums to all ones
  }
}

TEST(UdpFrame, LargestPayloadFitsTotalLength) {
  std::vector<std::uint8_t> payload(kMaxUdpFramePayload, 0x5a);
  std::vector<std::uint8_t> out(kUdpFrameHeaderLength + payload.size() + 1);
  const auto n = build_udp_frame(out, kRouterMac, kServerMac, kServer, kClient, 1, payload);
  ASSERT_EQ(n, kUdpFrameHeaderLength + kMaxUdpFramePayload);
  EXPECT_EQ(load_u16(out, 16), 0xffff);  // IPv4 Total Length
  auto p = parse_udp_frame(Bytes(out).first(n));
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(p->payload.size(), kMaxUdpFramePayload);

  payload.push_back(0x5a);
  EXPECT_EQ(build_udp_frame(out, kRouterMac, kServerMac, kServer, kClient, 1, payload), 0u);
  EXPECT_EQ(build_udp_frame_headers(out, kRouterMac, kServerMac, kServer, kClient, 1,
                                    kMaxUdpFramePayload + 1),
            0u);
}

TEST(UdpFrame, BuildRefusesShortBufferAndWritesNothing) {
  const auto payload = bytes_of("shipworm");
  for (std::size_t size = 0; size < kUdpFrameHeaderLength + payload.size(); ++size) {
    SCOPED_TRACE(size);
    std::vector<std::uint8_t> out(size, 0xcc);
    EXPECT_EQ(build_udp_frame(out, kServerMac, kRouterMac, kClient, kServer, 1, payload), 0u);
    EXPECT_EQ(
        build_udp_frame_headers(out, kServerMac, kRouterMac, kClient, kServer, 1, payload.size()),
        0u);
    EXPECT_EQ(out, std::vector<std::uint8_t>(size, 0xcc));
  }
}

TEST(UdpFrame, InPlaceHeadersMatchCopyingBuilder) {
  const auto payload = bytes_of("a payload built straight into the ring slot");
  std::vector<std::uint8_t> copied(256);
  const auto n = build_udp_frame(copied, kRouterMac, kServerMac, kServer, kClient, 0x4242, payload);
  std::vector<std::uint8_t> slot(256, 0xee);
  std::copy(payload.begin(), payload.end(), slot.begin() + kUdpFrameHeaderLength);
  EXPECT_EQ(build_udp_frame_headers(slot, kRouterMac, kServerMac, kServer, kClient, 0x4242,
                                    payload.size()),
            n);
  EXPECT_EQ(to_hex(Bytes(slot).first(n)), to_hex(Bytes(copied).first(n)));
  EXPECT_EQ(slot[n], 0xee);  // nothing written past the frame
}

TEST(UdpFrame, PayloadMayOverlapOutput) {
  const auto payload = bytes_of("overlapping payload");
  std::vector<std::uint8_t> expected(128);
  const auto n = build_udp_frame(expected, kRouterMac, kServerMac, kServer, kClient, 7, payload);
  // Already at offset 42, and at the start of the buffer (moved forward over itself).
  for (std::size_t at : {kUdpFrameHeaderLength, std::size_t{0}, std::size_t{30}}) {
    SCOPED_TRACE(at);
    std::vector<std::uint8_t> buf(128);
    std::copy(payload.begin(), payload.end(), buf.begin() + static_cast<std::ptrdiff_t>(at));
    const Bytes in = Bytes(buf).subspan(at, payload.size());
    EXPECT_EQ(build_udp_frame(buf, kRouterMac, kServerMac, kServer, kClient, 7, in), n);
    EXPECT_EQ(to_hex(Bytes(buf).first(n)), to_hex(Bytes(expected).first(n)));
  }
}

TEST(UdpFrame, Ethernet_PaddingAfterIpv4IsIgnored) {
  // A 2-byte payload makes a 44-byte frame; the sender pads it to the 60-byte minimum.
  auto f = from_hex(kVectorChecksumAllOnes);
  f.resize(60, 0);
  auto p = parse_udp_frame(f);
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(to_hex(p->payload), "6ee5");
  f.resize(60, 0xff);  // padding content does not matter either
  std::fill(f.begin() + 44, f.end(), 0xff);
  EXPECT_TRUE(parse_udp_frame(f).ok());
}

TEST(UdpFrame, Rfc791_OptionsAreSkipped) {
  for (std::size_t words = 1; words <= 10; ++words) {
    SCOPED_TRACE(words);
    auto f = valid_frame();
    // NOP options (type 1) between the fixed header and UDP; IHL and Total Length grow.
    f.insert(f.begin() + 34, words * 4, 0x01);
    f[14] = static_cast<std::uint8_t>(0x40 | (5 + words));
    store_u16(f, 16, static_cast<std::uint16_t>(load_u16(f, 16) + words * 4));
    fix_checksums(f, false);  // the UDP checksum does not cover IP options
    auto p = parse_udp_frame(f);
    ASSERT_TRUE(p.ok()) << to_string(p.reason());
    EXPECT_EQ(p->source, kClient);
    EXPECT_EQ(to_hex(p->payload), to_hex(bytes_of("shipworm")));
    EXPECT_EQ(p->payload.data(), f.data() + kUdpFrameHeaderLength + words * 4);
  }
}

TEST(UdpFrame, Rfc791_DontFragmentAndTtlAreNotJudged) {
  auto f = valid_frame();
  store_u16(f, 20, 0x4000);  // DF
  f[22] = 1;                 // TTL 1
  fix_checksums(f, false);
  auto p = parse_udp_frame(f);
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(p->ttl, 1);
}

TEST(UdpFrame, Rfc768_ZeroChecksumMeansNone) {
  auto f = valid_frame();
  store_u16(f, 40, 0);
  f[45] ^= 0xff;  // the payload no longer matches any checksum, but none was sent
  auto p = parse_udp_frame(f);
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(p->payload[3], 'p' ^ 0xff);
}

// What a local sender's pending checksum offload leaves in the field: the folded RFC 768
// pseudo-header sum (source, destination, protocol 17, UDP length), computed here from the
// frame's bytes.
std::uint16_t offload_pending_field(const std::vector<std::uint8_t>& f) {
  std::uint32_t sum = 17U + load_u16(f, 38);
  for (std::size_t at = 26; at < 34; at += 2) sum += load_u16(f, at);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

TEST(UdpFrame, OffloadPendingChecksumIsDroppedByDefault) {
  auto f = valid_frame();
  ASSERT_NE(load_u16(f, 40), offload_pending_field(f));
  store_u16(f, 40, offload_pending_field(f));
  EXPECT_EQ(reason_of(f), DropReason::kUdpBadChecksum);
}

TEST(UdpFrame, OffloadPendingChecksumIsAcceptedWhenAskedFor) {
  auto f = valid_frame();
  store_u16(f, 40, offload_pending_field(f));
  auto p = parse_udp_frame(f, {.accept_offload_pending = true});
  ASSERT_TRUE(p.ok()) << to_string(p.reason());
  EXPECT_EQ(to_hex(p->payload), to_hex(bytes_of("shipworm")));
  // Only that exact value: any other wrong checksum is still a drop.
  store_u16(f, 40, static_cast<std::uint16_t>(offload_pending_field(f) ^ 0x0101));
  auto q = parse_udp_frame(f, {.accept_offload_pending = true});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.reason(), DropReason::kUdpBadChecksum);
  // And a correct checksum still passes with the option on.
  auto good = valid_frame();
  EXPECT_TRUE(parse_udp_frame(good, {.accept_offload_pending = true}).ok());
}

TEST(UdpFrame, Rfc768_ChecksumIsVerified) {
  // Every single-bit error in the UDP header or payload, and in the addresses the
  // pseudo-header covers (with the IPv4 header checksum repaired), is caught.
  const auto good = valid_frame();
  for (const std::size_t at : std::initializer_list<std::size_t>{26, 29, 30, 33}) {
    auto f = good;
    f[at] ^= 0x01;
    fix_checksums(f, false);
    EXPECT_EQ(reason_of(f), DropReason::kUdpBadChecksum) << at;
  }
  for (std::size_t at = 34; at < good.size(); ++at) {
    if (at == 38 || at == 39) continue;  // the UDP length has its own reason
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[at] ^= static_cast<std::uint8_t>(1 << bit);
      if (load_u16(f, 40) == 0) continue;  // became "no checksum"
      EXPECT_EQ(reason_of(f), DropReason::kUdpBadChecksum) << at << " bit " << bit;
    }
  }
}

TEST(UdpFrame, Rfc791_HeaderChecksumIsVerified) {
  const auto good = valid_frame();
  for (std::size_t at = 14; at < 34; ++at) {
    if (at == 14) continue;  // version/IHL have their own reasons
    auto f = good;
    f[at] ^= 0x10;
    EXPECT_EQ(reason_of(f), DropReason::kIpv4BadChecksum) << at;
  }
  // Options are covered too.
  auto f = good;
  f.insert(f.begin() + 34, 4, 0x01);
  f[14] = 0x46;
  store_u16(f, 16, static_cast<std::uint16_t>(load_u16(f, 16) + 4));
  fix_checksums(f, false);
  ASSERT_TRUE(parse_udp_frame(f).ok());
  f[37] = 0x00;
  EXPECT_EQ(reason_of(f), DropReason::kIpv4BadChecksum);
}

TEST(UdpFrame, Ethernet_DropsTruncatedHeader) {
  const auto f = valid_frame();
  for (std::size_t n = 0; n < kEthernetHeaderLength; ++n) {
    EXPECT_EQ(parse_udp_frame(Bytes(f).first(n)).reason(), DropReason::kEthernetTruncated) << n;
  }
}

TEST(UdpFrame, Ethernet_DropsVlanTagsAndOtherEtherTypes) {
  auto f = valid_frame();
  for (const std::uint16_t t : std::initializer_list<std::uint16_t>{0x8100, 0x88a8}) {
    store_u16(f, 12, t);
    EXPECT_EQ(reason_of(f), DropReason::kEthernetVlanTagged) << t;
  }
  // A real 802.1Q frame: the tag sits where the EtherType was, IPv4 behind it.
  auto tagged = valid_frame();
  const auto tag = from_hex("8100 0064");
  tagged.insert(tagged.begin() + 12, tag.begin(), tag.end());
  EXPECT_EQ(reason_of(tagged), DropReason::kEthernetVlanTagged);
  for (const std::uint16_t t :
       std::initializer_list<std::uint16_t>{0x86dd, 0x0806, 0x0000, 0x0600, 0xffff}) {
    store_u16(f, 12, t);
    EXPECT_EQ(reason_of(f), DropReason::kEthernetNotIpv4) << t;
  }
}

TEST(UdpFrame, Rfc791_DropsTruncatedHeader) {
  const auto f = valid_frame();
  for (std::size_t n = kEthernetHeaderLength; n < kEthernetHeaderLength + kIpv4HeaderLength; ++n) {
    EXPECT_EQ(parse_udp_frame(Bytes(f).first(n)).reason(), DropReason::kIpv4Truncated) << n;
  }
  // IHL 15 (60 bytes) with fewer bytes behind the Ethernet header.
  auto g = f;
  g[14] = 0x4f;
  EXPECT_EQ(reason_of(g), DropReason::kIpv4Truncated);
}

TEST(UdpFrame, Rfc791_DropsBadVersion) {
  for (const std::uint8_t v : std::initializer_list<std::uint8_t>{0x65, 0x05, 0x35, 0xf5}) {
    auto f = valid_frame();
    f[14] = v;
    fix_checksums(f, false);
    EXPECT_EQ(reason_of(f), DropReason::kIpv4BadVersion) << int{v};
  }
}

TEST(UdpFrame, Rfc791_DropsBadHeaderLength) {
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    auto f = valid_frame();
    f[14] = static_cast<std::uint8_t>(0x40 | ihl);
    EXPECT_EQ(reason_of(f), DropReason::kIpv4BadHeaderLength) << int{ihl};
  }
  // Total Length shorter than the header it belongs to.
  for (const std::uint16_t total : std::initializer_list<std::uint16_t>{0, 1, 19}) {
    auto f = valid_frame();
    store_u16(f, 16, total);
    fix_checksums(f, false);
    EXPECT_EQ(reason_of(f), DropReason::kIpv4BadHeaderLength) << total;
  }
}

TEST(UdpFrame, Rfc791_DropsTotalLengthBeyondFrame) {
  auto f = valid_frame();
  store_u16(f, 16, static_cast<std::uint16_t>(f.size() - kEthernetHeaderLength + 1));
  fix_checksums(f, false);
  EXPECT_EQ(reason_of(f), DropReason::kIpv4LengthExceedsFrame);
  store_u16(f, 16, 0xffff);
  fix_checksums(f, false);
  EXPECT_EQ(reason_of(f), DropReason::kIpv4LengthExceedsFrame);
}

TEST(UdpFrame, Rfc791_DropsFragments) {
  // MF on a first fragment, a later fragment, the last fragment (offset only), and DF
  // together with an offset (a broken sender, still not a whole datagram).
  for (const std::uint16_t flags : std::initializer_list<std::uint16_t>{
           0x2000, 0x2001, 0x0001, 0x1fff, 0x00b9, 0x4001, 0x6000}) {
    auto f = valid_frame();
    store_u16(f, 20, flags);
    fix_checksums(f, false);
    EXPECT_EQ(reason_of(f), DropReason::kIpv4Fragment) << flags;
  }
}

TEST(UdpFrame, Rfc791_DropsProtocolsOtherThanUdp) {
  for (const std::uint8_t proto : std::initializer_list<std::uint8_t>{0, 1, 6, 41, 58, 136, 255}) {
    auto f = valid_frame();
    f[23] = proto;
    fix_checksums(f, false);
    EXPECT_EQ(reason_of(f), DropReason::kIpv4NotUdp) << int{proto};
  }
}

TEST(UdpFrame, Rfc768_DropsTruncatedHeader) {
  // Total Length leaves fewer than 8 bytes for UDP (the frame itself is long enough).
  for (std::uint16_t udp = 0; udp < kUdpHeaderLength; ++udp) {
    auto f = valid_frame();
    store_u16(f, 16, static_cast<std::uint16_t>(kIpv4HeaderLength + udp));
    fix_checksums(f, false);
    EXPECT_EQ(reason_of(f), DropReason::kUdpTruncated) << udp;
  }
}

TEST(UdpFrame, Rfc768_UdpLengthMustEqualIpPayload) {
  const auto good = valid_frame();
  for (const std::uint16_t len : std::initializer_list<std::uint16_t>{0, 7, 8, 15, 17, 0xffff}) {
    auto f = good;
    store_u16(f, 38, len);
    EXPECT_EQ(reason_of(f), DropReason::kUdpLengthMismatch) << len;
  }
  // UDP length 8 inside a longer IP payload, with both checksums right for what UDP claims:
  // the strict rule still drops it (the 8 bytes after it would belong to no layer).
  auto f = good;
  store_u16(f, 38, 8);
  fix_checksums(f);
  EXPECT_EQ(reason_of(f), DropReason::kUdpLengthMismatch);
}

TEST(UdpFrame, TruncatedAtEveryLengthIsDropped) {
  for (const char* hex : {kVectorShipworm, kVectorOdd, kVectorChecksumAllOnes}) {
    const auto f = from_hex(hex);
    for (std::size_t n = 0; n < f.size(); ++n) {
      SCOPED_TRACE(n);
      auto p = parse_udp_frame(Bytes(f).first(n));
      ASSERT_FALSE(p.ok());
      const DropReason expected = n < kEthernetHeaderLength ? DropReason::kEthernetTruncated
                                  : n < kEthernetHeaderLength + kIpv4HeaderLength
                                      ? DropReason::kIpv4Truncated
                                      : DropReason::kIpv4LengthExceedsFrame;
      EXPECT_EQ(p.reason(), expected);
    }
  }
}

TEST(UdpFrame, EveryFrameReasonHasItsName) {
  // The names are what status and metrics show for the AF_XDP path.
  EXPECT_EQ(to_string(DropReason::kEthernetTruncated), "ethernet_truncated");
  EXPECT_EQ(to_string(DropReason::kEthernetVlanTagged), "ethernet_vlan_tagged");
  EXPECT_EQ(to_string(DropReason::kEthernetNotIpv4), "ethernet_not_ipv4");
  EXPECT_EQ(to_string(DropReason::kIpv4Truncated), "ipv4_truncated_header");
  EXPECT_EQ(to_string(DropReason::kIpv4BadVersion), "ipv4_bad_version");
  EXPECT_EQ(to_string(DropReason::kIpv4BadHeaderLength), "ipv4_bad_header_length");
  EXPECT_EQ(to_string(DropReason::kIpv4BadChecksum), "ipv4_bad_header_checksum");
  EXPECT_EQ(to_string(DropReason::kIpv4LengthExceedsFrame), "ipv4_length_exceeds_frame");
  EXPECT_EQ(to_string(DropReason::kIpv4Fragment), "ipv4_fragment");
  EXPECT_EQ(to_string(DropReason::kIpv4NotUdp), "ipv4_not_udp");
  EXPECT_EQ(to_string(DropReason::kUdpTruncated), "udp_truncated_header");
  EXPECT_EQ(to_string(DropReason::kUdpLengthMismatch), "udp_length_mismatch");
  EXPECT_EQ(to_string(DropReason::kUdpBadChecksum), "udp_bad_checksum");
}

}  // namespace
}  // namespace shipworm::wire
