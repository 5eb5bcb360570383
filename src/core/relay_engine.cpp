#include "core/relay_engine.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/bubble_schedule.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6_errors.h"
#include "wire/trailers.h"

namespace shipworm::core {

using wire::Bytes;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;
using wire::Ipv6View;

std::string_view to_string(RelayDrop d) {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(RelayDrop::kCount)>
      kNames = {
#define SHIPWORM_X(name, text) text,
          SHIPWORM_RELAY_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      };
  const auto i = static_cast<std::size_t>(d);
  return i < kNames.size() ? kNames[i] : std::string_view{"unknown"};
}

std::uint64_t RelayCounters::total_dropped() const {
  std::uint64_t n = 0;
  for (auto v : malformed) n += v;
  for (auto v : dropped) n += v;
  return n;
}

bool Ipv6Prefix::contains(const Ipv6Address& a) const {
  const std::size_t full = std::min<std::size_t>(length, 128) / 8;
  if (std::memcmp(a.bytes.data(), address.bytes.data(), full) != 0) return false;
  const unsigned rest = std::min<unsigned>(length, 128) % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

namespace {

// RFC 4291 §2.5/§2.7 scopes: what a router may forward beyond the link.
bool is_global_scope(const Ipv6Address& a) {
  if (a.is_multicast()) return (a.bytes[1] & 0x0f) == 0x0e;
  if (a.is_link_local() || a.is_unspecified()) return false;
  if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0xc0) return false;  // fec0::/10
  static constexpr Ipv6Address kLoopback{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  return a != kLoopback;
}

Ipv4Address ipv4_at(const Ipv6Address& a, std::size_t at) {
  return Ipv4Address{wire::load_u32(a.bytes, at)};
}

constexpr std::size_t kMaxPacket = wire::kIpv6HeaderSize + 65535;

// Nonce Sent lives in the table's RFC 6081 per-peer state (RFC 6081 §5.2.1).
RelayEngineConfig prepared(RelayEngineConfig c) {
  if (c.random != nullptr) c.table.rfc6081_state = true;
  return c;
}

}  // namespace

RelayEngine::RelayEngine(RelayEngineConfig config)
    : config_(prepared(std::move(config))),
      table_(config_.table),
      icmp_limiter_(config_.icmp_limit, 1, config_.hash_key ^ 0x49434d50ULL),
      bubble_reply_limiter_(config_.bubble_reply_limit, config_.rate_limit_slots,
                            config_.hash_key ^ 0x42554242ULL),
      packet_buf_(kMaxPacket),
      queue_buf_(std::max<std::size_t>(config_.table.queue_bytes_per_peer, 1)),
      ctrl_buf_(wire::kIcmpv6ErrorMaxSize) {
  if (config_.host_specific && config_.served.empty()) {
    throw std::invalid_argument("a host-specific relay needs the host's own IPv6 addresses");
  }
  config_.peer_idle_timeout =
      std::max<Duration>(config_.peer_idle_timeout, std::chrono::seconds(4));
}

void RelayEngine::set_served(std::vector<Ipv6Prefix> served) { config_.served = std::move(served); }

bool RelayEngine::is_own(Ipv4Address a) const {
  return std::find(config_.own_ipv4.begin(), config_.own_ipv4.end(), a) != config_.own_ipv4.end();
}

// RFC 6324 §3.3 (routing loops between tunnel routers, applied to Teredo): an address that
// carries one of our IPv4 addresses in another automatic-tunnel format (6to4 2002:V4::/48, ISATAP
// ::0:5efe:V4 and ::200:5efe:V4).
bool RelayEngine::embeds_own_ipv4(const Ipv6Address& a) const {
  if (config_.own_ipv4.empty()) return false;
  if (a.bytes[0] == 0x20 && a.bytes[1] == 0x02 && is_own(ipv4_at(a, 2))) return true;
  const bool isatap = (a.bytes[8] == 0x00 || a.bytes[8] == 0x02) && a.bytes[9] == 0x00 &&
                      a.bytes[10] == 0x5e && a.bytes[11] == 0xfe;
  return isatap && is_own(ipv4_at(a, 12));
}

bool RelayEngine::is_served(const Ipv6Address& a) const {
  if (config_.served.empty()) return !wire::is_teredo(a, config_.prefix);
  return std::any_of(config_.served.begin(), config_.served.end(),
                     [&](const Ipv6Prefix& p) { return p.contains(a); });
}

void RelayEngine::note_created(const PeerTable::Insert& ins) {
  if (ins.created) ++counters_.peers_created;
  if (ins.evicted) {
    ++counters_.peers_evicted;
    counters_.dropped[static_cast<std::size_t>(RelayDrop::kQueueDroppedEvicted)] +=
        ins.evicted_queued_packets;
  }
}

// ---------------------------------------------------------------------------------------
// From clients: RFC 4380 §5.4.2.

void RelayEngine::on_udp(TimePoint now, const Endpoint& from, Bytes payload, ActionSink& out) {
  udp_in(now, from, payload, nullptr, out);
}

void RelayEngine::on_udp_inplace(TimePoint now, const Endpoint& from, wire::MutableBytes payload,
                                 ActionSink& out) {
  udp_in(now, from, payload, payload.data(), out);
}

void RelayEngine::udp_in(TimePoint now, const Endpoint& from, Bytes payload, std::uint8_t* writable,
                         ActionSink& out) {
  ++counters_.udp_packets_in;
  counters_.udp_bytes_in += payload.size();
  if (is_own(from.address)) return drop(RelayDrop::kLoopFromOwnAddress);

  // A valid IPv6 packet, with the RFC 6081 §4 length rule (classify).
  const auto packet = wire::classify(payload);
  if (!packet) return drop(packet.reason());
  const Ipv6View& ip = packet->ipv6;
  std::optional<wire::Trailers> trailers;
  if (!ip.trailing.empty()) {
    auto t = wire::parse_trailers(ip.trailing);  // RFC 6081 §4.1 discard rule
    if (!t) return drop(t.reason());
    trailers = *t;
  }
  if (!wire::is_global_unicast(from.address)) return drop(RelayDrop::kSourceNotGlobal);

  // The source must be a Teredo address that embeds the datagram's own source (anti-spoofing,
  // §5.4.2), or come from the mapping the peer's entry already trusts. RFC 6081 §5.2 adds one
  // way in: a bubble echoing the nonce of our indirect bubble, from a client whose symmetric
  // NAT gave it another port towards us than towards its server.
  const auto src = wire::TeredoAddress::from_ipv6(ip.src, config_.prefix);
  if (!src) return drop(RelayDrop::kSourceNotTeredo);
  const bool bubble = wire::is_bubble(ip);
  PeerId id = table_.find(ip.src);
  if (src->mapped != from) {
    const bool known_mapping = id != kNoPeer && table_[id].trusted() && table_[id].mapping == from;
    if (!known_mapping) {
      if (!bubble || !echoes_nonce_sent(id, trailers ? &*trailers : nullptr)) {
        return drop(RelayDrop::kTeredoSourceMismatch);
      }
      ++counters_.bubbles_nonce_accepted;
      table_.rfc6081(id)->nonce_sent = {};  // used once: a replay cannot move the mapping
    }
  }

  bool reply_to_ours = false;
  if (id != kNoPeer) {
    // An entry exists: trusted from now on (its mapping the datagram's source), last
    // interaction now, queue flushed.
    reply_to_ours = table_[id].state<PeerState>() == PeerState::kPending;
    trust(now, id, from, out);
  } else if (!bubble) {
    switch (config_.unknown_peers) {
      case UnknownPeerPolicy::kDrop:
        return drop(RelayDrop::kUnknownPeer);
      case UnknownPeerPolicy::kTrust: {
        const auto ins = table_.find_or_create(ip.src, now);
        note_created(ins);
        trust(now, ins.id, from, out);
        break;
      }
      case UnknownPeerPolicy::kForward:
        break;
    }
  }

  if (bubble) {
    // Bubbles are never forwarded. One that answers ours has done its job; any other gets
    // a bubble back, addressed the way Miredo recognises a reply (destination = its source).
    ++counters_.bubbles_received;
    if (!reply_to_ours) answer_bubble(now, id, ip, from, out);
    return;
  }
  // The packet's own bytes inside the caller's buffer (it starts where the headers end).
  std::uint8_t* w = writable == nullptr ? nullptr : writable + (ip.packet.data() - payload.data());
  forward_native(now, ip, from, w, out);
}

bool RelayEngine::echoes_nonce_sent(PeerId id, const wire::Trailers* trailers) const {
  if (id == kNoPeer || trailers == nullptr || !trailers->nonce) return false;
  const Rfc6081PeerState* x = table_.rfc6081(id);
  return x != nullptr && !x->nonce_sent.empty() && *trailers->nonce == x->nonce_sent;
}

void RelayEngine::trust(TimePoint now, PeerId id, const Endpoint& from, ActionSink& out) {
  Peer& p = table_[id];
  if (!p.trusted()) ++counters_.peers_trusted;
  table_.set_trusted(id, true, now);
  table_.clear_deadline(id);
  p.mapping = from;
  p.set_state(PeerState::kIdle);
  p.attempts = 0;
  bubble_schedule::direct_reply(p);  // §5.2.6
  table_.note_rx(id, now);
  // §5.4.1: queued packets are sent when the entry becomes trusted, oldest first.
  for (Bytes q; !(q = table_.dequeue(id, queue_buf_)).empty();) {
    out.send_udp(p.mapping, q);
    ++counters_.packets_dequeued;
    ++counters_.to_clients_packets;
    counters_.to_clients_bytes += q.size();
    table_.note_tx(id, now);
  }
}

void RelayEngine::answer_bubble(TimePoint now, PeerId id, const Ipv6View& ip, const Endpoint& from,
                                ActionSink& out) {
  // Speak only for addresses we serve; never with a Teredo or non-global source.
  if (!is_served(ip.dst) || !is_global_scope(ip.dst) || ip.dst.is_multicast()) return;
  if (id != kNoPeer) {
    Peer& p = table_[id];
    if (!bubble_schedule::may_send(p, now)) return;
    bubble_schedule::count_bubble(p, now);
    table_.note_tx(id, now);
  } else if (!bubble_reply_limiter_.allow(PeerTable::hash(ip.src, 0), now)) {
    return;  // an unknown source: answered statelessly, at a limited rate
  }
  wire::Writer w(ctrl_buf_);
  wire::write_bubble(w, ip.dst, ip.src, kRelayBubbleHopLimit);
  out.send_udp(from, w.written());
  ++counters_.bubble_replies_sent;
}

void RelayEngine::forward_native(TimePoint now, const Ipv6View& ip, const Endpoint& from,
                                 std::uint8_t* writable, ActionSink& out) {
  // Loop mitigation (RFC 6324 §3.3 applied to Teredo): never send a packet received over UDP
  // back towards 2001::/32, nor to one of our own IPv4 addresses in 6to4 or ISATAP form.
  if (wire::is_teredo(ip.dst, config_.prefix) || wire::is_teredo(ip.dst)) {
    return drop(RelayDrop::kLoopTeredoDestination);
  }
  if (embeds_own_ipv4(ip.dst)) return drop(RelayDrop::kLoopOwnIpv4Destination);
  if (!is_global_scope(ip.dst)) return drop(RelayDrop::kDestinationNotGlobal);
  if (!is_served(ip.dst)) return drop(RelayDrop::kDestinationNotServed);  // §5.4.2

  if (router() && ip.hop_limit <= 1) {
    send_icmp_error(now, ip, wire::kIcmpTimeExceeded, wire::kTimeExceededHopLimit, &from, out);
    return drop(RelayDrop::kHopLimitExceeded);
  }
  std::uint8_t* buf = writable;
  if (buf == nullptr) {
    buf = packet_buf_.data();
    std::memcpy(buf, ip.packet.data(), ip.packet.size());
  }
  if (router()) buf[7] = static_cast<std::uint8_t>(ip.hop_limit - 1);
  out.write_tun(Bytes(buf, ip.packet.size()));
  ++counters_.to_native_packets;
  counters_.to_native_bytes += ip.packet.size();
}

// ---------------------------------------------------------------------------------------
// To clients: RFC 4380 §5.4.1.

void RelayEngine::on_tun(TimePoint now, Bytes ipv6_packet, ActionSink& out) {
  tun_in(now, ipv6_packet, nullptr, out);
}

void RelayEngine::on_tun_inplace(TimePoint now, wire::MutableBytes ipv6_packet, ActionSink& out) {
  tun_in(now, ipv6_packet, ipv6_packet.data(), out);
}

void RelayEngine::tun_in(TimePoint now, Bytes ipv6_packet, std::uint8_t* writable,
                         ActionSink& out) {
  ++counters_.tun_packets_in;
  counters_.tun_bytes_in += ipv6_packet.size();
  const auto parsed = wire::parse_ipv6(ipv6_packet);
  if (!parsed) return drop(parsed.reason());
  const Ipv6View& ip = *parsed;  // bytes beyond the payload length are ignored

  // Only valid Teredo destinations are sent over UDP.
  const auto dst = wire::TeredoAddress::from_ipv6(ip.dst, config_.prefix);
  if (!dst) return drop(RelayDrop::kDestinationNotTeredo);

  // RFC 6324 §3.3 source checks: a Teredo source coming back from the native side, or
  // one of our IPv4 addresses in 6to4/ISATAP form, means a loop between tunnel routers.
  if (wire::is_teredo(ip.src, config_.prefix) || wire::is_teredo(ip.src)) {
    return drop(RelayDrop::kLoopTeredoSource);
  }
  if (embeds_own_ipv4(ip.src)) return drop(RelayDrop::kLoopOwnIpv4Source);
  if (!is_global_scope(ip.src) || ip.src.is_multicast()) return drop(RelayDrop::kSourceNotGlobal6);
  if (!is_served(ip.src)) return drop(RelayDrop::kSourceNotServed);

  // §5.4.1: the embedded IPv4 MUST be global unicast, else silently discard. The server
  // address gets the same test, since the indirect bubble goes there.
  if (!wire::is_global_unicast(dst->mapped.address) || dst->mapped.port == 0) {
    return drop(RelayDrop::kDestinationIpv4NotGlobal);
  }
  if (!wire::is_global_unicast(dst->server)) return drop(RelayDrop::kServerIpv4NotGlobal);
  if (is_own(dst->mapped.address) || is_own(dst->server)) {
    return drop(RelayDrop::kLoopOwnIpv4Destination);  // RFC 6324 §3.3 destination check
  }

  if (router() && ip.hop_limit <= 1) {
    send_icmp_error(now, ip, wire::kIcmpTimeExceeded, wire::kTimeExceededHopLimit, nullptr, out);
    return drop(RelayDrop::kHopLimitExceeded);
  }
  std::uint8_t* buf = writable;  // the packet starts the caller's buffer (parse_ipv6)
  if (buf == nullptr) {
    buf = packet_buf_.data();
    std::memcpy(buf, ip.packet.data(), ip.packet.size());
  }
  if (router()) buf[7] = static_cast<std::uint8_t>(ip.hop_limit - 1);
  send_to_client(now, ip, *dst, Bytes(buf, ip.packet.size()), out);
}

void RelayEngine::send_to_client(TimePoint now, const Ipv6View& ip, const wire::TeredoAddress& dst,
                                 Bytes packet, ActionSink& out) {
  PeerId id = table_.find(ip.dst);
  if (id != kNoPeer) {
    Peer& p = table_[id];
    if (p.state<PeerState>() == PeerState::kFailed) {
      // The bubble exchange failed recently: answer at once rather than bubble again.
      send_icmp_error(now, ip, wire::kIcmpDestinationUnreachable, wire::kUnreachableAddress,
                      nullptr, out);
      return drop(RelayDrop::kPeerUnreachable);
    }
    // Case 1: a trusted, still valid entry.
    if (p.trusted() && p.valid(now)) {
      out.send_udp(p.mapping, packet);
      table_.note_tx(id, now);
      ++counters_.to_clients_packets;
      counters_.to_clients_bytes += packet.size();
      return;
    }
  }
  // Case 2 (only when the cone bit is honoured; RFC 5991 says ignore it).
  if (config_.honour_cone_bit && dst.cone()) {
    if (id == kNoPeer) {
      const auto ins = table_.find_or_create(ip.dst, now);
      note_created(ins);
      id = ins.id;
    }
    if (!table_[id].trusted()) ++counters_.peers_trusted;
    table_.set_trusted(id, true, now);
    table_[id].mapping = dst.mapped;
    out.send_udp(dst.mapped, packet);
    table_.note_tx(id, now);
    ++counters_.to_clients_packets;
    counters_.to_clients_bytes += packet.size();
    return;
  }
  // Case 3: untrusted (new, or trusted but stale): queue, and bubble via the server.
  if (id == kNoPeer) {
    const auto ins = table_.find_or_create(ip.dst, now);
    note_created(ins);
    id = ins.id;
  }
  Peer& p = table_[id];
  if (p.trusted()) table_.set_trusted(id, false, now);
  p.mapping = dst.mapped;
  if (p.state<PeerState>() != PeerState::kPending) {
    p.set_state(PeerState::kPending);
    p.attempts = 0;
  }
  switch (table_.enqueue(id, packet)) {
    case EnqueueResult::kQueued:
      ++counters_.packets_queued;
      break;
    case EnqueueResult::kPeerFull:
      drop(RelayDrop::kQueueFullPeer);
      break;
    case EnqueueResult::kTableFull:
      drop(RelayDrop::kQueueFullTotal);
      break;
  }
  // A bubble goes out unless a retry is already scheduled.
  if (p.deadline == kNoDeadline) try_bubble(now, id, &ip.src, out);
}

void RelayEngine::try_bubble(TimePoint now, PeerId id, const Ipv6Address* source, ActionSink& out) {
  Peer& p = table_[id];
  if (!bubble_schedule::may_send(p, now)) {
    if (bubble_schedule::too_soon(p, now)) {
      table_.set_deadline(id, bubble_schedule::next_allowed(p));
    } else {
      fail(now, id, out);  // 4 bubbles in this window already (§5.2.6)
    }
    return;
  }
  // The bubble's source: the configured relay address, else the source of the packet that
  // caused it (the oldest queued one on a retry).
  Ipv6Address src;
  if (config_.relay_address) {
    src = *config_.relay_address;
  } else if (source != nullptr) {
    src = *source;
  } else {
    const Bytes head = table_.peek(id, wire::MutableBytes(ctrl_buf_).first(wire::kIpv6HeaderSize));
    if (head.size() < wire::kIpv6HeaderSize) {
      fail(now, id, out);  // nothing queued and no address to bubble from
      return;
    }
    src = Ipv6Address::from_bytes(head.subspan(8, 16));
  }
  const auto dst = wire::TeredoAddress::from_ipv6(p.address, config_.prefix);
  wire::Writer w(ctrl_buf_);
  wire::write_bubble(w, src, p.address, kRelayBubbleHopLimit);
  const Bytes plain = w.written();
  // RFC 6081 §5.2.3: each indirect bubble carries a fresh nonce, kept as Nonce Sent. The
  // direct bubble carries none: we never received an indirect bubble from a client.
  if (Rfc6081PeerState* x = config_.random != nullptr ? table_.rfc6081(id) : nullptr) {
    wire::Nonce32 n;
    while (n.empty()) n = wire::Nonce32{config_.random->u32()};  // zero means "none"
    x->nonce_sent = n;
    wire::write_nonce_trailer(w, n);
  }
  out.send_udp(Endpoint{dst->server, wire::kTeredoPort}, w.written());
  ++counters_.bubbles_sent_indirect;
  if (config_.behind_restricted_nat) {
    out.send_udp(p.mapping, plain);  // opens our NAT for the client's answer
    ++counters_.bubbles_sent_direct;
  }
  bubble_schedule::count_bubble(p, now);
  ++p.attempts;
  table_.note_tx(id, now);
  table_.set_deadline(id, bubble_schedule::retry_at(now));
}

void RelayEngine::fail(TimePoint now, PeerId id, ActionSink& out) {
  // §5.4.1: no answer after the repetitions: the entry goes, with its queue; each native
  // sender learns it through a rate-limited "address unreachable" (RFC 4443 §2.4(f)).
  ++counters_.peers_unreachable;
  for (Bytes q; !(q = table_.dequeue(id, queue_buf_)).empty();) {
    drop(RelayDrop::kQueueDroppedUnreachable);
    const auto ip = wire::parse_ipv6(q);
    if (ip) {
      send_icmp_error(now, *ip, wire::kIcmpDestinationUnreachable, wire::kUnreachableAddress,
                      nullptr, out);
    }
  }
  Peer& p = table_[id];
  const TimePoint until = p.bubble_window_start + config_.failed_holddown;
  if (until <= now) {
    table_.remove(id);
    ++counters_.peers_expired;
    return;
  }
  p.set_state(PeerState::kFailed);
  table_.set_deadline(id, until);
}

void RelayEngine::send_icmp_error(TimePoint now, const Ipv6View& invoking, std::uint8_t type,
                                  std::uint8_t code, const Endpoint* to_udp, ActionSink& out) {
  if (!wire::icmpv6_error_allowed(invoking)) return;
  if (!icmp_limiter_.allow(0, now)) {
    ++counters_.icmp_rate_limited;
    return;
  }
  const Ipv6Address src = config_.relay_address.value_or(invoking.dst);
  wire::Writer w(ctrl_buf_);
  if (!wire::write_icmpv6_error(w, src, invoking.src, type, code, invoking.packet)) return;
  if (to_udp != nullptr) {
    out.send_udp(*to_udp, w.written());
  } else {
    out.write_tun(w.written());
  }
  if (type == wire::kIcmpTimeExceeded) {
    ++counters_.icmp_time_exceeded_sent;
  } else {
    ++counters_.icmp_unreachable_sent;
  }
}

// ---------------------------------------------------------------------------------------
// Timers.

void RelayEngine::on_timer(TimePoint now, ActionSink& out) {
  for (PeerId id; (id = table_.pop_due(now)) != kNoPeer;) {
    Peer& p = table_[id];
    if (p.state<PeerState>() == PeerState::kPending) {
      if (bubble_schedule::exchange_over(p.attempts)) {
        fail(now, id, out);
      } else {
        try_bubble(now, id, nullptr, out);
      }
    } else if (p.state<PeerState>() == PeerState::kFailed) {
      table_.remove(id);  // hold-down over
      ++counters_.peers_expired;
    }
  }
  // Idle expiry from the LRU tails. Entries with a running timer (pending, failed) are
  // skipped by touching them, so each entry is looked at once per call.
  for (const bool trusted : {false, true}) {
    for (PeerId id; (id = table_.least_recent(trusted)) != kNoPeer;) {
      Peer& p = table_[id];
      if (now - p.last_used < config_.peer_idle_timeout) break;
      if (p.deadline != kNoDeadline) {
        table_.touch(id, now);
        continue;
      }
      table_.remove(id);
      ++counters_.peers_expired;
    }
  }
}

TimePoint RelayEngine::next_deadline() const {
  TimePoint next = table_.next_deadline();
  for (const bool trusted : {false, true}) {
    const PeerId id = table_.least_recent(trusted);
    if (id != kNoPeer) next = std::min(next, table_[id].last_used + config_.peer_idle_timeout);
  }
  return next;
}

}  // namespace shipworm::core
