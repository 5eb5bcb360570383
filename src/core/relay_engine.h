// The Teredo relay (RFC 4380 §5.4, RFC 5991 §3.2) and the host-specific relay (the "minimal
// Teredo relay" of §5.4, "host-based relay" of §8.2), sans-I/O. Two entry points carry packets in:
//
//   on_udp  a datagram from a Teredo client on the relay's service port  (§5.4.2)
//   on_tun  an IPv6 packet from the native side bound for 2001::/32      (§5.4.1)
//
// and on_timer() runs bubble retries, hold-downs and idle expiry; next_deadline() says when
// it is next needed. Everything the engine does goes out through the ActionSink. It never
// reads a clock, never allocates after construction (the PeerTable and scratch buffers are
// sized up front), and counts every packet it drops under a named reason.
//
// Host-specific mode (config.host_specific) is the same engine with the served range set to
// the host's own addresses: the host routes 2001::/32 to its Teredo interface for its own
// traffic only (§5.4 "a minimal Teredo relay may serve just a local host"), is not an IPv6
// router (no hop-limit decrement), and talks to clients with its native address as source.
//
// Sharding: see peer_table.h. A packet belongs to the shard of its Teredo peer: the IPv6
// source of an on_udp datagram, the IPv6 destination of an on_tun packet.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/actions.h"
#include "core/client_random.h"
#include "core/peer_table.h"
#include "core/rate_limiter.h"
#include "core/time.h"
#include "wire/bytes.h"
#include "wire/constants.h"
#include "wire/drop_reason.h"
#include "wire/ip_address.h"
#include "wire/ipv6_packet.h"
#include "wire/teredo_address.h"
#include "wire/trailers.h"

namespace shipworm::core {

// Why the relay dropped a packet, beyond the codec reasons of wire::DropReason.
#define SHIPWORM_RELAY_DROP_REASONS(X)                                                          \
  /* from clients (on_udp), RFC 4380 §5.4.2 and RFC 6324 §3.3 */                              \
  X(kLoopFromOwnAddress, "loop_from_own_address")         /* RFC 6324 §3.3 */                  \
  X(kSourceNotGlobal, "ipv4_source_not_global")           /* §5.2.4 */                         \
  X(kSourceNotTeredo, "ipv6_source_not_teredo")           /* §5.4.2 */                         \
  X(kTeredoSourceMismatch, "teredo_source_mismatch")      /* §5.4.2: spoofing */               \
  X(kUnknownPeer, "unknown_peer")                         /* §5.4.2 "may" */                   \
  X(kLoopTeredoDestination, "loop_teredo_destination")    /* RFC 6324 §3.3 */                  \
  X(kDestinationNotGlobal, "ipv6_destination_not_global") /* RFC 4291 scope */                  \
  X(kDestinationNotServed, "destination_not_served")      /* §5.4.2 */                         \
  /* from the native side (on_tun), RFC 4380 §5.4.1 and RFC 6324 §3.3 */                      \
  X(kDestinationNotTeredo, "destination_not_teredo")                 /* §5.4.1 */              \
  X(kDestinationIpv4NotGlobal, "teredo_destination_ipv4_not_global") /* §5.4.1 MUST */         \
  X(kServerIpv4NotGlobal, "teredo_server_ipv4_not_global")       /* RFC 6324 §3.3 [derived] */ \
  X(kLoopOwnIpv4Destination, "loop_destination_embeds_own_ipv4") /* RFC 6324 §3.3 */           \
  X(kLoopOwnIpv4Source, "loop_source_embeds_own_ipv4")   /* RFC 6324 §3.3 (6to4, ISATAP) */    \
  X(kLoopTeredoSource, "loop_teredo_source_from_native") /* RFC 6324 §3.3 */                   \
  X(kSourceNotGlobal6, "ipv6_source_not_global")         /* RFC 4291 scope */                   \
  X(kSourceNotServed, "source_not_served")               /* §7.3.5, host-specific */           \
  X(kPeerUnreachable, "peer_unreachable")                /* §5.4.1 hold-down */                \
  X(kQueueFullPeer, "queue_full_peer")                   /* §5.4.1 queue limit */              \
  X(kQueueFullTotal, "queue_full_total")                 /* §5.4.1 queue limit */              \
  X(kQueueDroppedUnreachable, "queued_dropped_peer_unreachable") /* §5.4.1: with entry */      \
  X(kQueueDroppedEvicted, "queued_dropped_peer_evicted")         /* LRU eviction */             \
  /* both directions */                                                                         \
  X(kHopLimitExceeded, "hop_limit_exceeded") /* RFC 8200 §3 */

enum class RelayDrop : std::uint8_t {
#define SHIPWORM_X(name, text) name,
  SHIPWORM_RELAY_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      kCount
};
std::string_view to_string(RelayDrop d);

struct RelayCounters {
  std::uint64_t udp_packets_in = 0;  // datagrams from clients
  std::uint64_t udp_bytes_in = 0;
  std::uint64_t tun_packets_in = 0;  // packets from the native side
  std::uint64_t tun_bytes_in = 0;
  std::uint64_t to_clients_packets = 0;  // data sent over UDP (direct or dequeued)
  std::uint64_t to_clients_bytes = 0;
  std::uint64_t to_native_packets = 0;  // data written to the native side
  std::uint64_t to_native_bytes = 0;
  std::uint64_t bubbles_received = 0;
  std::uint64_t bubbles_sent_indirect = 0;  // via the client's server (§5.4.1 case 3)
  std::uint64_t bubbles_sent_direct = 0;    // to the client's mapping (non-cone relay)
  std::uint64_t bubble_replies_sent = 0;    // answers to a client's bubble
  // Direct bubbles from a UDP source other than the embedded mapping, accepted because they
  // echoed our Nonce Sent (RFC 6081 §5.2: clients behind a symmetric NAT).
  std::uint64_t bubbles_nonce_accepted = 0;
  std::uint64_t packets_queued = 0;
  std::uint64_t packets_dequeued = 0;
  std::uint64_t peers_created = 0;
  std::uint64_t peers_trusted = 0;      // transitions to trusted
  std::uint64_t peers_unreachable = 0;  // bubble exchanges that failed (§5.4.1)
  std::uint64_t peers_expired = 0;      // idle or end of hold-down
  std::uint64_t peers_evicted = 0;      // LRU at capacity
  std::uint64_t icmp_unreachable_sent = 0;
  std::uint64_t icmp_time_exceeded_sent = 0;
  std::uint64_t icmp_rate_limited = 0;  // errors not sent (RFC 4443 §2.4(f))
  std::array<std::uint64_t, static_cast<std::size_t>(wire::DropReason::kCount)> malformed{};
  std::array<std::uint64_t, static_cast<std::size_t>(RelayDrop::kCount)> dropped{};

  [[nodiscard]] std::uint64_t total_dropped() const;
};

struct Ipv6Prefix {
  wire::Ipv6Address address;
  std::uint8_t length = 128;
  [[nodiscard]] bool contains(const wire::Ipv6Address& a) const;
};

// What to do with a valid packet (Teredo source matching its UDP source) from a client the
// relay has no entry for (RFC 4380 §5.4.2: it "may" be dropped).
enum class UnknownPeerPolicy : std::uint8_t {
  kDrop,     // Miredo's behaviour: only clients the relay sent to first
  kForward,  // forward it, create no state (a spoofed flood cannot fill the table)
  kTrust,    // forward it and create a trusted entry (the client rule of §5.2.3 case 3)
};

struct RelayEngineConfig {
  bool host_specific = false;
  // Miredo's `RelayType restricted`: the relay is behind a non-cone NAT and also sends a
  // direct bubble to the client's mapping (§5.4.1 case 3).
  bool behind_restricted_nat = false;
  // RFC 5991 §3.2: relays SHOULD ignore the cone bit (always case 3). true restores the
  // RFC 4380 §5.4.1 case 2 (send straight to a C = 1 destination).
  bool honour_cone_bit = false;
  std::uint32_t prefix = wire::kTeredoPrefix;
  // The relay's own IPv4 addresses (local ones and its public mapping), for the loop checks
  // of RFC 6324 §3.3 applied to Teredo.
  std::vector<wire::Ipv4Address> own_ipv4;
  // Native addresses served (§5.4.2). Empty: everything outside the Teredo prefix (a routed
  // relay). Host-specific mode requires the host's own addresses here.
  std::vector<Ipv6Prefix> served;
  // Source of the relay's bubbles and ICMPv6 errors. Unset: a bubble carries the source of
  // the packet that caused it (for a host-specific relay, the host's own address) and an
  // error the address of the unreachable or expiring packet's destination.
  std::optional<wire::Ipv6Address> relay_address;
  UnknownPeerPolicy unknown_peers = UnknownPeerPolicy::kForward;
  // Act as an IPv6 router: decrement the hop limit, drop at 0 with Time Exceeded
  // (RFC 8200 §3, RFC 4443 §3.3; it ends any routing loop). Ignored (off) in host-specific
  // mode.
  bool decrement_hop_limit = true;
  // Entries with no traffic either way for this long are removed (minimum 4 s).
  Duration peer_idle_timeout = std::chrono::seconds(120);
  // After a failed bubble exchange the entry is kept this long after its first bubble, and
  // packets to it are answered at once with "address unreachable", so that no more than 4
  // bubbles go to a silent peer per 300 s (RFC 4380 §5.2.6). Zero removes it at once.
  Duration failed_holddown = wire::kBubbleWindow;
  PeerTableConfig table;
  TokenBucketConfig icmp_limit{50, 100};         // all ICMPv6 errors (RFC 4443 §2.4(f))
  TokenBucketConfig bubble_reply_limit{0.5, 1};  // per unknown client: one answer per 2 s
  std::size_t rate_limit_slots = 4096;
  std::uint64_t hash_key = 0;  // from the CSPRNG in the daemon
  // RFC 6081 §5.2 Symmetric NAT Support with the relay as the client's peer: every indirect bubble
  // carries a fresh random 4-byte Nonce Trailer, kept as the peer's Nonce Sent (PeerTable's RFC
  // 6081 state is then allocated), and a direct bubble whose UDP source differs from the embedded
  // mapping is accepted only if it echoes it; the peer's mapping becomes the observed source.
  // nullptr: no nonces, RFC 4380 §5.4.2 only (a client behind a symmetric NAT then cannot answer
  // our bubbles). Not owned.
  RandomSource* random = nullptr;
};

// Hop limit of the relay's bubbles (unspecified by RFC 4380 §2.8; Miredo uses 0, servers
// forward either).
inline constexpr std::uint8_t kRelayBubbleHopLimit = 255;

class RelayEngine {
 public:
  // Throws std::invalid_argument for a host-specific relay without served addresses.
  explicit RelayEngine(RelayEngineConfig config);

  void on_udp(TimePoint now, const wire::Endpoint& from, wire::Bytes payload, ActionSink& out);
  void on_tun(TimePoint now, wire::Bytes ipv6_packet, ActionSink& out);
  // The same, on a buffer the engine may modify: the hop limit is decremented in place and a
  // forwarded packet reaches the sink (write_tun / send_udp) as a span of the caller's own
  // buffer instead of a copy in the engine's scratch space, so a daemon that reads into its
  // send slots forwards with no copy at all (the sink can recognise its slot by address).
  // Everything else (bubbles, errors, dequeued packets) comes from engine buffers as usual.
  void on_udp_inplace(TimePoint now, const wire::Endpoint& from, wire::MutableBytes payload,
                      ActionSink& out);
  void on_tun_inplace(TimePoint now, wire::MutableBytes ipv6_packet, ActionSink& out);
  void on_timer(TimePoint now, ActionSink& out);
  // When on_timer() is next needed; kNoDeadline when nothing is pending.
  [[nodiscard]] TimePoint next_deadline() const;

  // The host's addresses changed (netlink): replace the served range.
  void set_served(std::vector<Ipv6Prefix> served);

  [[nodiscard]] const RelayCounters& counters() const { return counters_; }
  void restore_counters(const RelayCounters& c) { counters_ = c; }
  [[nodiscard]] const PeerTable& peers() const { return table_; }
  [[nodiscard]] const RelayEngineConfig& config() const { return config_; }

  // A peer's sub-state (Peer::state<PeerState>()).
  enum class PeerState : std::uint8_t {
    kIdle,     // no bubble exchange running
    kPending,  // bubbling; packets queued until the client answers (§5.4.1 case 3)
    kFailed,   // the exchange failed: hold-down, packets answered "unreachable"
  };

 private:
  void drop(RelayDrop d) { ++counters_.dropped[static_cast<std::size_t>(d)]; }
  void drop(wire::DropReason r) { ++counters_.malformed[static_cast<std::size_t>(r)]; }

  void send_to_client(TimePoint now, const wire::Ipv6View& ip, const wire::TeredoAddress& dst,
                      wire::Bytes packet, ActionSink& out);
  // `writable`: the packet's own bytes, modifiable (in-place entry points), else nullptr.
  void udp_in(TimePoint now, const wire::Endpoint& from, wire::Bytes payload,
              std::uint8_t* writable, ActionSink& out);
  void tun_in(TimePoint now, wire::Bytes ipv6_packet, std::uint8_t* writable, ActionSink& out);
  void forward_native(TimePoint now, const wire::Ipv6View& ip, const wire::Endpoint& from,
                      std::uint8_t* writable, ActionSink& out);
  void trust(TimePoint now, PeerId id, const wire::Endpoint& from, ActionSink& out);
  // RFC 6081 §5.2.3: a direct bubble from `from`, which is not the
  // embedded mapping, that echoes the Nonce Sent of an existing peer.
  [[nodiscard]] bool echoes_nonce_sent(PeerId id, const wire::Trailers* trailers) const;
  void answer_bubble(TimePoint now, PeerId id, const wire::Ipv6View& ip, const wire::Endpoint& from,
                     ActionSink& out);
  void try_bubble(TimePoint now, PeerId id, const wire::Ipv6Address* source, ActionSink& out);
  void fail(TimePoint now, PeerId id, ActionSink& out);
  void note_created(const PeerTable::Insert& ins);
  // ICMPv6 errors, rate-limited. to_udp: send to that client endpoint instead of the tun.
  void send_icmp_error(TimePoint now, const wire::Ipv6View& invoking, std::uint8_t type,
                       std::uint8_t code, const wire::Endpoint* to_udp, ActionSink& out);

  [[nodiscard]] bool is_own(wire::Ipv4Address a) const;
  [[nodiscard]] bool embeds_own_ipv4(const wire::Ipv6Address& a) const;
  [[nodiscard]] bool is_served(const wire::Ipv6Address& a) const;
  [[nodiscard]] bool router() const {
    return !config_.host_specific && config_.decrement_hop_limit;
  }

  RelayEngineConfig config_;
  PeerTable table_;
  RateLimiter icmp_limiter_;
  RateLimiter bubble_reply_limiter_;
  RelayCounters counters_;
  std::vector<std::uint8_t> packet_buf_;  // forwarded packet with its hop limit decremented
  std::vector<std::uint8_t> queue_buf_;   // a packet taken off a queue
  std::vector<std::uint8_t> ctrl_buf_;    // bubbles and ICMPv6 errors
};

}  // namespace shipworm::core
