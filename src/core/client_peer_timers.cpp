// Per-peer timers of the client: the bubble exchange of RFC 4380 §5.2.4 case 5 (§5.2.6) and
// the direct connectivity test of case 2 (§5.2.9), both 2 s x (1 + 3), then giving up.
#include <cassert>
#include <optional>

#include "core/bubble_schedule.h"
#include "core/client_engine.h"
#include "wire/icmpv6.h"

namespace shipworm::core {
namespace {

// §5.2.4 case 2: the ping test is repeated like bubbles (bubble_schedule::kTransmissions).
constexpr int kPingTransmissions = 1 + wire::kBubbleRetries;

}  // namespace

void ClientEngine::note_bubble(TimePoint now, PeerId id) {
  bubble_schedule::count_bubble(peers_[id], now);
  peers_.note_tx(id, now);  // MUST set last tx
}

void ClientEngine::start_bubbling(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  p.set_state(PeerState::kBubbling);
  p.attempts = 0;
  send_bubbles(now, id, sink);
}

void ClientEngine::send_bubbles(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  if (!bubble_schedule::may_send(p, now)) {
    if (bubble_schedule::budget_spent(p, now)) {
      give_up(now, id, sink);
    } else {
      peers_.set_deadline(id, bubble_schedule::next_allowed(p));  // spacing: try then
    }
    return;
  }
  const auto t = wire::TeredoAddress::from_ipv6(p.address);
  assert(t);
  Rfc6081PeerState* x = peers_.rfc6081(id);
  // Direct bubble to the embedded mapping: we never claim a cone NAT, so it is always sent
  // (§5.2.4 case 5). RFC 6081 §5.2.3: it echoes the peer's nonce once we have one.
  std::optional<wire::Nonce32> echo;
  if (x && !x->nonce_received.empty()) echo = x->nonce_received;
  send_bubble(t->mapped, p.address, echo, sink);
  ++counters_.bubbles_direct;
  // Indirect bubble through the peer's server, with a fresh nonce (RFC 6081 §5.2.3).
  std::optional<wire::Nonce32> nonce;
  if (x && send_nonce_trailers()) {
    x->nonce_sent = fresh_nonce32();
    nonce = x->nonce_sent;
  }
  send_bubble({t->server, wire::kTeredoPort}, p.address, nonce, sink);
  ++counters_.bubbles_indirect;
  note_bubble(now, id);
  note_sent(now);
  ++p.attempts;
  peers_.set_deadline(id, bubble_schedule::retry_at(now));
}

void ClientEngine::start_ping(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  p.set_state(PeerState::kPinging);
  p.attempts = 0;
  random_.fill(p.ping_nonce);  // 64 bits (§5.2.9 recommends at least that)
  send_ping(now, id, sink);
}

void ClientEngine::send_ping(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  // §5.2.9: an echo request from our address to the peer, through our server, carrying the
  // nonce as its data: 16 bytes of ICMPv6, far below the 88 bytes Miredo's server relays.
  wire::Writer w(out_);
  const std::uint16_t ident = wire::load_u16(p.ping_nonce, 0);
  wire::write_echo(w, wire::EchoParams{true, own_, p.address, config_.ping_hop_limit, ident,
                                       static_cast<std::uint16_t>(p.attempts + 1), p.ping_nonce});
  ++p.attempts;
  ++counters_.pings_sent;
  peers_.note_tx(id, now);
  note_sent(now);
  peers_.set_deadline(id, now + wire::kBubbleRetry);
  sink.send_udp(rotation_.current().primary_endpoint(), w.written());
}

void ClientEngine::peer_timer(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  if (p.state<PeerState>() == PeerState::kBubbling) {
    if (bubble_schedule::exchange_over(p.attempts)) {
      give_up(now, id, sink);
    } else {
      send_bubbles(now, id, sink);
    }
  } else if (p.state<PeerState>() == PeerState::kPinging) {
    if (p.attempts >= kPingTransmissions) {
      give_up(now, id, sink);
    } else {
      send_ping(now, id, sink);
    }
  }
}

void ClientEngine::give_up(TimePoint now, PeerId id, ActionSink& sink) {
  Peer& p = peers_[id];
  p.set_state(PeerState::kIdle);
  p.attempts = 0;
  peers_.clear_deadline(id);
  for (wire::Bytes q = peers_.dequeue(id, queue_); !q.empty(); q = peers_.dequeue(id, queue_)) {
    counters_.drop(ClientDrop::kPeerUnreachable);
    unreachable(now, q, sink);
  }
}

}  // namespace shipworm::core
