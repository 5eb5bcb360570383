// The "list of recent peers" of RFC 4380 §5.2, kept identically by clients and relays
// (§5.4: "identical to the list of peers maintained by Teredo clients"; the trusted state of
// §5.2.3 to §5.2.9 and the queues of §5.2.4 and §5.4.1). PeerTable is a container with the RFC's
// per-peer fields and the bookkeeping both engines need; the *policy* (when to trust, when to
// bubble, what a deadline means) belongs to the engine that owns the table (RelayEngine,
// ClientEngine).
//
// Memory is fixed at construction; nothing is allocated per packet or per peer afterwards
// (docs/architecture.md, "PeerTable memory"):
//
//   entries_   a slab of `capacity` Peer records (PeerId = index). Free records form a list
//              through Peer::next_.
//   index_     open addressing, linear probing, power-of-two size >= 2 x capacity (load
//              <= 0.5), slots hold PeerId + 1 (0 = empty). The hash is keyed with a secret
//              (config.hash_key, from the CSPRNG) so that remote parties cannot choose
//              colliding addresses; deletion is by backward shift (no tombstones).
//   LRU        two intrusive doubly linked lists through Peer::prev_/next_: one of trusted
//              peers and one of untrusted ones. A new entry at capacity evicts the least
//              recently used *untrusted* peer first, and untrusted entries are capped at
//              `max_untrusted`, so a flood of bubbles or of packets towards fake Teredo
//              addresses (which only ever creates untrusted entries) cannot push out peers
//              that proved their mapping (RFC 4380 §7.3.3 cache trashing).
//   deadlines  an indexed binary min-heap of PeerIds ordered by Peer::deadline (one timer
//              per peer, meaning chosen by the engine: bubble retry, ping retry, hold-down).
//              next_deadline() is O(1), set/clear O(log n).
//   queues     packets awaiting trust (§5.2.4, §5.4.1) live in one pre-allocated pool of
//              kChunkSize-byte chunks. A peer's queue is a chain of chunks in which records
//              [u32 length][packet] are packed back to back (a record may straddle chunks);
//              chunks are returned to the pool as soon as they have been read. Limits: the
//              packet bytes queued for one peer (queue_bytes_per_peer) and the pool itself
//              (queue_bytes_total, rounded up to whole chunks, record headers included).
//
// RFC 6081 per-peer state (§5.2.1 Nonce Sent and Nonce Received) lives in a parallel array
// that exists only when config.rfc6081_state is set (clients, and relays with RFC 6081
// nonces: RelayEngineConfig::random), so that a table without it does not pay.
//
// Local client discovery (RFC 4380 §5.2.8: a peer's local address and port, the time of its
// last discovery bubble) is not implemented, so a Peer has no fields for it.
//
// Sharding: a table belongs to one thread. To spread a relay across workers, run one engine
// (and table) per worker and dispatch each packet by shard_of() of the peer's IPv6 address
// (the IPv6 source of a datagram from a client, the IPv6 destination of a packet from the
// native side): all state of one peer then lives in one shard and the engine code does not
// change.
//
// PeerIds are stable while the entry lives; after remove() or an eviction the id may be
// reused, so engines keep ids only within one call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/time.h"
#include "wire/bytes.h"
#include "wire/constants.h"
#include "wire/ip_address.h"
#include "wire/nonce.h"

namespace shipworm::core {

using PeerId = std::uint32_t;
inline constexpr PeerId kNoPeer = std::numeric_limits<PeerId>::max();

// RFC 6081 §5.2.1 per-peer fields of Symmetric NAT Support. Empty = unset. The per-peer state
// of the other RFC 6081 extensions (§5.3.1 to §5.7.1: Symmetric Peer flag, Random Ports, Echo
// Test nonces, Alternate Addresses, Solicitations) belongs to features not implemented; add
// it here with the code that reads it.
struct Rfc6081PeerState {
  wire::Nonce32 nonce_sent;      // nonce of the last indirect bubble sent
  wire::Nonce32 nonce_received;  // nonce of the last indirect bubble received
};

// One entry of the list of recent peers (RFC 4380 §5.2). Protocol fields are public and
// owned by the engine; the table's own links are private.
struct Peer {
  wire::Ipv6Address address;  // the key
  wire::Endpoint mapping;     // mapped IPv4 and port to send to (§5.2: "mapped IPv4 and port")
  TimePoint last_rx{};        // last reception from this peer (§5.2.4 validity: < 30 s)
  TimePoint last_tx{};        // last transmission to this peer (§5.2.6: bubble spacing)
  TimePoint bubble_window_start{};   // first bubble counted in `bubbles` (§5.2.6)
  TimePoint deadline = kNoDeadline;  // engine timer; use PeerTable::set_deadline()
  TimePoint last_used{};             // LRU recency; use PeerTable::touch()
  std::array<std::uint8_t, wire::kNonceSize> ping_nonce{};  // §5.2.9 direct connectivity test
  std::uint8_t bubbles = 0;   // bubbles sent since the last direct reply, in the window
  std::uint8_t attempts = 0;  // engine-defined retry counter (bubble or ping repetitions)

  // Trusted status (§5.2, §5.2.3): read here, change through PeerTable::set_trusted().
  [[nodiscard]] bool trusted() const { return trusted_; }
  // §5.2.4: usable for sending only while the last reception is recent.
  [[nodiscard]] bool valid(TimePoint now) const { return now - last_rx < wire::kPeerValidity; }
  [[nodiscard]] std::uint32_t queued_bytes() const { return q_bytes_; }
  [[nodiscard]] std::uint16_t queued_packets() const { return q_packets_; }
  // The engine's sub-state of this peer: a one-byte enum class the engine defines
  // (ClientEngine::PeerState, RelayEngine::PeerState), its first enumerator on creation.
  template <class State>
  [[nodiscard]] State state() const {
    static_assert(std::is_enum_v<State> && sizeof(State) == sizeof(state_));
    return static_cast<State>(state_);
  }
  template <class State>
  void set_state(State s) {
    static_assert(std::is_enum_v<State> && sizeof(State) == sizeof(state_));
    state_ = static_cast<std::uint8_t>(s);
  }

 private:
  friend class PeerTable;
  std::uint8_t state_ = 0;  // see state()
  bool trusted_ = false;
  bool in_use_ = false;
  std::uint16_t q_packets_ = 0;
  std::uint16_t q_head_off_ = 0;    // read offset in the head chunk
  std::uint16_t q_tail_off_ = 0;    // write offset in the tail chunk
  std::uint32_t q_bytes_ = 0;       // packet bytes queued (record headers not counted)
  std::uint32_t q_head_ = kNoPeer;  // chunk indices
  std::uint32_t q_tail_ = kNoPeer;
  PeerId prev_ = kNoPeer;  // LRU links (free list uses next_)
  PeerId next_ = kNoPeer;
  std::uint32_t heap_pos_ = kNoPeer;
};

struct PeerTableConfig {
  std::size_t capacity = 65536;  // entries; the table never holds more
  // Cap on untrusted entries; 0 means capacity / 2 (at least 1).
  std::size_t max_untrusted = 0;
  std::size_t queue_bytes_per_peer = 4096;  // Miredo keeps 1280
  std::size_t queue_bytes_total = std::size_t{4} << 20;
  bool rfc6081_state = false;  // allocate the Rfc6081PeerState array (clients)
  std::uint64_t hash_key = 0;  // secret, from the CSPRNG in the daemon
};

enum class EnqueueResult : std::uint8_t {
  kQueued,
  kPeerFull,   // would exceed queue_bytes_per_peer (or the packet alone is larger)
  kTableFull,  // the shared pool has no room
};

class PeerTable {
 public:
  static constexpr std::size_t kChunkSize = 256;
  static constexpr std::size_t kRecordHeader = 4;

  explicit PeerTable(PeerTableConfig config);

  // --- lookup and life cycle ---
  [[nodiscard]] PeerId find(const wire::Ipv6Address& a) const;

  struct Insert {
    PeerId id = kNoPeer;
    bool created = false;
    // When a peer had to be evicted to make room: how many queued packets went with it.
    bool evicted = false;
    std::uint16_t evicted_queued_packets = 0;
  };
  // Returns the entry for `a`, creating it if needed. A new entry is untrusted, with
  // last_rx = last_tx = now - 30 s and no bubbles (RFC 4380 §5.2.3 case 3, §5.2.6), so the
  // first bubble is not rate-limited and the entry is not valid for sending. At capacity (or
  // at max_untrusted) the least recently used untrusted peer is evicted, else the least
  // recently used trusted one.
  Insert find_or_create(const wire::Ipv6Address& a, TimePoint now);
  // Removes the entry, its queue and its timer.
  void remove(PeerId id);

  Peer& operator[](PeerId id) { return entries_[id]; }
  const Peer& operator[](PeerId id) const { return entries_[id]; }
  // nullptr unless config.rfc6081_state.
  Rfc6081PeerState* rfc6081(PeerId id) { return rfc6081_.empty() ? nullptr : &rfc6081_[id]; }
  const Rfc6081PeerState* rfc6081(PeerId id) const {
    return rfc6081_.empty() ? nullptr : &rfc6081_[id];
  }

  // Moves the entry between the trusted and untrusted LRU lists (and touches it).
  void set_trusted(PeerId id, bool trusted, TimePoint now);
  // Marks the entry most recently used.
  void touch(PeerId id, TimePoint now);
  // Convenience: set last_rx / last_tx and touch.
  void note_rx(PeerId id, TimePoint now);
  void note_tx(PeerId id, TimePoint now);

  // --- timers (one per entry) ---
  void set_deadline(PeerId id, TimePoint when);
  void clear_deadline(PeerId id);
  // The earliest deadline, or kNoDeadline.
  [[nodiscard]] TimePoint next_deadline() const;
  // A peer whose deadline is <= now, with its deadline cleared; kNoPeer when none is due.
  PeerId pop_due(TimePoint now);

  // --- idle expiry (LRU order) ---
  // The least recently used entry of the given class, or kNoPeer.
  [[nodiscard]] PeerId least_recent(bool trusted) const { return lru_[trusted ? 1 : 0].tail; }

  // The most recently used entry of the given class matching `pred(const Peer&)`, or
  // kNoPeer: a walk of that class's LRU list, O(entries of the class). For rare lookups by
  // another key than the address, e.g. a client matching a bubble whose IPv6 source is a
  // Miredo link-local address to the pending peer by its mapping.
  template <class Pred>
  [[nodiscard]] PeerId find_if(bool trusted, Pred&& pred) const {
    for (PeerId id = lru_[trusted ? 1 : 0].head; id != kNoPeer; id = entries_[id].next_) {
      if (pred(entries_[id])) return id;
    }
    return kNoPeer;
  }

  // --- queue of packets awaiting trust ---
  EnqueueResult enqueue(PeerId id, wire::Bytes packet);
  // Copies the oldest queued packet into `out` (which must hold queue_bytes_per_peer bytes)
  // and returns it; an empty span when the queue is empty.
  wire::Bytes dequeue(PeerId id, wire::MutableBytes out);
  // Copies up to out.size() bytes of the oldest queued packet without removing it (an
  // engine reads the IPv6 header this way); empty when the queue is empty.
  wire::Bytes peek(PeerId id, wire::MutableBytes out) const;
  // Drops the queue; returns the number of packets dropped.
  std::uint16_t drop_queue(PeerId id);

  // --- figures ---
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return entries_.size(); }
  [[nodiscard]] std::size_t trusted_count() const { return lru_[1].count; }
  [[nodiscard]] std::size_t untrusted_count() const { return lru_[0].count; }
  [[nodiscard]] std::size_t max_untrusted() const { return max_untrusted_; }
  [[nodiscard]] std::uint64_t evictions() const { return evictions_; }
  [[nodiscard]] std::size_t queued_bytes_total() const { return queued_bytes_; }
  [[nodiscard]] std::size_t free_queue_chunks() const { return free_chunks_; }
  [[nodiscard]] const PeerTableConfig& config() const { return config_; }
  // Bytes of table memory per peer entry (entry + index slots + heap slot + the RFC 6081
  // record when enabled), queue pool excluded: the figure the benchmark prints.
  [[nodiscard]] std::size_t bytes_per_peer() const;
  // All memory held by the table (fixed at construction).
  [[nodiscard]] std::size_t memory_bytes() const;

  // Keyed hash of an address; shard_of() picks a worker for the address.
  static std::uint64_t hash(const wire::Ipv6Address& a, std::uint64_t key);
  static std::size_t shard_of(const wire::Ipv6Address& a, std::size_t shards, std::uint64_t key) {
    return shards <= 1 ? 0 : static_cast<std::size_t>(hash(a, key ^ 0x5348415244ULL) % shards);
  }

 private:
  struct List {
    PeerId head = kNoPeer;  // most recent
    PeerId tail = kNoPeer;  // least recent
    std::size_t count = 0;
  };
  void list_push_front(PeerId id);
  void list_unlink(PeerId id);
  PeerId evict_one(bool prefer_untrusted);
  std::size_t slot_of(const wire::Ipv6Address& a) const;
  void index_erase(PeerId id);
  void heap_up(std::size_t pos);
  void heap_down(std::size_t pos);
  void heap_remove(PeerId id);
  void heap_swap(std::size_t a, std::size_t b);
  std::uint32_t chunk_alloc();
  void chunk_free(std::uint32_t c);

  PeerTableConfig config_;
  std::size_t max_untrusted_;
  std::vector<Peer> entries_;
  std::vector<Rfc6081PeerState> rfc6081_;
  std::vector<std::uint32_t> index_;
  std::size_t index_mask_;
  std::vector<PeerId> heap_;
  std::size_t heap_size_ = 0;
  std::array<List, 2> lru_{};  // [0] untrusted, [1] trusted
  PeerId free_head_ = kNoPeer;
  std::size_t size_ = 0;
  std::uint64_t evictions_ = 0;
  // queue pool
  std::vector<std::uint8_t> chunk_data_;
  std::vector<std::uint32_t> chunk_next_;
  std::uint32_t free_chunk_head_ = kNoPeer;
  std::size_t free_chunks_ = 0;
  std::size_t queued_bytes_ = 0;
};

}  // namespace shipworm::core
