#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <vector>

#include "core/peer_table.h"
#include "wire/teredo_address.h"

namespace shipworm::core {
namespace {

using namespace std::chrono_literals;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;

const TimePoint t0 = TimePoint{} + 1000s;

Ipv6Address addr(std::uint32_t n) {
  return wire::TeredoAddress{
      Ipv4Address::from_octets(198, 51, 100, 1), 0,
      Endpoint{Ipv4Address{0xC0000200u + (n >> 16)}, static_cast<std::uint16_t>(n & 0xffff)}}
      .to_ipv6();
}

PeerTableConfig small(std::size_t capacity) {
  return PeerTableConfig{.capacity = capacity, .hash_key = 0x1234};
}

std::vector<std::uint8_t> packet(std::size_t n, std::uint8_t fill) {
  std::vector<std::uint8_t> p(n);
  std::iota(p.begin(), p.end(), fill);
  return p;
}

TEST(PeerTable, Rfc4380_5_2_NewEntryIsUntrustedBackdatedAndFindable) {
  PeerTable t(small(8));
  const auto ins = t.find_or_create(addr(1), t0);
  ASSERT_TRUE(ins.created);
  EXPECT_FALSE(ins.evicted);
  const Peer& p = t[ins.id];
  EXPECT_EQ(p.address, addr(1));
  EXPECT_FALSE(p.trusted());
  // §5.2.3 case 3 / §5.2.6: last rx = last tx = now - 30 s, no bubbles yet.
  EXPECT_EQ(p.last_rx, t0 - 30s);
  EXPECT_EQ(p.last_tx, t0 - 30s);
  EXPECT_EQ(p.bubbles, 0);
  EXPECT_FALSE(p.valid(t0));
  EXPECT_EQ(t.find(addr(1)), ins.id);
  EXPECT_EQ(t.find(addr(2)), kNoPeer);
  const auto again = t.find_or_create(addr(1), t0 + 1s);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.id, ins.id);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.untrusted_count(), 1u);
}

TEST(PeerTable, Rfc4380_5_2_4_EntryValidOnlyWithin30sOfLastRx) {
  PeerTable t(small(4));
  const PeerId id = t.find_or_create(addr(1), t0).id;
  t.note_rx(id, t0);
  EXPECT_TRUE(t[id].valid(t0 + 29s));
  EXPECT_FALSE(t[id].valid(t0 + 30s));
}

TEST(PeerTable, Rfc4380_5_2_TrustedFlagMovesBetweenClasses) {
  PeerTable t(small(4));
  const PeerId id = t.find_or_create(addr(1), t0).id;
  t.set_trusted(id, true, t0);
  EXPECT_TRUE(t[id].trusted());
  EXPECT_EQ(t.trusted_count(), 1u);
  EXPECT_EQ(t.untrusted_count(), 0u);
  t.set_trusted(id, false, t0);
  EXPECT_EQ(t.trusted_count(), 0u);
  EXPECT_EQ(t.untrusted_count(), 1u);
}

TEST(PeerTable, RemoveFreesSlotAndKeepsOtherKeysFindable) {
  auto c = small(64);
  c.max_untrusted = 64;
  PeerTable t(c);
  std::vector<PeerId> ids;
  for (std::uint32_t i = 0; i < 64; ++i) ids.push_back(t.find_or_create(addr(i), t0).id);
  // Remove every third entry; backward-shift deletion must keep every probe run intact.
  for (std::uint32_t i = 0; i < 64; i += 3) t.remove(t.find(addr(i)));
  for (std::uint32_t i = 0; i < 64; ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(t.find(addr(i)), kNoPeer) << i;
    } else {
      ASSERT_NE(t.find(addr(i)), kNoPeer) << i;
      EXPECT_EQ(t[t.find(addr(i))].address, addr(i));
    }
  }
  EXPECT_EQ(t.size(), 64u - 22u);
}

TEST(PeerTable, Rfc4380_5_2_LruEvictsLeastRecentlyUsedAtCapacity) {
  auto c = small(4);
  c.max_untrusted = 4;
  PeerTable t(c);
  for (std::uint32_t i = 0; i < 4; ++i) t.find_or_create(addr(i), t0 + std::chrono::seconds(i));
  t.touch(t.find(addr(0)), t0 + 10s);  // 1 is now the least recently used
  const auto ins = t.find_or_create(addr(9), t0 + 11s);
  EXPECT_TRUE(ins.evicted);
  EXPECT_EQ(t.find(addr(1)), kNoPeer);
  EXPECT_NE(t.find(addr(0)), kNoPeer);
  EXPECT_NE(t.find(addr(9)), kNoPeer);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.evictions(), 1u);
}

TEST(PeerTable, Rfc4380_7_3_3_EvictionPrefersUntrustedSoFloodsCannotPushOutTrusted) {
  auto c = small(8);
  c.max_untrusted = 4;
  PeerTable t(c);
  for (std::uint32_t i = 0; i < 4; ++i) {
    t.set_trusted(t.find_or_create(addr(i), t0).id, true, t0);
  }
  // A flood of new (untrusted) entries cycles through the untrusted quota only.
  for (std::uint32_t i = 100; i < 1100; ++i) t.find_or_create(addr(i), t0 + 1s);
  EXPECT_EQ(t.untrusted_count(), 4u);
  EXPECT_EQ(t.trusted_count(), 4u);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_NE(t.find(addr(i)), kNoPeer);
  EXPECT_EQ(t.evictions(), 1000u - 4u);
}

TEST(PeerTable, FullOfTrustedEvictsLeastRecentTrusted) {
  auto c = small(2);
  c.max_untrusted = 2;
  PeerTable t(c);
  t.set_trusted(t.find_or_create(addr(1), t0).id, true, t0);
  t.set_trusted(t.find_or_create(addr(2), t0).id, true, t0 + 1s);
  t.find_or_create(addr(3), t0 + 2s);
  EXPECT_EQ(t.find(addr(1)), kNoPeer);
  EXPECT_NE(t.find(addr(2)), kNoPeer);
}

TEST(PeerTable, EvictionReportsAndFreesTheVictimsQueue) {
  auto c = small(1);
  c.max_untrusted = 1;
  PeerTable t(c);
  const PeerId a = t.find_or_create(addr(1), t0).id;
  const auto p = packet(300, 1);
  ASSERT_EQ(t.enqueue(a, p), EnqueueResult::kQueued);
  ASSERT_EQ(t.enqueue(a, p), EnqueueResult::kQueued);
  const std::size_t free_before = t.free_queue_chunks();
  const auto ins = t.find_or_create(addr(2), t0);
  EXPECT_TRUE(ins.evicted);
  EXPECT_EQ(ins.evicted_queued_packets, 2);
  EXPECT_GT(t.free_queue_chunks(), free_before);
  EXPECT_EQ(t.queued_bytes_total(), 0u);
  EXPECT_EQ(t[ins.id].queued_packets(), 0);
}

TEST(PeerTable, Rfc4380_5_4_1_QueueIsFifoAcrossChunkBoundaries) {
  PeerTable t(small(4));
  const PeerId id = t.find_or_create(addr(1), t0).id;
  std::vector<std::vector<std::uint8_t>> sent;
  for (std::size_t n : {40u, 253u, 1u, 600u, 255u, 256u}) {
    sent.push_back(packet(n, static_cast<std::uint8_t>(n)));
    ASSERT_EQ(t.enqueue(id, sent.back()), EnqueueResult::kQueued) << n;
  }
  EXPECT_EQ(t[id].queued_packets(), sent.size());
  std::vector<std::uint8_t> out(t.config().queue_bytes_per_peer);
  for (const auto& s : sent) {
    const auto got = t.dequeue(id, out);
    ASSERT_EQ(got.size(), s.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), s.begin()));
  }
  EXPECT_TRUE(t.dequeue(id, out).empty());
  EXPECT_EQ(t[id].queued_bytes(), 0u);
  // Every chunk is back in the pool.
  EXPECT_EQ(t.free_queue_chunks(), t.config().queue_bytes_total / PeerTable::kChunkSize);
}

TEST(PeerTable, Rfc4380_5_4_1_QueueByteLimitPerPeer) {
  auto c = small(4);
  c.queue_bytes_per_peer = 1280;
  PeerTable t(c);
  const PeerId id = t.find_or_create(addr(1), t0).id;
  EXPECT_EQ(t.enqueue(id, packet(1281, 0)), EnqueueResult::kPeerFull);
  EXPECT_EQ(t.enqueue(id, packet(1000, 0)), EnqueueResult::kQueued);
  EXPECT_EQ(t.enqueue(id, packet(281, 0)), EnqueueResult::kPeerFull);
  EXPECT_EQ(t.enqueue(id, packet(280, 0)), EnqueueResult::kQueued);
  EXPECT_EQ(t[id].queued_bytes(), 1280u);
  // Another peer has its own allowance.
  const PeerId other = t.find_or_create(addr(2), t0).id;
  EXPECT_EQ(t.enqueue(other, packet(1280, 0)), EnqueueResult::kQueued);
}

TEST(PeerTable, Rfc4380_5_4_1_QueueTotalByteLimitAcrossPeers) {
  auto c = small(16);
  c.queue_bytes_per_peer = 1280;
  c.queue_bytes_total = 4 * PeerTable::kChunkSize;  // 1024 bytes, headers included
  PeerTable t(c);
  const PeerId a = t.find_or_create(addr(1), t0).id;
  const PeerId b = t.find_or_create(addr(2), t0).id;
  EXPECT_EQ(t.enqueue(a, packet(600, 0)), EnqueueResult::kQueued);  // 3 chunks
  EXPECT_EQ(t.enqueue(b, packet(300, 0)), EnqueueResult::kTableFull);
  EXPECT_EQ(t.enqueue(b, packet(200, 0)), EnqueueResult::kQueued);  // the last chunk
  EXPECT_EQ(t.free_queue_chunks(), 0u);
  // Packing into the room left in a's tail chunk needs no new chunk.
  EXPECT_EQ(t.enqueue(a, packet(100, 0)), EnqueueResult::kQueued);
  t.remove(a);
  EXPECT_EQ(t.free_queue_chunks(), 3u);
  EXPECT_EQ(t.queued_bytes_total(), 200u);
}

TEST(PeerTable, DropQueueReturnsCountAndChunks) {
  PeerTable t(small(2));
  const PeerId id = t.find_or_create(addr(1), t0).id;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(t.enqueue(id, packet(500, 0)), EnqueueResult::kQueued);
  EXPECT_EQ(t.drop_queue(id), 3);
  EXPECT_EQ(t.free_queue_chunks(), t.config().queue_bytes_total / PeerTable::kChunkSize);
  // The queue is usable again.
  ASSERT_EQ(t.enqueue(id, packet(10, 7)), EnqueueResult::kQueued);
  std::vector<std::uint8_t> out(4096);
  EXPECT_EQ(t.dequeue(id, out).size(), 10u);
}

TEST(PeerTable, DeadlinesPopInTimeOrderAndCanBeMovedOrCleared) {
  PeerTable t(small(8));
  const PeerId a = t.find_or_create(addr(1), t0).id;
  const PeerId b = t.find_or_create(addr(2), t0).id;
  const PeerId c = t.find_or_create(addr(3), t0).id;
  EXPECT_EQ(t.next_deadline(), kNoDeadline);
  t.set_deadline(a, t0 + 5s);
  t.set_deadline(b, t0 + 2s);
  t.set_deadline(c, t0 + 3s);
  EXPECT_EQ(t.next_deadline(), t0 + 2s);
  t.set_deadline(b, t0 + 10s);  // moved later
  EXPECT_EQ(t.next_deadline(), t0 + 3s);
  t.clear_deadline(c);
  EXPECT_EQ(t.next_deadline(), t0 + 5s);
  EXPECT_EQ(t.pop_due(t0 + 4s), kNoPeer);
  EXPECT_EQ(t.pop_due(t0 + 20s), a);
  EXPECT_EQ(t[a].deadline, kNoDeadline);
  EXPECT_EQ(t.pop_due(t0 + 20s), b);
  EXPECT_EQ(t.pop_due(t0 + 20s), kNoPeer);
  // Removing an entry removes its timer.
  t.set_deadline(c, t0 + 1s);
  t.remove(c);
  EXPECT_EQ(t.next_deadline(), kNoDeadline);
}

TEST(PeerTable, HeapStaysOrderedUnderRandomOperations) {
  auto c = small(256);
  c.max_untrusted = 256;
  PeerTable t(c);
  std::vector<PeerId> ids;
  for (std::uint32_t i = 0; i < 256; ++i) ids.push_back(t.find_or_create(addr(i), t0).id);
  std::uint64_t x = 42;
  for (int step = 0; step < 5000; ++step) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const PeerId id = ids[(x >> 33) % ids.size()];
    if ((x >> 20) % 4 == 0) {
      t.clear_deadline(id);
    } else {
      t.set_deadline(id, t0 + std::chrono::milliseconds((x >> 40) % 100000));
    }
  }
  TimePoint last = TimePoint::min();
  std::size_t popped = 0;
  while (t.next_deadline() != kNoDeadline) {
    const TimePoint d = t.next_deadline();
    EXPECT_GE(d, last);
    last = d;
    ASSERT_NE(t.pop_due(d), kNoPeer);
    ++popped;
  }
  EXPECT_GT(popped, 100u);
}

TEST(PeerTable, LeastRecentFollowsTouches) {
  PeerTable t(small(4));
  const PeerId a = t.find_or_create(addr(1), t0).id;
  const PeerId b = t.find_or_create(addr(2), t0 + 1s).id;
  EXPECT_EQ(t.least_recent(false), a);
  t.note_tx(a, t0 + 2s);
  EXPECT_EQ(t.least_recent(false), b);
  EXPECT_EQ(t[a].last_tx, t0 + 2s);
  EXPECT_EQ(t[a].last_used, t0 + 2s);
  EXPECT_EQ(t.least_recent(true), kNoPeer);
}

TEST(PeerTable, Rfc6081StateOnlyWhenConfigured) {
  PeerTable relay(small(4));
  EXPECT_EQ(relay.rfc6081(relay.find_or_create(addr(1), t0).id), nullptr);
  auto c = small(4);
  c.rfc6081_state = true;
  PeerTable client(c);
  const PeerId id = client.find_or_create(addr(1), t0).id;
  ASSERT_NE(client.rfc6081(id), nullptr);
  client.rfc6081(id)->nonce_sent = wire::Nonce32{7};
  client.remove(id);
  // A recycled entry starts clean.
  const PeerId again = client.find_or_create(addr(2), t0).id;
  EXPECT_TRUE(client.rfc6081(again)->nonce_sent.empty());
  EXPECT_GT(client.bytes_per_peer(), relay.bytes_per_peer());
}

TEST(PeerTable, MemoryIsFixedAtConstructionAndPerPeerFigureIsSizeofBased) {
  PeerTable t(small(1024));
  const std::size_t before = t.memory_bytes();
  for (std::uint32_t i = 0; i < 5000; ++i) t.find_or_create(addr(i), t0);
  EXPECT_EQ(t.memory_bytes(), before);
  EXPECT_EQ(t.size(), t.max_untrusted());  // untrusted entries are capped at capacity / 2
  EXPECT_EQ(t.max_untrusted(), 512u);
  EXPECT_GE(t.bytes_per_peer(), sizeof(Peer) + 2 * sizeof(std::uint32_t));
  EXPECT_LE(t.bytes_per_peer(), sizeof(Peer) + 6 * sizeof(std::uint32_t));
}

TEST(PeerTable, HashIsKeyedAndShardOfIsStable) {
  EXPECT_NE(PeerTable::hash(addr(1), 1), PeerTable::hash(addr(1), 2));
  EXPECT_EQ(PeerTable::hash(addr(1), 1), PeerTable::hash(addr(1), 1));
  std::set<std::size_t> shards;
  for (std::uint32_t i = 0; i < 64; ++i) {
    const std::size_t s = PeerTable::shard_of(addr(i), 4, 99);
    EXPECT_LT(s, 4u);
    EXPECT_EQ(s, PeerTable::shard_of(addr(i), 4, 99));
    shards.insert(s);
  }
  EXPECT_EQ(shards.size(), 4u);
  EXPECT_EQ(PeerTable::shard_of(addr(1), 1, 99), 0u);
}

}  // namespace
}  // namespace shipworm::core
