// The relay's data-plane worker (daemon/relay_worker.h) on a fake UDP socket and a fake TUN
// device, driving the real core::RelayEngine: the zero-copy rule (a TUN packet for a
// trusted client leaves from the slot it was read into), the TUN write batching (runs of
// one flow as one GSO write when the TUN has a virtio_net_hdr, RFC 4380 §5.4.2 forwarding
// otherwise one write each), the control batch and the I/O drop counters. No root, no
// kernel objects: the fakes only record.
#include <gtest/gtest.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <vector>

#include "core/relay_engine.h"
#include "daemon/relay_worker.h"
#include "ipv6_test_packets.h"
#include "wire/bubble.h"
#include "wire/ipv6_packet.h"
#include "wire/teredo_address.h"

namespace shipworm::daemon {
namespace {

using test::Packet;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;

Ipv4Address v4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

const Ipv4Address kServer = v4("198.51.100.1");    // the client's Teredo server
const Endpoint kClient{v4("203.0.113.7"), 40000};  // the client's NAT mapping
const Ipv6Address kClientAddr = wire::TeredoAddress{kServer, 0, kClient}.to_ipv6();
const Ipv6Address kNative = v6("2001:db8:1::10");
constexpr std::size_t kSlot = 1500 + 256;

// recvmmsg(2) and sendmmsg(2) on queues: datagrams larger than a slot arrive truncated.
struct FakeUdp {
  struct Datagram {
    Endpoint peer;
    Packet bytes;
  };
  std::deque<Datagram> inbox;
  std::vector<Datagram> sent;
  std::size_t send_calls = 0;

  os::IoResult recv_batch(os::DatagramBatch& batch) {
    batch.clear();
    while (!inbox.empty() && !batch.full()) {
      const Datagram& d = inbox.front();
      const wire::MutableBytes buf = batch.next_buffer();
      const std::size_t n = std::min(d.bytes.size(), buf.size());
      std::copy_n(d.bytes.begin(), n, buf.begin());
      batch.commit(n, d.peer);
      batch[batch.size() - 1].truncated = d.bytes.size() > buf.size();
      inbox.pop_front();
    }
    return {batch.size(), 0};
  }
  os::BatchResult send_batch(os::DatagramBatch& batch, std::size_t from = 0) {
    ++send_calls;
    for (std::size_t i = from; i < batch.size(); ++i) {
      const wire::Bytes p = batch.payload(i);
      sent.push_back({batch[i].peer, {p.begin(), p.end()}});
    }
    return {batch.size() - from, 0, batch.size(), 0, false};
  }
};

// A TUN device without offloads on read; with or without a virtio_net_hdr on write.
struct FakeTun {
  struct Write {
    std::vector<Packet> parts;  // one packet, or a GSO head and the following payloads
    bool gso = false;
    std::uint16_t segment = 0;
  };
  bool vnet = true;
  std::deque<Packet> inbox;
  std::vector<Write> writes;

  [[nodiscard]] bool vnet_hdr() const { return vnet; }
  [[nodiscard]] bool tso() const { return false; }
  [[nodiscard]] bool uso() const { return false; }
  os::IoResult read(wire::MutableBytes buffer) {
    if (inbox.empty()) return {0, EAGAIN};
    const Packet p = std::move(inbox.front());
    inbox.pop_front();
    std::copy_n(p.begin(), std::min(p.size(), buffer.size()), buffer.begin());
    return {p.size(), 0};
  }
  os::IoResult read_offload(wire::MutableBytes buffer, wire::MutableBytes /*overflow*/,
                            os::TunReadInfo& /*info*/) {
    return read(buffer);
  }
  os::IoResult write(wire::Bytes packet) {
    writes.push_back({{Packet(packet.begin(), packet.end())}, false, 0});
    return {packet.size(), 0};
  }
  os::IoResult write_udp_gso(std::span<const wire::Bytes> parts, std::uint16_t segment) {
    return write_gso(parts, segment);
  }
  os::IoResult write_tcp_gso(std::span<const wire::Bytes> parts, std::uint16_t /*header*/,
                             std::uint16_t segment) {
    return write_gso(parts, segment);
  }

 private:
  os::IoResult write_gso(std::span<const wire::Bytes> parts, std::uint16_t segment) {
    Write w{{}, true, segment};
    std::size_t n = 0;
    for (const auto& p : parts) {
      w.parts.emplace_back(p.begin(), p.end());
      n += p.size();
    }
    writes.push_back(std::move(w));
    return {n, 0};
  }
};

using Worker = BasicRelayWorker<FakeUdp, FakeTun>;

// A routed relay that trusts a client from its first valid packet (RFC 4380 §5.2.3 case 3
// applied by the relay: UnknownPeerPolicy::kTrust), so that one datagram sets up the peer.
std::unique_ptr<core::RelayEngine> engine() {
  core::RelayEngineConfig c;
  c.own_ipv4 = {v4("192.0.2.99")};
  c.unknown_peers = core::UnknownPeerPolicy::kTrust;
  c.hash_key = 77;
  c.table.capacity = 64;
  c.table.hash_key = 78;
  return std::make_unique<core::RelayEngine>(c);
}

class RelayWorkerTest : public ::testing::Test {
 protected:
  void make(bool vnet) {
    tun_.vnet = vnet;
    worker_ = std::make_unique<Worker>(FakeUdp{}, tun_, engine(), kSlot);
  }
  FakeUdp& udp() { return worker_->socket(); }
  const IoCounters& io() { return worker_->io(); }
  void from_client(const Packet& p) { udp().inbox.push_back({kClient, p}); }

  FakeTun tun_;
  std::unique_ptr<Worker> worker_;
};

TEST_F(RelayWorkerTest, Rfc4380_5_4_1_TunPacketForTrustedClientLeavesFromItsOwnSlot) {
  make(true);
  from_client(test::udp6_packet(kClientAddr, kNative, 5000, 53, 100, 1));
  worker_->on_udp_readable();
  ASSERT_TRUE(worker_->engine().peers().find(kClientAddr) != core::kNoPeer);

  const Packet reply = test::udp6_packet(kNative, kClientAddr, 53, 5000, 200, 2);
  tun_.inbox.push_back(reply);
  worker_->on_tun_readable();
  EXPECT_EQ(io().zero_copy_sends, 1U);
  ASSERT_EQ(udp().sent.size(), 1U);
  EXPECT_EQ(udp().sent[0].peer, kClient);
  // The packet itself (Teredo adds no header), one hop later: the relay is a router.
  Packet expected = reply;
  --expected[7];
  EXPECT_EQ(udp().sent[0].bytes, expected);
}

TEST_F(RelayWorkerTest, Rfc4380_5_4_2_OneUdpFlowFromClientsIsOneGsoWriteWithVnetHeader) {
  make(true);
  for (std::size_t k = 0; k < 3; ++k) {
    from_client(test::udp6_packet(kClientAddr, kNative, 5000, 53, 1000, k));
  }
  worker_->on_udp_readable();
  ASSERT_EQ(tun_.writes.size(), 1U);
  EXPECT_TRUE(tun_.writes[0].gso);
  EXPECT_EQ(tun_.writes[0].segment, 1000U);
  ASSERT_EQ(tun_.writes[0].parts.size(), 3U);
  EXPECT_EQ(tun_.writes[0].parts[0].size(), 48U + 1000U);  // headers for the whole
  EXPECT_EQ(tun_.writes[0].parts[1].size(), 1000U);        // then payloads only
  EXPECT_EQ(io().tun_gso_writes, 1U);
  EXPECT_EQ(io().tun_gso_packets, 3U);
  EXPECT_EQ(worker_->engine().counters().to_native_packets, 3U);
}

TEST_F(RelayWorkerTest, Rfc4380_5_4_2_OneTcpStreamFromClientsIsOneGsoWriteWithVnetHeader) {
  make(true);
  for (std::uint32_t k = 0; k < 3; ++k) {
    from_client(test::tcp6_packet(kClientAddr, kNative, 1000 + k * 1200, 1200, k));
  }
  worker_->on_udp_readable();
  ASSERT_EQ(tun_.writes.size(), 1U);
  EXPECT_TRUE(tun_.writes[0].gso);
  EXPECT_EQ(tun_.writes[0].segment, 1200U);
  EXPECT_EQ(tun_.writes[0].parts.size(), 3U);
}

TEST_F(RelayWorkerTest, Rfc4380_5_4_2_WithoutVnetHeaderEachForwardedPacketIsOneWrite) {
  make(false);
  std::vector<Packet> sent;
  for (std::size_t k = 0; k < 3; ++k) {
    sent.push_back(test::udp6_packet(kClientAddr, kNative, 5000, 53, 1000, k));
    from_client(sent.back());
  }
  worker_->on_udp_readable();
  ASSERT_EQ(tun_.writes.size(), 3U);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_FALSE(tun_.writes[k].gso);
    --sent[k][7];  // forwarded: one hop later
    EXPECT_EQ(tun_.writes[k].parts.at(0), sent[k]) << k;
  }
  EXPECT_EQ(io().tun_gso_writes, 0U);
}

TEST_F(RelayWorkerTest, Rfc4380_5_4_1_BubbleToUnknownClientGoesThroughTheControlBatch) {
  make(true);
  // A native packet for a client the relay has no entry for: queued, and an indirect bubble
  // goes to the client's server; the packet itself does not leave.
  tun_.inbox.push_back(test::udp6_packet(kNative, kClientAddr, 53, 5000, 200, 2));
  worker_->on_tun_readable();
  EXPECT_EQ(io().zero_copy_sends, 0U);
  ASSERT_EQ(udp().sent.size(), 1U);
  EXPECT_EQ(udp().sent[0].peer, (Endpoint{kServer, wire::kTeredoPort}));
  const auto ip = wire::parse_ipv6(udp().sent[0].bytes);
  ASSERT_TRUE(ip.ok());
  EXPECT_TRUE(wire::is_bubble(*ip));
  EXPECT_EQ(worker_->engine().counters().packets_queued, 1U);
  EXPECT_EQ(io().control_overflow, 0U);
}

TEST_F(RelayWorkerTest, DatagramLargerThanASlotIsCountedTruncatedAndNotDecided) {
  make(true);
  from_client(test::udp6_packet(kClientAddr, kNative, 5000, 53, kSlot, 1));
  from_client(test::udp6_packet(kClientAddr, kNative, 5000, 53, 100, 2));
  worker_->on_udp_readable();
  EXPECT_EQ(io().udp_truncated, 1U);
  EXPECT_EQ(io().recv_batches, 1U);
  EXPECT_EQ(worker_->engine().counters().udp_packets_in, 1U);
  EXPECT_EQ(tun_.writes.size(), 1U);
}

}  // namespace
}  // namespace shipworm::daemon
