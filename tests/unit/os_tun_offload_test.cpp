// TUN with IFF_VNET_HDR and UDP GSO writes (os/linux/tun_device.h, os/linux/udp_coalesce.h).
// The pure coalescing helpers run anywhere; the kernel tests run in a private network
// namespace created by a forked child (root only, skipped otherwise).
//
//   super-packet kRemote -> kTeredo:port, one writev  --> kernel --> UDP6 socket: N datagrams
//   super-packet kRemote -> kOther (forwarded back out of the TUN, which has no offloads)
//        --> the kernel segments it --> N packets read from the TUN, identical to the
//            originals but for the hop limit (checksums recomputed by the kernel)
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "child_test_util.h"
#include "ipv6_test_packets.h"
#include "os/linux/netlink.h"
#include "os/linux/private_netns.h"
#include "os/linux/sysctl.h"
#include "os/linux/tcp_segment.h"
#include "os/linux/tun_device.h"
#include "os/linux/udp_coalesce.h"
#include "os/linux/udp_segment.h"
#include "os/linux/unique_fd.h"
#include "test_util.h"
#include "wire/checksum.h"

namespace shipworm::os {
namespace {

using wire::Ipv6Address;
using Packet = std::vector<std::uint8_t>;

Ipv6Address v6(const char* text) { return *Ipv6Address::parse(text); }

const Ipv6Address kTeredo = v6("2001:0:c633:6401::1");   // ours, on the TUN
const Ipv6Address kRemote = v6("2001:0:c633:6401::99");  // the sender, "behind" the TUN
const Ipv6Address kOther = v6("2001:0:c633:6401::77");   // routed back into the TUN

// Packets with correct checksums, shared with the TUN-run and relay-worker tests.
using test::tcp6_packet;
using test::udp6_packet;

TEST(UdpCoalesce, CoalescableOnlyForPlainCorrectUdp) {
  Packet p = udp6_packet(kRemote, kTeredo, 1000, 2000, 100, 1);
  EXPECT_EQ(coalescable_udp_payload(p), 100U);
  Packet bad = p;
  bad[60] ^= 1;  // payload corrupted: the checksum no longer matches
  EXPECT_EQ(coalescable_udp_payload(bad), 0U);
  Packet zero = p;
  zero[46] = zero[47] = 0;  // no checksum
  EXPECT_EQ(coalescable_udp_payload(zero), 0U);
  Packet tcp = p;
  tcp[6] = 6;
  EXPECT_EQ(coalescable_udp_payload(tcp), 0U);
  Packet v4 = p;
  v4[0] = 0x45;
  EXPECT_EQ(coalescable_udp_payload(v4), 0U);
  Packet longer = p;
  longer.push_back(0);  // read length disagrees with the headers
  EXPECT_EQ(coalescable_udp_payload(longer), 0U);
  EXPECT_EQ(coalescable_udp_payload(udp6_packet(kRemote, kTeredo, 1, 2, 0, 1)), 0U);  // empty
  EXPECT_EQ(coalescable_udp_payload(wire::Bytes(p).first(40)), 0U);
}

TEST(UdpCoalesce, SameFlowComparesAddressesPortsAndHeaderFields) {
  const Packet a = udp6_packet(kRemote, kTeredo, 1000, 2000, 100, 1);
  EXPECT_TRUE(same_udp_flow(a, udp6_packet(kRemote, kTeredo, 1000, 2000, 50, 2)));
  EXPECT_FALSE(same_udp_flow(a, udp6_packet(kOther, kTeredo, 1000, 2000, 100, 1)));
  EXPECT_FALSE(same_udp_flow(a, udp6_packet(kRemote, kOther, 1000, 2000, 100, 1)));
  EXPECT_FALSE(same_udp_flow(a, udp6_packet(kRemote, kTeredo, 1001, 2000, 100, 1)));
  EXPECT_FALSE(same_udp_flow(a, udp6_packet(kRemote, kTeredo, 1000, 2001, 100, 1)));
  EXPECT_FALSE(same_udp_flow(a, udp6_packet(kRemote, kTeredo, 1000, 2000, 100, 1, 63)));
  Packet label = a;
  label[3] = 1;  // flow label
  EXPECT_FALSE(same_udp_flow(a, label));
  Packet tclass = a;
  tclass[1] = 0x10;  // traffic class
  EXPECT_FALSE(same_udp_flow(a, tclass));
}

TEST(UdpCoalesce, GsoHeadHoldsTheWholeLengthAndThePseudoHeaderSum) {
  Packet p = udp6_packet(kRemote, kTeredo, 1000, 2000, 100, 1);
  const Packet original = p;
  const UdpHeadBackup b = make_udp_gso_head(p, 1000);
  EXPECT_EQ((p[4] << 8) | p[5], 1008);
  EXPECT_EQ((p[44] << 8) | p[45], 1008);
  // The pseudo-header sum, folded, not inverted: src + dst + length + 17.
  std::uint8_t pseudo[8] = {0, 0, 1008 >> 8, 1008 & 0xff, 0, 0, 0, 17};
  std::uint32_t sum = wire::ones_complement_sum(wire::Bytes(p).subspan(8, 32));
  sum = wire::ones_complement_sum(pseudo, sum);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ((p[46] << 8) | p[47], static_cast<int>(sum));
  restore_udp_head(p, b);
  EXPECT_EQ(p, original);
}

// Opens the TUN (`options`) into `tun` and brings it up with our Teredo address (local once
// its RTN_LOCAL route exists) and 2001::/32 through it.
std::string open_configured(const TunOptions& options, std::optional<TunDevice>& tun) {
  auto opened = TunDevice::open(options);
  CHILD_OK(opened);
  tun.emplace(std::move(*opened));
  auto netlink = Netlink::open();
  CHILD_OK(netlink);
  Netlink& nl = *netlink;
  const unsigned idx = tun->ifindex();
  CHILD_OK(nl.set_mtu(idx, 1280));
  CHILD_OK(nl.set_link_up(idx));
  CHILD_OK(nl.add_address(idx, {kTeredo, 32}, {.no_dad = true, .no_prefix_route = true}));
  CHILD_OK(nl.add_route({.destination = {v6("2001::"), 32}, .ifindex = idx, .metric = 1024}));
  for (int tries = 0;; ++tries) {
    auto routes = nl.ipv6_routes();
    CHILD_OK(routes);
    if (std::any_of(routes->begin(), routes->end(), [](const Ipv6Route& r) {
          return r.type == RTN_LOCAL && r.destination == Ipv6Prefix{kTeredo, 128};
        })) {
      break;
    }
    CHILD_CHECK(tries < 5000, "the Teredo address never became local");
    usleep(1000);
  }
  return {};
}

// Coalesces `packets` (one flow) into one write_udp_gso() call.
std::string write_coalesced(TunDevice& tun, std::vector<Packet>& packets) {
  const std::size_t segment = coalescable_udp_payload(packets[0]);
  CHILD_CHECK(segment != 0, "first packet not coalescable");
  std::size_t total = 0;
  std::vector<wire::Bytes> parts;
  for (auto& p : packets) {
    const std::size_t len = coalescable_udp_payload(p);
    CHILD_CHECK(len != 0 && len <= segment && same_udp_flow(packets[0], p), "not one run");
    total += len;
  }
  std::size_t bytes = packets[0].size();
  Packet& head = packets[0];
  (void)make_udp_gso_head(head, total);
  parts.emplace_back(head);
  for (std::size_t i = 1; i < packets.size(); ++i) {
    parts.push_back(wire::Bytes(packets[i]).subspan(kIpv6UdpHeaders));
    bytes += parts.back().size();
  }
  const IoResult r = tun.write_udp_gso(parts, static_cast<std::uint16_t>(segment));
  CHILD_CHECK(r.ok(), "write_udp_gso: " + std::string(std::strerror(r.error)));
  CHILD_CHECK(r.count == bytes, "wrote " + std::to_string(r.count));
  return {};
}

TEST(TunOffload, OneGsoWriteArrivesAsSeparateDatagrams) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    std::optional<TunDevice> tun;
    if (auto e = open_configured({.name = "teredo", .vnet_hdr = true}, tun); !e.empty()) return e;
    CHILD_CHECK(tun->vnet_hdr(), "vnet_hdr");

    UniqueFd s(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    CHILD_CHECK(s.valid(), "socket");
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    local.sin6_port = htons(4000);
    std::memcpy(&local.sin6_addr, kTeredo.bytes.data(), 16);
    CHILD_CHECK(bind(s.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0, "bind");

    // 20 datagrams of 1000 bytes and a shorter last one, then a run of 64 small ones.
    std::vector<Packet> big;
    for (std::size_t i = 0; i < 20; ++i)
      big.push_back(udp6_packet(kRemote, kTeredo, 5000, 4000, 1000, i));
    big.push_back(udp6_packet(kRemote, kTeredo, 5000, 4000, 321, 20));
    std::vector<Packet> small;
    for (std::size_t i = 0; i < 64; ++i)
      small.push_back(udp6_packet(kRemote, kTeredo, 5000, 4000, 64, 100 + i));
    std::vector<Packet> expected = big;
    expected.insert(expected.end(), small.begin(), small.end());
    if (auto e = write_coalesced(*tun, big); !e.empty()) return e;
    if (auto e = write_coalesced(*tun, small); !e.empty()) return e;

    std::vector<std::uint8_t> buf(65536);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      pollfd p{s.get(), POLLIN, 0};
      CHILD_CHECK(poll(&p, 1, 5000) == 1, "datagram " + std::to_string(i) + " never arrived");
      sockaddr_in6 from{};
      socklen_t len = sizeof from;
      const ssize_t n =
          recvfrom(s.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      CHILD_CHECK(n >= 0, "recvfrom");
      const Packet& want = expected[i];
      CHILD_CHECK(static_cast<std::size_t>(n) == want.size() - kIpv6UdpHeaders,
                  "datagram " + std::to_string(i) + " length " + std::to_string(n));
      CHILD_CHECK(std::equal(want.begin() + kIpv6UdpHeaders, want.end(), buf.begin()),
                  "datagram " + std::to_string(i) + " payload");
      CHILD_CHECK(ntohs(from.sin6_port) == 5000 &&
                      std::memcmp(&from.sin6_addr, kRemote.bytes.data(), 16) == 0,
                  "source");
    }
    CHILD_CHECK(recv(s.get(), buf.data(), buf.size(), 0) < 0, "more datagrams than written");
    return {};
  });
}

// Forwarded back out of the TUN (no offloads towards us), the super-packet is cut by the
// kernel: what we read is each original packet with the hop limit one lower, checksum and
// all.
TEST(TunOffload, ForwardedSuperPacketIsCutIntoTheOriginalPackets) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    std::optional<TunDevice> tun;
    if (auto e = open_configured({.name = "teredo", .vnet_hdr = true}, tun); !e.empty()) return e;
    CHILD_OK(set_ipv6_forwarding(true));

    std::vector<Packet> run;
    for (std::size_t i = 0; i < 9; ++i)
      run.push_back(udp6_packet(kRemote, kOther, 7000, 7001, 1200, i));
    run.push_back(udp6_packet(kRemote, kOther, 7000, 7001, 17, 9));
    std::vector<Packet> expected = run;
    for (auto& p : expected) {
      p[7] = 63;  // forwarded once
    }
    if (auto e = write_coalesced(*tun, run); !e.empty()) return e;

    std::vector<std::uint8_t> buf(65536);
    std::size_t got = 0;
    for (int tries = 0; got < expected.size() && tries < 200; ++tries) {
      pollfd p{tun->fd(), POLLIN, 0};
      CHILD_CHECK(poll(&p, 1, 5000) == 1, "packet " + std::to_string(got) + " never came back");
      const IoResult r = tun->read(buf);
      CHILD_CHECK(r.ok(), "read");
      const Packet pkt(buf.begin(), buf.begin() + static_cast<long>(r.count));
      if (pkt.size() < 48 || pkt[6] != 17) continue;  // the kernel's own RS/MLD, a redirect...
      // The checksum the kernel wrote is the original one (the hop limit is not covered).
      CHILD_CHECK(pkt == expected[got], "packet " + std::to_string(got) + " differs (length " +
                                            std::to_string(pkt.size()) + ")");
      ++got;
    }
    CHILD_CHECK(got == expected.size(), "only " + std::to_string(got) + " packets");
    return {};
  });
}

// Everything else still passes with a vnet header: an ICMPv6 echo written into the TUN is
// answered, and the answer is read without the header.
TEST(TunOffload, OtherPacketsPassWithAZeroHeader) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    std::optional<TunDevice> tun;
    if (auto e = open_configured({.name = "teredo", .vnet_hdr = true}, tun); !e.empty()) return e;
    Packet p = {0x60, 0, 0, 0, 0, 0, 58, 64};
    p.insert(p.end(), kRemote.bytes.begin(), kRemote.bytes.end());
    p.insert(p.end(), kTeredo.bytes.begin(), kTeredo.bytes.end());
    test::append(p, {128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g'});
    test::fix_icmpv6(p);
    const IoResult w = tun->write(p);
    CHILD_CHECK(w.ok() && w.count == p.size(), "write");
    // A single UDP packet written plainly is delivered too.
    UniqueFd s(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    local.sin6_port = htons(4001);
    std::memcpy(&local.sin6_addr, kTeredo.bytes.data(), 16);
    CHILD_CHECK(bind(s.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0, "bind");
    const Packet u = udp6_packet(kRemote, kTeredo, 9, 4001, 30, 3);
    CHILD_CHECK(tun->write(u).ok(), "write udp");

    std::vector<std::uint8_t> buf(65536);
    bool reply = false;
    for (int tries = 0; !reply && tries < 50; ++tries) {
      pollfd pf{tun->fd(), POLLIN, 0};
      CHILD_CHECK(poll(&pf, 1, 5000) == 1, "no echo reply");
      const IoResult r = tun->read(buf);
      CHILD_CHECK(r.ok() && r.count >= 40 && (buf[0] >> 4) == 6, "read: not an IPv6 packet");
      reply = r.count >= 48 && buf[6] == 58 && buf[40] == 129 && buf[44] == 0x12;
    }
    CHILD_CHECK(reply, "no echo reply");
    pollfd ps{s.get(), POLLIN, 0};
    CHILD_CHECK(poll(&ps, 1, 5000) == 1, "no UDP datagram");
    CHILD_CHECK(recv(s.get(), buf.data(), buf.size(), 0) == 30, "UDP payload length");
    return {};
  });
}

// One read with read_offload; a packet needing its checksum gets it completed.
std::string read_one(TunDevice& tun, Packet& out, TunReadInfo& info) {
  std::vector<std::uint8_t> buf(70000);
  pollfd pf{tun.fd(), POLLIN, 0};
  CHILD_CHECK(poll(&pf, 1, 5000) == 1, "nothing to read");
  const IoResult r = tun.read_offload(wire::MutableBytes(buf).first(1500),
                                      wire::MutableBytes(buf).subspan(1500), info);
  CHILD_CHECK(r.ok(), "read_offload");
  out.assign(buf.begin(), buf.begin() + static_cast<long>(r.count));
  if (info.needs_csum && !info.tcp6_gso && !info.udp_gso) {
    CHILD_CHECK(complete_checksum(out, info.csum_start, info.csum_offset), "complete_checksum");
  }
  return {};
}

// With TSO reads on, the kernel's own TCP (a local socket connecting through the TUN to a
// peer this test plays) hands us its first flight as TCP super-packets; cut by
// Tcp6Segmenter they are MSS-sized segments with correct checksums carrying exactly the
// bytes sent. The SYN arrives with a checksum to complete.
TEST(TunOffload, TsoReadsAreCutIntoCorrectSegments) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    std::optional<TunDevice> tun;
    if (auto e = open_configured({.name = "teredo", .vnet_hdr = true, .tso = true}, tun);
        !e.empty())
      return e;
    CHILD_CHECK(tun->tso(), "tso");

    UniqueFd s(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    CHILD_CHECK(s.valid(), "socket");
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(8080);
    std::memcpy(&to.sin6_addr, kRemote.bytes.data(), 16);
    CHILD_CHECK(
        connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0 && errno == EINPROGRESS,
        "connect");
    Packet syn;
    TunReadInfo info;
    for (int tries = 0; tries < 20; ++tries) {
      if (auto e = read_one(*tun, syn, info); !e.empty()) return e;
      if (syn.size() >= 60 && syn[6] == 6 && (syn[53] & 0x02) != 0) break;
    }
    CHILD_CHECK(syn.size() >= 60 && syn[6] == 6 && (syn[53] & 0x02) != 0, "no SYN");
    CHILD_CHECK(test::transport_sum(syn) == 0xffff, "SYN checksum");

    // SYN-ACK from kRemote: MSS 1220, window 65535 (no scaling).
    Packet sa(40 + 24);
    sa[0] = 0x60;
    sa[5] = 24;
    sa[6] = 6;
    sa[7] = 64;
    std::copy(kRemote.bytes.begin(), kRemote.bytes.end(), sa.begin() + 8);
    std::copy(kTeredo.bytes.begin(), kTeredo.bytes.end(), sa.begin() + 24);
    sa[40] = syn[42];  // ports swapped
    sa[41] = syn[43];
    sa[42] = syn[40];
    sa[43] = syn[41];
    sa[44] = 0x10;  // our ISN 0x10000000
    std::uint32_t ack = (std::uint32_t{syn[44]} << 24 | std::uint32_t{syn[45]} << 16 |
                         std::uint32_t{syn[46]} << 8 | std::uint32_t{syn[47]}) +
                        1;
    sa[48] = static_cast<std::uint8_t>(ack >> 24);
    sa[49] = static_cast<std::uint8_t>(ack >> 16);
    sa[50] = static_cast<std::uint8_t>(ack >> 8);
    sa[51] = static_cast<std::uint8_t>(ack);
    sa[52] = 0x60;  // 24-byte header
    sa[53] = 0x12;  // SYN ACK
    sa[54] = 0xff;
    sa[55] = 0xff;
    sa[60] = 2;  // MSS 1220
    sa[61] = 4;
    sa[62] = 1220 >> 8;
    sa[63] = 1220 & 0xff;
    const std::uint16_t sum = test::transport_sum(sa);
    sa[56] = static_cast<std::uint8_t>(~sum >> 8);
    sa[57] = static_cast<std::uint8_t>(~sum);
    CHILD_CHECK(test::transport_sum(sa) == 0xffff, "SYN-ACK checksum");
    CHILD_CHECK(tun->write(sa).ok(), "write SYN-ACK");
    pollfd pw{s.get(), POLLOUT, 0};
    CHILD_CHECK(poll(&pw, 1, 5000) == 1, "not connected");
    int err = -1;
    socklen_t elen = sizeof err;
    CHILD_CHECK(getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0,
                "connect failed: " + std::to_string(err));

    std::vector<std::uint8_t> data(20000);
    for (std::size_t k = 0; k < data.size(); ++k) data[k] = static_cast<std::uint8_t>(k * 11 + 3);
    CHILD_CHECK(send(s.get(), data.data(), data.size(), 0) > 0, "send");

    // Read the first flight (the initial congestion window: about 10 segments).
    std::vector<std::uint8_t> got;
    std::size_t super_packets = 0;
    std::size_t segments = 0;
    const std::uint32_t first_seq = ack;
    for (int tries = 0; tries < 40 && got.size() < 2 * 1220; ++tries) {
      Packet pkt;
      if (auto e = read_one(*tun, pkt, info); !e.empty()) {
        if (got.size() > 0) break;  // the flight is over
        return e;
      }
      if (pkt.size() < 60 || pkt[6] != 6) continue;
      std::vector<Packet> segs;
      if (info.tcp6_gso) {
        ++super_packets;
        Tcp6Segmenter cut;
        CHILD_CHECK(cut.start(pkt, info.gso_size), "segmenter start");
        CHILD_CHECK(info.gso_size <= 1220, "gso_size " + std::to_string(info.gso_size));
        Packet out(1500);
        while (const std::size_t n = cut.next(out))
          segs.emplace_back(out.begin(), out.begin() + static_cast<long>(n));
      } else {
        segs.push_back(pkt);
      }
      for (const Packet& seg : segs) {
        ++segments;
        CHILD_CHECK(seg.size() <= 1280, "segment larger than the MTU");
        CHILD_CHECK(test::transport_sum(seg) == 0xffff, "segment checksum");
        const std::size_t hl = 40 + std::size_t{static_cast<std::size_t>(seg[52] >> 4) * 4};
        const std::uint32_t seq = std::uint32_t{seg[44]} << 24 | std::uint32_t{seg[45]} << 16 |
                                  std::uint32_t{seg[46]} << 8 | std::uint32_t{seg[47]};
        if (seg.size() == hl) continue;  // no data
        CHILD_CHECK(seq - first_seq == got.size(), "sequence " + std::to_string(seq - first_seq) +
                                                       " after " + std::to_string(got.size()));
        got.insert(got.end(), seg.begin() + static_cast<long>(hl), seg.end());
      }
    }
    CHILD_CHECK(super_packets > 0,
                "no TSO super-packet (" + std::to_string(segments) + " packets)");
    CHILD_CHECK(got.size() >= 2 * 1220 && std::equal(got.begin(), got.end(), data.begin()),
                "payload: " + std::to_string(got.size()) + " bytes");
    return {};
  });
}

// With USO reads on, a local UDP_SEGMENT send routed into the TUN (what a host-specific
// relay's own QUIC would do; forwarded datagrams that GRO merged arrive the same way) is
// read as one UDP super-packet; Udp6Segmenter cuts it into the datagrams sent, each with
// its own correct checksum.
TEST(TunOffload, UsoReadsAreCutIntoTheDatagramsSent) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    std::optional<TunDevice> tun;
    if (auto e =
            open_configured({.name = "teredo", .vnet_hdr = true, .tso = true, .uso = true}, tun);
        !e.empty())
      return e;
    CHILD_CHECK(tun->uso(), "the kernel refused TUN_F_USO4 | TUN_F_USO6 (Linux < 6.2?)");

    UniqueFd s(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    CHILD_CHECK(s.valid(), "socket");
    constexpr int kSegment = 100;
    CHILD_CHECK(setsockopt(s.get(), IPPROTO_UDP, UDP_SEGMENT, &kSegment, sizeof kSegment) == 0,
                "UDP_SEGMENT");
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(9000);
    std::memcpy(&to.sin6_addr, kRemote.bytes.data(), 16);
    std::vector<std::uint8_t> data(1050);  // 10 full datagrams and one of 50 bytes
    for (std::size_t k = 0; k < data.size(); ++k) data[k] = static_cast<std::uint8_t>(k * 3 + 1);
    CHILD_CHECK(sendto(s.get(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to) == static_cast<ssize_t>(data.size()),
                std::string("sendto: ") + std::strerror(errno));

    Packet pkt;
    TunReadInfo info;
    for (int tries = 0; tries < 20; ++tries) {  // skip router solicitations and the like
      if (auto e = read_one(*tun, pkt, info); !e.empty()) return e;
      if (pkt.size() > 48 && pkt[6] == 17) break;
    }
    CHILD_CHECK(pkt.size() > 48 && pkt[6] == 17, "no UDP packet");
    CHILD_CHECK(info.udp_gso && info.gso_size == kSegment,
                "not one USO super-packet (" + std::to_string(pkt.size()) + " bytes)");
    CHILD_CHECK(pkt.size() == 48 + data.size(), "super-packet length");
    Udp6Segmenter cut;
    CHILD_CHECK(cut.start(pkt, info.gso_size), "segmenter start");
    std::vector<std::uint8_t> got;
    std::size_t datagrams = 0;
    Packet out(1500);
    while (const std::size_t n = cut.next(out)) {
      const Packet d(out.begin(), out.begin() + static_cast<long>(n));
      ++datagrams;
      CHILD_CHECK(test::transport_sum(d) == 0xffff, "datagram checksum");
      CHILD_CHECK(d[42] == 0x23 && d[43] == 0x28, "destination port");
      got.insert(got.end(), d.begin() + 48, d.end());
    }
    CHILD_CHECK(datagrams == 11, "cut into " + std::to_string(datagrams));
    CHILD_CHECK(got == data, "payload differs");
    return {};
  });
}

TEST(TcpCoalesce, CoalescableAndFollowRules) {
  const Packet a = tcp6_packet(kRemote, kOther, 1000, 1200, 1);
  EXPECT_EQ(coalescable_tcp_payload(a), 1200U);
  EXPECT_EQ(tcp_header_length(a), 32U);
  EXPECT_EQ(coalescable_tcp_payload(tcp6_packet(kRemote, kOther, 1000, 1200, 1, 0x18)), 1200U);
  EXPECT_EQ(coalescable_tcp_payload(tcp6_packet(kRemote, kOther, 1000, 1200, 1, 0x11)), 0U);  // FIN
  EXPECT_EQ(coalescable_tcp_payload(tcp6_packet(kRemote, kOther, 1000, 1200, 1, 0x12)), 0U);  // SYN
  EXPECT_EQ(coalescable_tcp_payload(tcp6_packet(kRemote, kOther, 1000, 0, 1)), 0U);  // pure ACK
  Packet bad = a;
  bad[100] ^= 1;
  EXPECT_EQ(coalescable_tcp_payload(bad), 0U);  // checksum
  EXPECT_EQ(coalescable_udp_payload(a), 0U);

  EXPECT_TRUE(tcp_can_follow(a, 1200, tcp6_packet(kRemote, kOther, 2200, 1200, 2)));
  EXPECT_TRUE(tcp_can_follow(a, 2400, tcp6_packet(kRemote, kOther, 3400, 500, 3, 0x18)));
  EXPECT_FALSE(tcp_can_follow(a, 1200, tcp6_packet(kRemote, kOther, 2201, 1200, 2)));  // gap
  EXPECT_FALSE(tcp_can_follow(a, 1200, tcp6_packet(kTeredo, kOther, 2200, 1200, 2)));  // flow
  Packet ts = tcp6_packet(kRemote, kOther, 2200, 1200, 2);
  ts[67] = 43;  // another timestamp
  EXPECT_FALSE(tcp_can_follow(a, 1200, ts));
  Packet ack = tcp6_packet(kRemote, kOther, 2200, 1200, 2);
  ack[51] = 2;  // another acknowledgment number
  EXPECT_FALSE(tcp_can_follow(a, 1200, ack));
  Packet win = tcp6_packet(kRemote, kOther, 2200, 1200, 2);
  win[55] = 1;  // another window
  EXPECT_FALSE(tcp_can_follow(a, 1200, win));

  Packet head = a;
  const TcpHeadBackup b = make_tcp_gso_head(head, 3000, true);
  EXPECT_EQ(head[4] << 8 | head[5], 3032);
  EXPECT_EQ(head[53], 0x18);
  restore_tcp_head(head, b);
  EXPECT_EQ(head, a);
}

// A TCP super-packet written with VIRTIO_NET_HDR_GSO_TCPV6, forwarded back out of the TUN
// (no offloads towards us), comes back as exactly the original segments (hop limit - 1):
// sequence numbers, PSH only on the last, checksums.
TEST(TunOffload, TcpSuperPacketIsCutIntoTheOriginalSegments) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    std::optional<TunDevice> tun;
    if (auto e = open_configured({.name = "teredo", .vnet_hdr = true}, tun); !e.empty()) return e;
    CHILD_OK(set_ipv6_forwarding(true));

    std::vector<Packet> run;
    std::uint32_t seq = 0xfffff000;  // wraps inside the run
    for (std::size_t i = 0; i < 7; ++i, seq += 1188) {
      run.push_back(tcp6_packet(kRemote, kOther, seq, 1188, i));
    }
    run.push_back(tcp6_packet(kRemote, kOther, seq, 300, 7, 0x18));  // ACK PSH, shorter
    std::vector<Packet> expected = run;
    for (auto& p : expected) p[7] = 63;
    std::size_t total = 0;
    for (std::size_t i = 0; i < run.size(); ++i) {
      CHILD_CHECK(coalescable_tcp_payload(run[i]) != 0, "not coalescable");
      if (i > 0) CHILD_CHECK(tcp_can_follow(run[0], total, run[i]), "cannot follow");
      total += coalescable_tcp_payload(run[i]);
    }
    (void)make_tcp_gso_head(run[0], total, true);
    std::vector<wire::Bytes> parts = {run[0]};
    for (std::size_t i = 1; i < run.size(); ++i) parts.push_back(wire::Bytes(run[i]).subspan(72));
    const IoResult w = tun->write_tcp_gso(parts, 72, 1188);
    CHILD_CHECK(w.ok(), "write_tcp_gso: " + std::string(std::strerror(w.error)));

    std::vector<std::uint8_t> buf(65536);
    std::size_t got = 0;
    for (int tries = 0; got < expected.size() && tries < 200; ++tries) {
      pollfd p{tun->fd(), POLLIN, 0};
      CHILD_CHECK(poll(&p, 1, 5000) == 1, "segment " + std::to_string(got) + " never came back");
      const IoResult r = tun->read(buf);
      CHILD_CHECK(r.ok(), "read");
      const Packet pkt(buf.begin(), buf.begin() + static_cast<long>(r.count));
      if (pkt.size() < 60 || pkt[6] != 6) continue;
      CHILD_CHECK(pkt == expected[got], "segment " + std::to_string(got) + " differs (length " +
                                            std::to_string(pkt.size()) + ", flags " +
                                            std::to_string(pkt[53]) + ")");
      ++got;
    }
    CHILD_CHECK(got == expected.size(), "only " + std::to_string(got) + " segments");
    return {};
  });
}

}  // namespace
}  // namespace shipworm::os
