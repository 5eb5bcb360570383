#include "core/peer_table.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace shipworm::core {
namespace {

// splitmix64's finaliser (a bijection), as in rate_limiter.cpp.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t load_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

std::size_t index_size_for(std::size_t capacity) {
  std::size_t n = 8;
  while (n < capacity * 2) n <<= 1;
  return n;
}

}  // namespace

std::uint64_t PeerTable::hash(const wire::Ipv6Address& a, std::uint64_t key) {
  const std::uint64_t hi = load_u64(a.bytes.data());
  const std::uint64_t lo = load_u64(a.bytes.data() + 8);
  const std::uint64_t h = mix(lo ^ key);
  return mix(h ^ hi ^ ((key << 32) | (key >> 32)) ^ 0x9e3779b97f4a7c15ULL);
}

PeerTable::PeerTable(PeerTableConfig config)
    : config_(config),
      max_untrusted_(config.max_untrusted != 0
                         ? std::min(config.max_untrusted, std::max<std::size_t>(config.capacity, 1))
                         : std::max<std::size_t>(config.capacity / 2, 1)),
      entries_(std::max<std::size_t>(config.capacity, 1)),
      index_(index_size_for(entries_.size()), 0),
      index_mask_(index_.size() - 1),
      heap_(entries_.size(), kNoPeer) {
  assert(entries_.size() < kNoPeer);
  if (config_.rfc6081_state) rfc6081_.resize(entries_.size());
  for (std::size_t i = entries_.size(); i-- > 0;) {
    entries_[i].next_ = free_head_;
    free_head_ = static_cast<PeerId>(i);
  }
  const std::size_t chunks = (config_.queue_bytes_total + kChunkSize - 1) / kChunkSize;
  chunk_data_.resize(chunks * kChunkSize);
  chunk_next_.resize(chunks, kNoPeer);
  for (std::size_t i = chunks; i-- > 0;) chunk_free(static_cast<std::uint32_t>(i));
}

// --- index ---

std::size_t PeerTable::slot_of(const wire::Ipv6Address& a) const {
  std::size_t s = static_cast<std::size_t>(hash(a, config_.hash_key)) & index_mask_;
  while (index_[s] != 0 && entries_[index_[s] - 1].address != a) s = (s + 1) & index_mask_;
  return s;
}

PeerId PeerTable::find(const wire::Ipv6Address& a) const {
  const std::uint32_t v = index_[slot_of(a)];
  return v == 0 ? kNoPeer : v - 1;
}

void PeerTable::index_erase(PeerId id) {
  std::size_t i = slot_of(entries_[id].address);
  assert(index_[i] == id + 1);
  // Backward-shift deletion: move later members of the probe run into the hole when their
  // home slot does not lie cyclically in (i, j].
  std::size_t j = i;
  for (;;) {
    j = (j + 1) & index_mask_;
    if (index_[j] == 0) break;
    const std::size_t home =
        static_cast<std::size_t>(hash(entries_[index_[j] - 1].address, config_.hash_key)) &
        index_mask_;
    const bool between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!between) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = 0;
}

// --- LRU lists ---

void PeerTable::list_push_front(PeerId id) {
  Peer& p = entries_[id];
  List& l = lru_[p.trusted_ ? 1 : 0];
  p.prev_ = kNoPeer;
  p.next_ = l.head;
  if (l.head != kNoPeer) entries_[l.head].prev_ = id;
  l.head = id;
  if (l.tail == kNoPeer) l.tail = id;
  ++l.count;
}

void PeerTable::list_unlink(PeerId id) {
  Peer& p = entries_[id];
  List& l = lru_[p.trusted_ ? 1 : 0];
  if (p.prev_ != kNoPeer) {
    entries_[p.prev_].next_ = p.next_;
  } else {
    l.head = p.next_;
  }
  if (p.next_ != kNoPeer) {
    entries_[p.next_].prev_ = p.prev_;
  } else {
    l.tail = p.prev_;
  }
  p.prev_ = p.next_ = kNoPeer;
  --l.count;
}

void PeerTable::touch(PeerId id, TimePoint now) {
  Peer& p = entries_[id];
  p.last_used = now;
  if (lru_[p.trusted_ ? 1 : 0].head == id) return;
  list_unlink(id);
  list_push_front(id);
}

void PeerTable::note_rx(PeerId id, TimePoint now) {
  entries_[id].last_rx = now;
  touch(id, now);
}

void PeerTable::note_tx(PeerId id, TimePoint now) {
  entries_[id].last_tx = now;
  touch(id, now);
}

void PeerTable::set_trusted(PeerId id, bool trusted, TimePoint now) {
  Peer& p = entries_[id];
  if (p.trusted_ != trusted) {
    list_unlink(id);
    p.trusted_ = trusted;
    list_push_front(id);
  }
  touch(id, now);
}

// --- life cycle ---

PeerId PeerTable::evict_one(bool prefer_untrusted) {
  PeerId victim = prefer_untrusted ? lru_[0].tail : kNoPeer;
  if (victim == kNoPeer) victim = lru_[0].tail != kNoPeer ? lru_[0].tail : lru_[1].tail;
  assert(victim != kNoPeer);
  ++evictions_;
  return victim;
}

PeerTable::Insert PeerTable::find_or_create(const wire::Ipv6Address& a, TimePoint now) {
  Insert r;
  const std::size_t s = slot_of(a);
  if (index_[s] != 0) {
    r.id = index_[s] - 1;
    return r;
  }
  if (lru_[0].count >= max_untrusted_ || size_ == entries_.size()) {
    const PeerId victim = evict_one(true);
    r.evicted = true;
    r.evicted_queued_packets = entries_[victim].q_packets_;
    remove(victim);
  }
  const PeerId id = free_head_;
  assert(id != kNoPeer);
  free_head_ = entries_[id].next_;
  Peer& p = entries_[id];
  p = Peer{};
  p.address = a;
  p.in_use_ = true;
  p.last_rx = now - wire::kPeerValidity;
  p.last_tx = now - wire::kPeerValidity;
  p.last_used = now;
  list_push_front(id);
  ++size_;
  if (!rfc6081_.empty()) rfc6081_[id] = Rfc6081PeerState{};
  // The eviction above may have shifted the probe run; look the slot up again.
  index_[slot_of(a)] = id + 1;
  r.id = id;
  r.created = true;
  return r;
}

void PeerTable::remove(PeerId id) {
  Peer& p = entries_[id];
  assert(p.in_use_);
  drop_queue(id);
  heap_remove(id);
  index_erase(id);
  list_unlink(id);
  p.in_use_ = false;
  p.trusted_ = false;
  p.next_ = free_head_;
  free_head_ = id;
  --size_;
}

// --- deadlines: indexed binary min-heap ---

void PeerTable::heap_swap(std::size_t a, std::size_t b) {
  std::swap(heap_[a], heap_[b]);
  entries_[heap_[a]].heap_pos_ = static_cast<std::uint32_t>(a);
  entries_[heap_[b]].heap_pos_ = static_cast<std::uint32_t>(b);
}

void PeerTable::heap_up(std::size_t pos) {
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (entries_[heap_[parent]].deadline <= entries_[heap_[pos]].deadline) break;
    heap_swap(parent, pos);
    pos = parent;
  }
}

void PeerTable::heap_down(std::size_t pos) {
  for (;;) {
    const std::size_t l = 2 * pos + 1;
    const std::size_t r = l + 1;
    std::size_t m = pos;
    if (l < heap_size_ && entries_[heap_[l]].deadline < entries_[heap_[m]].deadline) m = l;
    if (r < heap_size_ && entries_[heap_[r]].deadline < entries_[heap_[m]].deadline) m = r;
    if (m == pos) return;
    heap_swap(pos, m);
    pos = m;
  }
}

void PeerTable::heap_remove(PeerId id) {
  Peer& p = entries_[id];
  if (p.heap_pos_ == kNoPeer) return;
  const std::size_t pos = p.heap_pos_;
  --heap_size_;
  if (pos != heap_size_) {
    heap_swap(pos, heap_size_);
    heap_down(pos);
    heap_up(pos);
  }
  p.heap_pos_ = kNoPeer;
  p.deadline = kNoDeadline;
}

void PeerTable::set_deadline(PeerId id, TimePoint when) {
  Peer& p = entries_[id];
  if (when == kNoDeadline) {
    heap_remove(id);
    return;
  }
  p.deadline = when;
  if (p.heap_pos_ == kNoPeer) {
    p.heap_pos_ = static_cast<std::uint32_t>(heap_size_);
    heap_[heap_size_++] = id;
  }
  heap_down(p.heap_pos_);
  heap_up(p.heap_pos_);
}

void PeerTable::clear_deadline(PeerId id) { heap_remove(id); }

TimePoint PeerTable::next_deadline() const {
  return heap_size_ == 0 ? kNoDeadline : entries_[heap_[0]].deadline;
}

PeerId PeerTable::pop_due(TimePoint now) {
  if (heap_size_ == 0 || entries_[heap_[0]].deadline > now) return kNoPeer;
  const PeerId id = heap_[0];
  heap_remove(id);
  return id;
}

// --- queue pool ---

std::uint32_t PeerTable::chunk_alloc() {
  const std::uint32_t c = free_chunk_head_;
  assert(c != kNoPeer);
  free_chunk_head_ = chunk_next_[c];
  chunk_next_[c] = kNoPeer;
  --free_chunks_;
  return c;
}

void PeerTable::chunk_free(std::uint32_t c) {
  chunk_next_[c] = free_chunk_head_;
  free_chunk_head_ = c;
  ++free_chunks_;
}

EnqueueResult PeerTable::enqueue(PeerId id, wire::Bytes packet) {
  Peer& p = entries_[id];
  if (packet.size() > config_.queue_bytes_per_peer ||
      p.q_bytes_ + packet.size() > config_.queue_bytes_per_peer ||
      p.q_packets_ == std::numeric_limits<std::uint16_t>::max()) {
    return EnqueueResult::kPeerFull;
  }
  const std::size_t record = kRecordHeader + packet.size();
  const std::size_t room = p.q_tail_ == kNoPeer ? 0 : kChunkSize - p.q_tail_off_;
  const std::size_t needed = record > room ? (record - room + kChunkSize - 1) / kChunkSize : 0;
  if (needed > free_chunks_) return EnqueueResult::kTableFull;

  std::array<std::uint8_t, kRecordHeader> header{};
  wire::store_u32(header, 0, static_cast<std::uint32_t>(packet.size()));
  for (wire::Bytes part : {wire::Bytes(header), packet}) {
    while (!part.empty()) {
      if (p.q_tail_ == kNoPeer || p.q_tail_off_ == kChunkSize) {
        const std::uint32_t c = chunk_alloc();
        if (p.q_tail_ == kNoPeer) {
          p.q_head_ = c;
          p.q_head_off_ = 0;
        } else {
          chunk_next_[p.q_tail_] = c;
        }
        p.q_tail_ = c;
        p.q_tail_off_ = 0;
      }
      const std::size_t take = std::min(part.size(), kChunkSize - p.q_tail_off_);
      std::memcpy(&chunk_data_[p.q_tail_ * kChunkSize + p.q_tail_off_], part.data(), take);
      p.q_tail_off_ = static_cast<std::uint16_t>(p.q_tail_off_ + take);
      part = part.subspan(take);
    }
  }
  p.q_bytes_ += static_cast<std::uint32_t>(packet.size());
  ++p.q_packets_;
  queued_bytes_ += packet.size();
  return EnqueueResult::kQueued;
}

wire::Bytes PeerTable::dequeue(PeerId id, wire::MutableBytes out) {
  Peer& p = entries_[id];
  if (p.q_packets_ == 0) return {};
  auto read = [&](std::uint8_t* dst, std::size_t n) {
    while (n > 0) {
      const std::size_t take = std::min(n, kChunkSize - p.q_head_off_);
      std::memcpy(dst, &chunk_data_[p.q_head_ * kChunkSize + p.q_head_off_], take);
      dst += take;
      n -= take;
      p.q_head_off_ = static_cast<std::uint16_t>(p.q_head_off_ + take);
      if (p.q_head_off_ == kChunkSize) {
        const std::uint32_t next = chunk_next_[p.q_head_];
        if (p.q_head_ == p.q_tail_) p.q_tail_ = kNoPeer;
        chunk_free(p.q_head_);
        p.q_head_ = next;
        p.q_head_off_ = 0;
      }
    }
  };
  std::array<std::uint8_t, kRecordHeader> header{};
  read(header.data(), header.size());
  const std::uint32_t len = wire::load_u32(header, 0);
  assert(len <= out.size());
  read(out.data(), len);
  p.q_bytes_ -= len;
  queued_bytes_ -= len;
  if (--p.q_packets_ == 0) {
    if (p.q_head_ != kNoPeer) chunk_free(p.q_head_);
    p.q_head_ = p.q_tail_ = kNoPeer;
    p.q_head_off_ = p.q_tail_off_ = 0;
  }
  return out.first(len);
}

wire::Bytes PeerTable::peek(PeerId id, wire::MutableBytes out) const {
  const Peer& p = entries_[id];
  if (p.q_packets_ == 0) return {};
  std::uint32_t chunk = p.q_head_;
  std::size_t off = p.q_head_off_;
  auto read = [&](std::uint8_t* dst, std::size_t n) {
    while (n > 0) {
      if (off == kChunkSize) {
        chunk = chunk_next_[chunk];
        off = 0;
      }
      const std::size_t take = std::min(n, kChunkSize - off);
      std::memcpy(dst, &chunk_data_[chunk * kChunkSize + off], take);
      dst += take;
      n -= take;
      off += take;
    }
  };
  std::array<std::uint8_t, kRecordHeader> header{};
  read(header.data(), header.size());
  const std::size_t n = std::min<std::size_t>(wire::load_u32(header, 0), out.size());
  read(out.data(), n);
  return out.first(n);
}

std::uint16_t PeerTable::drop_queue(PeerId id) {
  Peer& p = entries_[id];
  const std::uint16_t n = p.q_packets_;
  for (std::uint32_t c = p.q_head_; c != kNoPeer;) {
    const std::uint32_t next = chunk_next_[c];
    chunk_free(c);
    c = next;
  }
  queued_bytes_ -= p.q_bytes_;
  p.q_head_ = p.q_tail_ = kNoPeer;
  p.q_head_off_ = p.q_tail_off_ = 0;
  p.q_bytes_ = 0;
  p.q_packets_ = 0;
  return n;
}

// --- figures ---

std::size_t PeerTable::bytes_per_peer() const {
  const std::size_t fixed = entries_.size() * sizeof(Peer) +
                            rfc6081_.size() * sizeof(Rfc6081PeerState) +
                            index_.size() * sizeof(std::uint32_t) + heap_.size() * sizeof(PeerId);
  return (fixed + entries_.size() - 1) / entries_.size();
}

std::size_t PeerTable::memory_bytes() const {
  return sizeof(*this) + entries_.size() * sizeof(Peer) +
         rfc6081_.size() * sizeof(Rfc6081PeerState) + index_.size() * sizeof(std::uint32_t) +
         heap_.size() * sizeof(PeerId) + chunk_data_.size() +
         chunk_next_.size() * sizeof(std::uint32_t);
}

}  // namespace shipworm::core
