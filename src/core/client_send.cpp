// Transmission, RFC 4380 §5.2.4: the cases of a packet from the TUN device (ClientEngine::
// on_tun once parsed), the data, bubbles and ICMPv6 errors the client sends.
#include <algorithm>
#include <optional>

#include "core/bubble_schedule.h"
#include "core/client_engine.h"
#include "wire/bubble.h"
#include "wire/icmpv6.h"
#include "wire/ipv6_packet.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

constexpr std::uint8_t kIcmpDestinationUnreachable = 1;  // RFC 4443 §3.1
constexpr std::uint8_t kCodeAddressUnreachable = 3;
constexpr std::size_t kIcmpErrorMax = 1280;  // RFC 4443 §2.4(c)

bool is_icmpv6_error(const wire::Ipv6View& ip) {
  return ip.next_header == wire::kNextHeaderIcmpv6 && ip.payload_length >= 1 &&
         ip.payload()[0] < 128;
}

}  // namespace

void ClientEngine::from_tun(TimePoint now, const wire::Ipv6View& ip, ActionSink& sink) {
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
      note_sent(now);
      sink.send_udp(teredo->mapped, whole);
      return;
    }
  }

  id = find_or_create_peer(ip.dst, now);
  Peer& peer = peers_[id];
  if (peer.state<PeerState>() == PeerState::kIdle && teredo &&
      !bubble_schedule::may_send(peer, now) && peer.bubbles >= wire::kBubblesPerWindow) {
    // §5.2.6: 4 bubbles went unanswered in the last 300 s; do not queue for nothing.
    counters_.drop(ClientDrop::kPeerUnreachable);
    unreachable(now, whole, sink);
    return;
  }
  if (!enqueue(id, whole)) return;
  if (peer.state<PeerState>() != PeerState::kIdle)
    return;  // a test is already running; the queue waits
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
  note_sent(now);
  sink.send_udp(peers_[id].mapping, packet);
}

void ClientEngine::send_bubble(const wire::Endpoint& to, const wire::Ipv6Address& dst,
                               std::optional<wire::Nonce32> nonce, ActionSink& sink) {
  wire::Writer w(out_);
  wire::write_bubble(w, own_, dst, config_.bubble_hop_limit);
  if (nonce) wire::write_nonce_trailer(w, *nonce);
  sink.send_udp(to, w.written());
}

wire::Nonce32 ClientEngine::fresh_nonce32() {
  const std::uint32_t n = random_.u32();
  return wire::Nonce32{n != 0 ? n : 1};  // zero means "no nonce" in the peer state
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
