// Reception, RFC 4380 §5.2.3: what ClientEngine::on_udp does with a datagram that is not a
// router advertisement, once the client is qualified.
#include <algorithm>
#include <optional>

#include "core/bubble_schedule.h"
#include "core/client_engine.h"
#include "wire/bubble.h"
#include "wire/icmpv6.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

std::uint64_t endpoint_key(const wire::Endpoint& e) {
  return (std::uint64_t{e.address.value} << 16) | e.port;
}

}  // namespace

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
    send_bubble(origin, ip.src, trailers->nonce, sink);
    return;
  }
  const PeerId id = find_or_create_peer(ip.src, now);
  Rfc6081PeerState* x = peers_.rfc6081(id);
  if (x) {
    // RFC 6081 §5.2.3: store the indirect bubble's nonce, or zero it.
    x->nonce_received = trailers->nonce.value_or(wire::Nonce32{});
  }
  Peer& peer = peers_[id];
  if (!bubble_schedule::may_send(peer, now)) {
    counters_.drop(ClientDrop::kBubbleReplyRateLimited);
    return;
  }
  note_bubble(now, id);
  ++counters_.bubble_replies;
  ++counters_.bubbles_direct;
  send_bubble(origin, ip.src,
              x && !x->nonce_received.empty() ? std::optional(x->nonce_received) : std::nullopt,
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
  if (id != kNoPeer && peers_[id].state<PeerState>() == PeerState::kPinging &&
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
    if (peers_[id].queued_packets() > 0 || peers_[id].state<PeerState>() != PeerState::kIdle) {
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
      if (id == kNoPeer) id = find_or_create_peer(ip.src, now);
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
      if (x && !x->nonce_sent.empty() && trailers && trailers->nonce &&
          *trailers->nonce == x->nonce_sent) {
        ++counters_.bubbles_received;
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
    if (p.state<PeerState>() != PeerState::kBubbling) return false;
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
  bubble_schedule::direct_reply(p);  // §5.2.6
  p.attempts = 0;
  p.set_state(PeerState::kIdle);
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
  if (existing != kNoPeer && peers_[existing].state<PeerState>() == PeerState::kPinging) return;
  if (!unsolicited_limiter_.allow(0, now)) {
    counters_.drop(ClientDrop::kUnsolicitedRateLimited);
    return;
  }
  const auto ins = peers_.find_or_create(ip.src, now);
  start_ping(now, ins.id, sink);
}

}  // namespace shipworm::core
