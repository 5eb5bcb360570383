#include "core/client_engine.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <utility>

#include "wire/bubble.h"
#include "wire/icmpv6.h"
#include "wire/ipv6_packet.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

constexpr std::uint8_t kIcmpDestinationUnreachable = 1;  // RFC 4443 §3.1
constexpr std::uint8_t kCodeAddressUnreachable = 3;
constexpr std::size_t kIcmpErrorMax = 1280;  // RFC 4443 §2.4(c)
constexpr std::size_t kScratchSize = wire::kMaxUdpPayload + 64;
constexpr int kBubbleTransmissions = 1 + wire::kBubbleRetries;  // §5.2.4: repeat up to 3 times
constexpr int kPingTransmissions = 1 + wire::kBubbleRetries;    // §5.2.4 case 2, the same

std::uint64_t endpoint_key(const wire::Endpoint& e) {
  return (std::uint64_t{e.address.value} << 16) | e.port;
}

std::uint32_t load_nonce32(const std::array<std::uint8_t, 4>& n) {
  return (std::uint32_t{n[0]} << 24) | (std::uint32_t{n[1]} << 16) | (std::uint32_t{n[2]} << 8) |
         std::uint32_t{n[3]};
}

bool is_icmpv6_error(const wire::Ipv6View& ip) {
  return ip.next_header == wire::kNextHeaderIcmpv6 && ip.payload_length >= 1 &&
         ip.payload()[0] < 128;
}

MaintenanceConfig maintenance_config(const ClientEngineConfig& c) {
  MaintenanceConfig m = c.maintenance;
  m.credentials = c.qualification.credentials;
  return m;
}

}  // namespace

ClientEngine::ClientEngine(ClientEngineConfig config, RandomSource& random)
    : config_(std::move(config)),
      random_(random),
      qualification_(config_.qualification, random_, counters_),
      maintenance_(maintenance_config(config_), random_, counters_),
      rotation_(config_.servers, config_.retry, random_),
      peers_(config_.peers),
      unsolicited_limiter_(config_.unsolicited_limit, 4, config_.hash_key),
      icmp_limiter_(config_.icmp_error_limit, 4, config_.hash_key),
      bubble_reply_limiter_(config_.bubble_reply_limit, 1024, config_.hash_key ^ 0x6275626cULL),
      out_(kScratchSize),
      queue_(std::max<std::size_t>(config_.peers.queue_bytes_per_peer, 1)) {}

// --- state ------------------------------------------------------------------------------

std::optional<wire::TeredoAddress> ClientEngine::address() const {
  if (state_ != ClientState::kQualified) return std::nullopt;
  return maintenance_.address();
}

std::optional<wire::Endpoint> ClientEngine::mapping() const {
  if (state_ != ClientState::kQualified) return std::nullopt;
  return maintenance_.mapping();
}

ClientStatus ClientEngine::status() const {
  ClientStatus s;
  s.state = state_;
  s.since = since_;
  s.cause = cause_;
  s.nat = nat_;
  s.server = rotation_.current();
  s.server_index = rotation_.index();
  s.retry_at = retry_at_;
  if (state_ == ClientState::kQualified) {
    s.address = maintenance_.address();
    s.mapping = maintenance_.mapping();
    s.secondary_mapping = qualified_.secondary_mapping;
    s.port_preserving = qualified_.port_preserving;
    s.symmetric = qualified_.symmetric;
    s.last_server_rx = maintenance_.last_server_rx();
    s.refresh_interval = maintenance_.randomized_interval();
    s.mtu = maintenance_.mtu();
  }
  return s;
}

bool ClientEngine::own(const wire::Ipv6Address& a) const {
  return state_ == ClientState::kQualified && a == own_;
}

bool ClientEngine::send_nonce_trailers() const {
  switch (config_.nonce_trailers) {
    case NonceTrailerPolicy::kNever:
      return false;
    case NonceTrailerPolicy::kAlways:
      return true;
    case NonceTrailerPolicy::kWhenSymmetric:
      return qualified_.symmetric;
  }
  return false;
}

void ClientEngine::transition(TimePoint now, ClientState s, std::string cause, ActionSink& sink) {
  state_ = s;
  since_ = now;
  cause_ = std::move(cause);
  sink.state_changed(status());
}

void ClientEngine::start(TimePoint now, ActionSink& sink) {
  if (state_ != ClientState::kInitial) return;
  begin_qualification(now, "started", sink);
}

void ClientEngine::begin_qualification(TimePoint now, std::string cause, ActionSink& sink) {
  retry_at_.reset();
  qualification_.start(now, rotation_.current(), sink);
  transition(now, ClientState::kStarting,
             std::move(cause) + "; qualifying with " + rotation_.current().to_string(), sink);
}

void ClientEngine::on_qualification_step(TimePoint now, Qualification::Step step,
                                         ActionSink& sink) {
  if (step == Qualification::Step::kQualified) {
    qualified_ = qualification_.result();
    nat_ = qualified_.nat;
    rotation_.after_success();
    maintenance_.start(now, qualified_);
    own_ = maintenance_.address().to_ipv6();
    const std::string cause =
        "qualified with " + rotation_.current().to_string() + ": " + qualified_.summary;
    AddressChange change{std::nullopt, own_, maintenance_.mtu(), cause};
    transition(now, ClientState::kQualified, cause, sink);
    sink.address_changed(change);
  } else if (step == Qualification::Step::kFailed) {
    nat_ = qualification_.nat_type();
    const std::string failed =
        qualification_.failure_cause() + " (server " + rotation_.current().to_string() + ")";
    const Duration delay = rotation_.after_failure();
    if (delay == Duration::zero()) {
      begin_qualification(now, failed + "; failing over", sink);
    } else {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
      retry_at_ = now + delay;
      transition(now, ClientState::kOffline,
                 failed + "; retrying in " + std::to_string((ms + 999) / 1000) + " s", sink);
    }
  }
}

void ClientEngine::withdraw_address(std::string_view cause, ActionSink& sink) {
  AddressChange change{own_, std::nullopt, maintenance_.mtu(), cause};
  sink.address_changed(change);
}

void ClientEngine::clear_peers() {
  for (bool trusted : {false, true}) {
    for (PeerId id = peers_.least_recent(trusted); id != kNoPeer;
         id = peers_.least_recent(trusted)) {
      peers_.remove(id);
    }
  }
}

void ClientEngine::on_maintenance_step(TimePoint now, Maintenance::Step step, ActionSink& sink) {
  if (step == Maintenance::Step::kMappingChanged) {
    const wire::Ipv6Address old = own_;
    own_ = maintenance_.address().to_ipv6();
    AddressChange change{old, own_, maintenance_.mtu(), maintenance_.cause()};
    cause_ = maintenance_.cause();
    sink.address_changed(change);
    sink.state_changed(status());
  } else if (step == Maintenance::Step::kServerLost) {
    const std::string lost = maintenance_.cause();
    withdraw_address(lost, sink);
    clear_peers();
    rotation_.after_loss();
    begin_qualification(now, lost, sink);
  }
}

std::optional<TimePoint> ClientEngine::next_deadline() const {
  switch (state_) {
    case ClientState::kInitial:
      return std::nullopt;
    case ClientState::kStarting:
      return qualification_.deadline();
    case ClientState::kOffline:
      return retry_at_;
    case ClientState::kQualified: {
      std::optional<TimePoint> d = maintenance_.deadline();
      const TimePoint p = peers_.next_deadline();
      if (p != TimePoint::max() && (!d || p < *d)) d = p;
      return d;
    }
  }
  return std::nullopt;
}

void ClientEngine::on_timer(TimePoint now, ActionSink& sink) {
  switch (state_) {
    case ClientState::kInitial:
      return;
    case ClientState::kStarting:
      on_qualification_step(now, qualification_.on_timer(now, sink), sink);
      return;
    case ClientState::kOffline:
      if (retry_at_ && now >= *retry_at_) begin_qualification(now, "retrying", sink);
      return;
    case ClientState::kQualified:
      for (PeerId id = peers_.pop_due(now); id != kNoPeer; id = peers_.pop_due(now)) {
        peer_timer(now, id, sink);
      }
      on_maintenance_step(now, maintenance_.on_timer(now, sink), sink);
      return;
  }
}

// --- reception (RFC 4380 §5.2.3) ----------------------------------------------------------

void ClientEngine::on_udp(TimePoint now, const wire::Endpoint& source, wire::Bytes payload,
                          ActionSink& sink) {
  ++counters_.datagrams;
  const auto packet = wire::classify(payload);
  if (!packet) {
    counters_.drop(packet.reason());
    return;
  }
  const bool ra = looks_like_router_advertisement(*packet);
  switch (state_) {
    case ClientState::kStarting:
      if (ra) {
        on_qualification_step(now, qualification_.on_datagram(now, source, *packet, sink), sink);
        return;
      }
      [[fallthrough]];
    case ClientState::kInitial:
    case ClientState::kOffline:
      counters_.drop(ra ? ClientDrop::kRaUnexpected : ClientDrop::kNotQualified);
      return;
    case ClientState::kQualified:
      break;
  }
  if (ra) {
    on_maintenance_step(now, maintenance_.on_datagram(now, source, *packet, sink), sink);
    return;
  }
  if (source == rotation_.current().primary_endpoint()) {
    from_server(now, *packet, sink);
  } else {
    from_peer(now, source, *packet, sink);
  }
}

void ClientEngine::deliver(const wire::Ipv6View& ip, ActionSink& sink) {
  if (!own(ip.dst)) {
    counters_.drop(ClientDrop::kDestinationNotOwn);
    return;
  }
  ++counters_.delivered;
  counters_.delivered_bytes += ip.packet.size();
  sink.write_tun(ip.packet);  // RFC 6081 trailers stay behind
}

void ClientEngine::from_server(TimePoint now, const wire::TeredoPacket& p, ActionSink& sink) {
  const wire::Ipv6View& ip = p.ipv6;
  if (!wire::is_bubble(ip)) {
    // ICMPv6 relayed by the server (it relays nothing else, §5.3.1).
    deliver(ip, sink);
    return;
  }
  ++counters_.bubbles_received;
  // An indirect bubble: a peer wants to reach us (§5.2.6). Answer with a direct bubble to
  // the mapping the server saw (the origin indication) to open our NAT towards it.
  if (!p.origin) {
    counters_.drop(ClientDrop::kServerMessageIgnored);
    return;
  }
  if (!own(ip.dst)) {
    counters_.drop(ClientDrop::kDestinationNotOwn);
    return;
  }
  const wire::Endpoint origin = *p.origin;
  if (!wire::is_global_unicast(origin.address) || origin.port == 0) {
    counters_.drop(ClientDrop::kOriginNotGlobal);
    return;
  }
  const auto trailers = wire::parse_trailers(ip.trailing);
  if (!trailers) {
    counters_.drop(trailers.reason());
    return;
  }
  const auto src = wire::TeredoAddress::from_ipv6(ip.src);
  if (!src) {
    // Not a Teredo source: a Miredo bubble from fe80::<hash>, or a relay's bubble from its
    // native address (RFC 4380 §5.4.1 case 3). Answer at the origin with source and
    // destination swapped (how Miredo recognises the reply, and what opens our NAT to the
    // relay). No entry exists for such a source, so a per-origin token bucket bounds what a
    // forged bubble can make us send.
    if (ip.src.is_multicast() || ip.src.is_unspecified()) {
      counters_.drop(ClientDrop::kServerMessageIgnored);
      return;
    }
    if (!bubble_reply_limiter_.allow(endpoint_key(origin), now)) {
      counters_.drop(ClientDrop::kBubbleReplyRateLimited);
      return;
    }
    ++counters_.bubble_replies;
    // RFC 6081 §5.2.3: echo the bubble's nonce. A relay (shipworm's) uses it to accept our
    // answer when a symmetric NAT sends it from another port than our address embeds.
    send_bubble(origin, ip.src,
                trailers->nonce ? std::optional<std::uint32_t>(load_nonce32(*trailers->nonce))
                                : std::nullopt,
                sink);
    return;
  }
  const auto ins = peers_.find_or_create(ip.src, now);
  if (ins.evicted_queued_packets > 0) {
    counters_.dropped[static_cast<std::size_t>(ClientDrop::kPeerTableFull)] +=
        ins.evicted_queued_packets;
  }
  Rfc6081PeerState* x = peers_.rfc6081(ins.id);
  if (x) {
    // RFC 6081 §5.2.3: store the indirect bubble's nonce, or zero it.
    x->nonce_received = trailers->nonce ? load_nonce32(*trailers->nonce) : 0;
    x->symmetric_peer = origin != src->mapped;
  }
  Peer& peer = peers_[ins.id];
  if (!bubble_allowed(now, peer)) {
    counters_.drop(ClientDrop::kBubbleReplyRateLimited);
    return;
  }
  note_bubble(now, ins.id);
  ++counters_.bubble_replies;
  ++counters_.bubbles_direct;
  send_bubble(
      origin, ip.src,
      x && x->nonce_received ? std::optional<std::uint32_t>(x->nonce_received) : std::nullopt,
      sink);
}

void ClientEngine::from_peer(TimePoint now, const wire::Endpoint& source,
                             const wire::TeredoPacket& p, ActionSink& sink) {
  const wire::Ipv6View& ip = p.ipv6;
  if (ip.dst == wire::kAllNodes) {
    counters_.drop(ClientDrop::kLocalDiscoveryUnsupported);  // case 4 (§5.2.8)
    return;
  }
  // §5.2.3: the destination must be our Teredo address.
  if (!own(ip.dst)) {
    counters_.drop(ClientDrop::kDestinationNotOwn);
    return;
  }
  const bool bubble = wire::is_bubble(ip);
  if (ip.src.is_link_local()) {
    if (!bubble) {
      counters_.drop(ClientDrop::kLinkLocalSource);
      return;
    }
    link_local_bubble(now, source, ip, sink);
    return;
  }
  PeerId id = peers_.find(ip.src);

  // Case 2: the echo reply of our ping test, with our nonce (§5.2.9). Checked before case 1
  // so that a re-test of a stale trusted peer does not hand our probe to the host.
  if (id != kNoPeer && peers_[id].state == kPeerPinging &&
      ip.next_header == wire::kNextHeaderIcmpv6) {
    const auto icmp = wire::parse_icmpv6(ip);
    if (icmp && icmp->type == wire::kIcmpEchoReply) {
      const auto echo = wire::parse_echo(*icmp);
      const Peer& peer = peers_[id];
      if (echo && echo->data.size() == peer.ping_nonce.size() &&
          std::equal(peer.ping_nonce.begin(), peer.ping_nonce.end(), echo->data.begin())) {
        trust(now, id, source, sink);
        return;
      }
      if (!peers_[id].trusted() || peers_[id].mapping != source) {
        counters_.drop(ClientDrop::kEchoNonceMismatch);
        return;
      }
    }
  }

  // Case 1: a trusted entry, and the packet comes from its mapping.
  if (id != kNoPeer && peers_[id].trusted() && peers_[id].mapping == source) {
    peers_.note_rx(id, now);
    if (peers_[id].queued_packets() > 0 || peers_[id].state != kPeerIdle) {
      trust(now, id, source, sink);  // a direct packet ends bubbling and flushes the queue
    }
    if (bubble) {
      ++counters_.bubbles_received;
    } else {
      deliver(ip, sink);
    }
    return;
  }

  const auto teredo = wire::TeredoAddress::from_ipv6(ip.src);
  if (teredo) {
    // Case 3: the embedded mapping is the UDP source. MUST create or update the entry.
    if (teredo->mapped == source) {
      if (id == kNoPeer) {
        const auto ins = peers_.find_or_create(ip.src, now);
        id = ins.id;
        if (ins.evicted_queued_packets > 0) {
          counters_.dropped[static_cast<std::size_t>(ClientDrop::kPeerTableFull)] +=
              ins.evicted_queued_packets;
        }
      }
      trust(now, id, source, sink);
      if (bubble) {
        ++counters_.bubbles_received;  // a bubble is then discarded
      } else {
        deliver(ip, sink);
      }
      return;
    }
    // RFC 6081 §5.2.3: a direct bubble from elsewhere is accepted if it echoes the nonce of
    // our indirect bubble; the observed source becomes the peer's mapping.
    if (bubble && id != kNoPeer) {
      const Rfc6081PeerState* x = peers_.rfc6081(id);
      const auto trailers = wire::parse_trailers(ip.trailing);
      if (x && x->nonce_sent != 0 && trailers && trailers->nonce &&
          load_nonce32(*trailers->nonce) == x->nonce_sent) {
        ++counters_.bubbles_received;
        if (Rfc6081PeerState* w = peers_.rfc6081(id)) w->symmetric_peer = true;
        trust(now, id, source, sink);
        return;
      }
    }
    counters_.drop(ClientDrop::kPeerMappingMismatch);
    return;
  }
  // A native source through a relay, with no entry that vouches for this relay.
  if (id != kNoPeer && peers_[id].trusted()) {
    counters_.drop(ClientDrop::kPeerMappingMismatch);
    return;
  }
  unsolicited(now, ip, sink);
}

void ClientEngine::link_local_bubble(TimePoint now, const wire::Endpoint& source,
                                     const wire::Ipv6View& ip, ActionSink& sink) {
  ++counters_.bubbles_received;
  // A Miredo peer answering our bubbles: its UDP source is the embedded mapping of the peer
  // we are bubbling, which is the evidence case 3 accepts.
  const PeerId id = peers_.find_if(false, [&](const Peer& p) {
    if (p.state != kPeerBubbling) return false;
    const auto t = wire::TeredoAddress::from_ipv6(p.address);
    return t && t->mapped == source;
  });
  if (id != kNoPeer) trust(now, id, source, sink);
  if (!bubble_reply_limiter_.allow(endpoint_key(source), now)) {
    counters_.drop(ClientDrop::kBubbleReplyRateLimited);
    return;
  }
  ++counters_.bubble_replies;
  send_bubble(source, ip.src, std::nullopt, sink);
}

void ClientEngine::trust(TimePoint now, PeerId id, const wire::Endpoint& mapping,
                         ActionSink& sink) {
  Peer& p = peers_[id];
  p.mapping = mapping;
  if (!p.trusted()) {
    peers_.set_trusted(id, true, now);
    ++counters_.peers_trusted;
  }
  peers_.note_rx(id, now);
  p.bubbles = 0;  // §5.2.6: the count is of bubbles without a direct reply
  p.attempts = 0;
  p.state = kPeerIdle;
  peers_.clear_deadline(id);
  // §5.2.3: dequeue towards the new mapping (MUST).
  for (wire::Bytes q = peers_.dequeue(id, queue_); !q.empty(); q = peers_.dequeue(id, queue_)) {
    send_data(now, id, q, sink);
  }
}

void ClientEngine::unsolicited(TimePoint now, const wire::Ipv6View& ip, ActionSink& sink) {
  counters_.drop(ClientDrop::kUnsolicited);
  if (config_.unsolicited != UnsolicitedPolicy::kPingTest) return;
  const PeerId existing = peers_.find(ip.src);
  if (existing != kNoPeer && peers_[existing].state == kPeerPinging) return;
  if (!unsolicited_limiter_.allow(0, now)) {
    counters_.drop(ClientDrop::kUnsolicitedRateLimited);
    return;
  }
  const auto ins = peers_.find_or_create(ip.src, now);
  start_ping(now, ins.id, sink);
}

// --- transmission (RFC 4380 §5.2.4) -------------------------------------------------------

void ClientEngine::on_tun(TimePoint now, wire::Bytes packet, ActionSink& sink) {
  ++counters_.tun_packets;
  if (state_ != ClientState::kQualified) {
    counters_.drop(ClientDrop::kNotQualified);
    return;
  }
  const auto parsed = wire::parse_ipv6(packet);
  if (!parsed) {
    counters_.drop(parsed.reason());
    return;
  }
  const wire::Ipv6View& ip = *parsed;
  const wire::Bytes whole = ip.packet;  // without anything after the IPv6 length
  if (whole.size() > wire::kMaxUdpPayload) {
    counters_.drop(ClientDrop::kTooBig);
    return;
  }
  if (ip.src != own_) {
    counters_.drop(ClientDrop::kTunSourceNotOwn);  // e.g. the kernel's MLD or RS
    return;
  }
  if (ip.dst.is_multicast()) {
    counters_.drop(ClientDrop::kTunMulticast);
    return;
  }
  const auto teredo = wire::TeredoAddress::from_ipv6(ip.dst);
  // Our own address (or our mapping under other flag bits): nothing to send over the wire.
  if (ip.dst == own_ || (teredo && teredo->mapped == maintenance_.mapping())) {
    counters_.drop(ClientDrop::kTunToSelf);
    return;
  }

  PeerId id = peers_.find(ip.dst);
  // Case 1: a trusted entry heard from within 30 s.
  if (id != kNoPeer && peers_[id].trusted() && peers_[id].valid(now)) {
    send_data(now, id, whole, sink);
    return;
  }

  if (teredo) {
    // Cases 4 and 5: the embedded mapping, and the server of indirect bubbles, MUST be
    // global unicast, else drop silently.
    if (!wire::is_global_unicast(teredo->mapped.address) || teredo->mapped.port == 0) {
      counters_.drop(ClientDrop::kTunDestinationNotGlobal);
      return;
    }
    if (!wire::is_global_unicast(teredo->server)) {
      counters_.drop(ClientDrop::kTunServerNotGlobal);
      return;
    }
    if (config_.honor_cone_bit && teredo->cone()) {
      // Case 4 (RFC 4380 only; RFC 5991 §3.2 says to ignore C): send to the mapping.
      ++counters_.sent;
      counters_.sent_bytes += whole.size();
      sink.send_udp(teredo->mapped, whole);
      return;
    }
  }

  const auto ins = peers_.find_or_create(ip.dst, now);
  if (ins.evicted_queued_packets > 0) {
    counters_.dropped[static_cast<std::size_t>(ClientDrop::kPeerTableFull)] +=
        ins.evicted_queued_packets;
  }
  id = ins.id;
  Peer& peer = peers_[id];
  if (peer.state == kPeerIdle && teredo && !bubble_allowed(now, peer) &&
      peer.bubbles >= wire::kBubblesPerWindow) {
    // §5.2.6: 4 bubbles went unanswered in the last 300 s; do not queue for nothing.
    counters_.drop(ClientDrop::kPeerUnreachable);
    unreachable(now, whole, sink);
    return;
  }
  if (!enqueue(id, whole)) return;
  if (peer.state != kPeerIdle) return;  // a test is already running; the queue waits
  if (teredo) {
    start_bubbling(now, id, sink);  // case 5
  } else {
    start_ping(now, id, sink);  // case 2
  }
}

bool ClientEngine::enqueue(PeerId id, wire::Bytes packet) {
  if (peers_.enqueue(id, packet) != EnqueueResult::kQueued) {
    counters_.drop(ClientDrop::kQueueFull);
    return false;
  }
  ++counters_.queued;
  return true;
}

void ClientEngine::send_data(TimePoint now, PeerId id, wire::Bytes packet, ActionSink& sink) {
  ++counters_.sent;
  counters_.sent_bytes += packet.size();
  peers_.note_tx(id, now);
  sink.send_udp(peers_[id].mapping, packet);
}

bool ClientEngine::bubble_allowed(TimePoint now, const Peer& p) const {
  // §5.2.6: not within 2 s of the last transmission, and at most 4 unanswered bubbles in
  // 300 s.
  if (now - p.last_tx < wire::kBubbleMinSpacing) return false;
  const bool window_open = p.bubbles > 0 && now - p.bubble_window_start < wire::kBubbleWindow;
  return !(window_open && p.bubbles >= wire::kBubblesPerWindow);
}

void ClientEngine::note_bubble(TimePoint now, PeerId id) {
  Peer& p = peers_[id];
  if (p.bubbles == 0 || now - p.bubble_window_start >= wire::kBubbleWindow) {
    p.bubbles = 0;
    p.bubble_window_start = now;
  }
  ++p.bubbles;
  peers_.note_tx(id, now);  // MUST set last tx
}

void ClientEngine::start_bubbling(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  p.state = kPeerBubbling;
  p.attempts = 0;
  send_bubbles(now, id, sink);
}

void ClientEngine::send_bubbles(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  if (!bubble_allowed(now, p)) {
    if (p.bubbles >= wire::kBubblesPerWindow && now - p.bubble_window_start < wire::kBubbleWindow) {
      give_up(now, id, sink);
    } else {
      peers_.set_deadline(id, p.last_tx + wire::kBubbleMinSpacing);  // spacing: try then
    }
    return;
  }
  const auto t = wire::TeredoAddress::from_ipv6(p.address);
  assert(t);
  Rfc6081PeerState* x = peers_.rfc6081(id);
  // Direct bubble to the embedded mapping: we never claim a cone NAT, so it is always sent
  // (§5.2.4 case 5). RFC 6081 §5.2.3: it echoes the peer's nonce once we have one.
  std::optional<std::uint32_t> echo;
  if (x && x->nonce_received != 0) echo = x->nonce_received;
  send_bubble(t->mapped, p.address, echo, sink);
  ++counters_.bubbles_direct;
  // Indirect bubble through the peer's server, with a fresh nonce (RFC 6081 §5.2.3).
  std::optional<std::uint32_t> nonce;
  if (x && send_nonce_trailers()) {
    x->nonce_sent = fresh_nonce32();
    nonce = x->nonce_sent;
  }
  send_bubble({t->server, wire::kTeredoPort}, p.address, nonce, sink);
  ++counters_.bubbles_indirect;
  note_bubble(now, id);
  ++p.attempts;
  peers_.set_deadline(id, now + wire::kBubbleRetry);
}

void ClientEngine::send_bubble(const wire::Endpoint& to, const wire::Ipv6Address& dst,
                               std::optional<std::uint32_t> nonce, ActionSink& sink) {
  wire::Writer w(out_);
  wire::write_bubble(w, own_, dst, config_.bubble_hop_limit);
  if (nonce) {
    const std::uint32_t n = *nonce;
    wire::write_nonce_trailer(
        w, {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
  }
  sink.send_udp(to, w.written());
}

std::uint32_t ClientEngine::fresh_nonce32() {
  const std::uint32_t n = random_.u32();
  return n != 0 ? n : 1;  // 0 means "no nonce" in the peer state
}

void ClientEngine::start_ping(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  p.state = kPeerPinging;
  p.attempts = 0;
  random_.fill(p.ping_nonce);  // 64 bits (§5.2.9 recommends at least that)
  send_ping(now, id, sink);
}

void ClientEngine::send_ping(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  // §5.2.9: an echo request from our address to the peer, through our server, carrying the
  // nonce as its data: 16 bytes of ICMPv6, far below the 88 bytes Miredo's server relays.
  wire::Writer w(out_);
  const auto ident = static_cast<std::uint16_t>((p.ping_nonce[0] << 8) | p.ping_nonce[1]);
  wire::write_echo(w, wire::EchoParams{true, own_, p.address, config_.ping_hop_limit, ident,
                                       static_cast<std::uint16_t>(p.attempts + 1), p.ping_nonce});
  ++p.attempts;
  ++counters_.pings_sent;
  peers_.note_tx(id, now);
  peers_.set_deadline(id, now + wire::kBubbleRetry);
  sink.send_udp(rotation_.current().primary_endpoint(), w.written());
}

void ClientEngine::peer_timer(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  if (p.state == kPeerBubbling) {
    if (p.attempts >= kBubbleTransmissions) {
      give_up(now, id, sink);
    } else {
      send_bubbles(now, id, sink);
    }
  } else if (p.state == kPeerPinging) {
    if (p.attempts >= kPingTransmissions) {
      give_up(now, id, sink);
    } else {
      send_ping(now, id, sink);
    }
  }
}

void ClientEngine::give_up(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  p.state = kPeerIdle;
  p.attempts = 0;
  peers_.clear_deadline(id);
  for (wire::Bytes q = peers_.dequeue(id, queue_); !q.empty(); q = peers_.dequeue(id, queue_)) {
    counters_.drop(ClientDrop::kPeerUnreachable);
    unreachable(now, q, sink);
  }
}

void ClientEngine::unreachable(TimePoint now, wire::Bytes invoking, ActionSink& sink) {
  const auto ip = wire::parse_ipv6(invoking);
  // RFC 4443 §2.4(e): never about an error message or a multicast destination.
  if (!ip || is_icmpv6_error(*ip) || ip->dst.is_multicast() || ip->src.is_multicast() ||
      ip->src.is_unspecified()) {
    return;
  }
  if (!icmp_limiter_.allow(0, now)) {  // RFC 4443 §2.4(f)
    ++counters_.icmp_errors_suppressed;
    return;
  }
  // Built here with the generic ICMPv6 writer: type 1 code 3, 4 unused bytes, then as much
  // of the invoking packet as keeps the whole error within 1280 bytes (§2.4(c)).
  wire::Writer w(out_);
  wire::Icmpv6PacketWriter pw(w, config_.icmp_error_source, ip->src, 255,
                              kIcmpDestinationUnreachable, kCodeAddressUnreachable);
  w.u32(0);
  const std::size_t room = kIcmpErrorMax - w.size();
  w.bytes(invoking.first(std::min(room, invoking.size())));
  if (!pw.finish()) return;
  ++counters_.icmp_errors;
  sink.write_tun(w.written());
}

}  // namespace shipworm::core
