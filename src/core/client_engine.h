// The Teredo client (RFC 4380 §5.2, RFC 5991, RFC 6081 §5.2), sans-I/O: qualification and
// maintenance (qualification.h, maintenance.h) plus the data path between the Teredo UDP
// socket and the TUN device, with the list of recent peers (peer_table.h).
//
// States (RFC 4380 §5.2.1 names) and transitions, each with a cause string:
//   Initial --start()--> Starting
//   Starting --qualified--> Qualified            (address_changed: none -> address)
//   Starting --failed, next server untried--> Starting (failover, at once)
//   Starting --failed, all servers failed--> Offline (retry after a bounded backoff)
//   Offline --retry time--> Starting
//   Qualified --mapping changed--> Qualified     (address_changed: old -> new)
//   Qualified --server lost--> Starting (next server, at once; address_changed: old -> none)
//   any started state --on_network_change() / slept--> Starting (same server, at once;
//     address_changed: old -> none; every peer forgotten)
//
// Following the host (RFC 4380 §5.2.5 lets a client refresh whenever it wants), so that a
// host that moves, a NAT that reboots or a laptop that resumes has a working address again
// at once rather than at the next refresh:
//   - the daemon reports a change of the host's IPv4 path toward the server
//     (on_network_change(), damped by network_watch.h): re-qualify at once;
//   - traffic to peers unanswered for `unanswered_probe_after` (nothing at all received
//     since the first datagram sent, and something sent again at least `unanswered_resend`
//     after it, as a retransmission would be: a lone reply to the last request expects no
//     answer): an early RS; a new mapping in its RA gives the new address (kDeadMapping). An
//     RS that found the mapping unchanged holds the next one back for `early_probe_spacing`;
//   - on_timer() called more than `suspend_gap` after the engine's own deadline: the host
//     was asleep (the daemon's clock counts suspend, docs/os-linux.md) and the mapping may
//     have expired meanwhile: re-qualify (kResume).
// Any new mapping forgets the peers: their entries and trust were learned through the old
// one (and peers know us by the old address).
//
// Data path, RFC 4380 §5.2.3 (reception) and §5.2.4 (transmission):
//   on_udp: RAs go to qualification/maintenance; from the server (primary:3544) indirect
//     bubbles are answered with a direct bubble to the origin indication; from anyone else
//     the IPv6 source decides: a matching ping nonce (case 2), a trusted entry with that
//     mapping (case 1), a Teredo source whose embedded mapping is the UDP source (case 3),
//     an RFC 6081 direct bubble echoing our nonce, a Miredo-style link-local bubble (answered
//     by swapping source and destination, and trusting the pending peer with that mapping);
//     anything else is case 6: dropped, and a rate-limited ping test trusts its relay (or,
//     as an option, just dropped). Local discovery (cases 4 and 5, §5.2.8) is not implemented.
//   on_tun: trusted and valid entry -> send (case 1); native destination -> queue + ping test
//     via the server, 2 s x (1 + 3) (case 2, §5.2.9); Teredo destination -> queue + direct
//     and indirect bubbles, 2 s x (1 + 3), at most 4 per 300 s (case 5, §5.2.6; the C bit is
//     ignored per RFC 5991 §3.2 unless configured); unanswered -> ICMPv6 address unreachable
//     to the sender for each queued packet (rate-limited, RFC 4443 §2.4(f)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/client_random.h"
#include "core/client_types.h"
#include "core/maintenance.h"
#include "core/peer_table.h"
#include "core/qualification.h"
#include "core/rate_limiter.h"
#include "core/time.h"
#include "wire/bytes.h"
#include "wire/encapsulation.h"
#include "wire/ip_address.h"
#include "wire/ipv6_packet.h"
#include "wire/nonce.h"
#include "wire/teredo_address.h"

namespace shipworm::core {

// RFC 6081 §5.2 Nonce Trailers on indirect bubbles. RFC 6081 §5.2.3: every indirect bubble
// MUST carry a fresh nonce, and the simulator shows why it matters to
// a client that is *not* symmetric: a symmetric peer answers from a port we never sent to,
// and only the echoed nonce lets us accept that answer (tests/sim/connectivity_test.cpp).
// RFC 4380-only receivers ignore bytes after the IPv6 payload length (Miredo does; checked
// by the lab's client-to-Miredo tests), so kAlways is the default. kWhenSymmetric (nonces only
// behind a symmetric NAT) and kNever remain for peers that would mind. Echoing a peer's nonce
// in a direct bubble is always done (that peer understands trailers).
enum class NonceTrailerPolicy : std::uint8_t { kNever, kWhenSymmetric, kAlways };

// RFC 4380 §5.2.3 case 6: a packet from an unknown non-Teredo source (a native host that
// starts a conversation: the relay's first data packet after its bubble exchange). The RFC
// says the client MAY accept it but SHOULD first run the direct connectivity test (§5.2.9).
// CVE-2006-6266: an *unbounded* ping test per such packet makes the client send to third
// parties on command, so the test runs under one global token bucket (unsolicited_limit) and
// creates at most an untrusted peer entry (the table caps those). The packet itself is
// dropped; once the echo reply trusts the relay, the native host's retransmission gets in.
enum class UnsolicitedPolicy : std::uint8_t {
  kDrop,      // never answer a stranger: native hosts cannot start a conversation
  kPingTest,  // default: drop the packet, but run a rate-limited ping test towards its source
};

struct ClientEngineConfig {
  std::vector<ServerPair> servers;  // tried in order (failover); at least one
  QualificationConfig qualification;
  MaintenanceConfig maintenance;  // its credentials are taken from `qualification`
  RetryConfig retry;
  PeerTableConfig peers{.capacity = 1024,
                        .max_untrusted = 0,
                        .queue_bytes_per_peer = 4096,
                        .queue_bytes_total = std::size_t{256} << 10,
                        .rfc6081_state = true,
                        .hash_key = 0};
  bool honor_cone_bit = false;  // RFC 5991 §3.2: SHOULD ignore a peer's C bit (case 4)
  NonceTrailerPolicy nonce_trailers = NonceTrailerPolicy::kAlways;
  UnsolicitedPolicy unsolicited = UnsolicitedPolicy::kPingTest;
  TokenBucketConfig unsolicited_limit{1, 5};   // ping tests started by case 6, in total
  TokenBucketConfig icmp_error_limit{10, 10};  // destination unreachable, in total
  TokenBucketConfig bubble_reply_limit{1, 4};  // per source, bubbles with no peer entry
  std::uint8_t bubble_hop_limit = 255;         // unspecified by RFC 4380; Miredo sends 0
  std::uint8_t ping_hop_limit = 64;
  // Source of the ICMPv6 errors written to the TUN device: the interface's link-local
  // address (the daemon configures fe80::ffff:ffff:ffff, as Miredo's hook does).
  wire::Ipv6Address icmp_error_source = wire::client_rs_link_local(false);
  std::uint64_t hash_key = 0;  // from the CSPRNG (peer table, rate limiters)
  // Following the host (see the header comment).
  Duration unanswered_probe_after = std::chrono::seconds(2);
  Duration unanswered_resend = std::chrono::seconds(1);
  Duration early_probe_spacing = std::chrono::seconds(10);
  Duration suspend_gap = std::chrono::seconds(10);
};

class ClientEngine {
 public:
  // A peer's sub-state (Peer::state<PeerState>()).
  enum class PeerState : std::uint8_t {
    kIdle,      // no test running
    kBubbling,  // case 5: waiting for a direct packet
    kPinging,   // case 2: waiting for the echo reply
  };

  ClientEngine(ClientEngineConfig config, RandomSource& random);

  // Initial -> Starting: the first RS goes out.
  void start(TimePoint now, ActionSink& sink);
  // A UDP datagram received on the service port.
  void on_udp(TimePoint now, const wire::Endpoint& source, wire::Bytes payload, ActionSink& sink);
  // An IPv6 packet the host sent into the Teredo interface.
  void on_tun(TimePoint now, wire::Bytes ipv6_packet, ActionSink& sink);
  // The host's network changed under the client (its IPv4 path toward the server: address,
  // route or link): the address is withdrawn, the peers forgotten, and qualification starts
  // again at once with the current server. No effect before start(). `since`: when the
  // change happened, if before `now` (the recovery time in status counts from there).
  void on_network_change(TimePoint now, std::string cause, ActionSink& sink,
                         std::optional<TimePoint> since = std::nullopt);
  // Runs every timer that is due at `now`.
  void on_timer(TimePoint now, ActionSink& sink);
  // When on_timer() must next be called; kNoDeadline when nothing is scheduled.
  [[nodiscard]] TimePoint next_deadline() const;

  // --- state ---
  [[nodiscard]] ClientState state() const { return state_; }
  [[nodiscard]] TimePoint since() const { return since_; }
  [[nodiscard]] const std::string& cause() const { return cause_; }
  [[nodiscard]] std::optional<wire::TeredoAddress> address() const;
  [[nodiscard]] std::optional<wire::Endpoint> mapping() const;
  [[nodiscard]] NatType nat_type() const { return nat_; }
  [[nodiscard]] const ServerPair& server() const { return rotation_.current(); }
  [[nodiscard]] ClientStatus status() const;
  [[nodiscard]] const ClientCounters& counters() const { return counters_; }
  [[nodiscard]] const PeerTable& peers() const { return peers_; }
  [[nodiscard]] const ClientEngineConfig& config() const { return config_; }

 private:
  void transition(TimePoint now, ClientState s, std::string cause, ActionSink& sink);
  void begin_qualification(TimePoint now, std::string cause, ActionSink& sink);
  void on_qualification_step(TimePoint now, Qualification::Step step, ActionSink& sink);
  void on_maintenance_step(TimePoint now, Maintenance::Step step, ActionSink& sink);
  void withdraw_address(std::string_view cause, ActionSink& sink);
  void requalify(TimePoint now, NetworkTrigger trigger, std::string cause, ActionSink& sink,
                 TimePoint since);
  void note_network_change(TimePoint at, NetworkTrigger trigger, std::string cause);
  // Traffic to peers and its answers, for the early probe.
  void note_sent(TimePoint now) {
    if (!unanswered_since_) unanswered_since_ = now;
    last_sent_ = now;
  }
  [[nodiscard]] TimePoint probe_deadline() const;
  void maybe_probe(TimePoint now, ActionSink& sink);
  void clear_peers();
  // peers_.find_or_create(), counting the queued packets of an entry evicted to make room.
  PeerId find_or_create_peer(const wire::Ipv6Address& a, TimePoint now);

  // reception (client_receive.cpp)
  void from_server(TimePoint now, const wire::TeredoPacket& p, ActionSink& sink);
  void from_peer(TimePoint now, const wire::Endpoint& source, const wire::TeredoPacket& p,
                 ActionSink& sink);
  void link_local_bubble(TimePoint now, const wire::Endpoint& source, const wire::Ipv6View& ip,
                         ActionSink& sink);
  void deliver(const wire::Ipv6View& ip, ActionSink& sink);
  void trust(TimePoint now, PeerId id, const wire::Endpoint& mapping, ActionSink& sink);
  void unsolicited(TimePoint now, const wire::Ipv6View& ip, ActionSink& sink);

  // transmission (client_send.cpp)
  void from_tun(TimePoint now, const wire::Ipv6View& ip, ActionSink& sink);
  void send_data(TimePoint now, PeerId id, wire::Bytes packet, ActionSink& sink);
  bool enqueue(PeerId id, wire::Bytes packet);
  void send_bubble(const wire::Endpoint& to, const wire::Ipv6Address& dst,
                   std::optional<wire::Nonce32> nonce, ActionSink& sink);
  void unreachable(TimePoint now, wire::Bytes invoking, ActionSink& sink);
  wire::Nonce32 fresh_nonce32();

  // peer timers: bubbling and the ping test (client_peer_timers.cpp)
  void start_bubbling(TimePoint now, PeerId id, ActionSink& sink);
  void start_ping(TimePoint now, PeerId id, ActionSink& sink);
  void peer_timer(TimePoint now, PeerId id, ActionSink& sink);
  void note_bubble(TimePoint now, PeerId id);  // counts it (bubble_schedule.h) and notes tx
  void send_bubbles(TimePoint now, PeerId id, ActionSink& sink);
  void send_ping(TimePoint now, PeerId id, ActionSink& sink);
  void give_up(TimePoint now, PeerId id, ActionSink& sink);
  [[nodiscard]] bool own(const wire::Ipv6Address& a) const;
  [[nodiscard]] bool send_nonce_trailers() const;

  ClientEngineConfig config_;
  RandomSource& random_;
  ClientCounters counters_;
  Qualification qualification_;
  Maintenance maintenance_;
  ServerRotation rotation_;
  PeerTable peers_;
  RateLimiter unsolicited_limiter_;
  RateLimiter icmp_limiter_;
  RateLimiter bubble_reply_limiter_;

  ClientState state_ = ClientState::kInitial;
  TimePoint since_{};
  std::string cause_;
  NatType nat_ = NatType::kUnknown;
  QualificationResult qualified_;  // the last successful qualification
  wire::Ipv6Address own_{};        // the current address (valid when qualified)
  std::optional<TimePoint> retry_at_;
  std::optional<NetworkChange> change_;        // the last one, for status()
  std::optional<TimePoint> unanswered_since_;  // first send since the last datagram received
  TimePoint last_sent_{};                      // the last send
  std::optional<TimePoint> probe_from_;        // the running RS round is an early probe
  TimePoint next_probe_{};                     // early_probe_spacing after the last one

  std::vector<std::uint8_t> out_;    // scratch for one outgoing datagram; allocated once
  std::vector<std::uint8_t> queue_;  // scratch for one dequeued packet
};

}  // namespace shipworm::core
