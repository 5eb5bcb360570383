#include "core/server_engine.h"

#include <algorithm>
#include <cstring>

#include "wire/auth_hmac.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/messages.h"
#include "wire/router_discovery.h"
#include "wire/teredo_address.h"
#include "wire/trailers.h"

namespace shipworm::core {

using wire::Bytes;
using wire::DropReason;
using wire::Ipv4Address;
using wire::Ipv6Address;

std::string_view to_string(ServerDrop d) {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(ServerDrop::kCount)>
      kNames = {
#define SHIPWORM_X(name, text) text,
          SHIPWORM_SERVER_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      };
  const auto i = static_cast<std::size_t>(d);
  return i < kNames.size() ? kNames[i] : std::string_view{"unknown"};
}

std::uint64_t ServerCounters::total_dropped() const {
  std::uint64_t n = 0;
  for (auto v : malformed) n += v;
  for (auto v : dropped) n += v;
  return n;
}

namespace {

// RFC 4291 §2.5/§2.7 scopes: what a router may forward beyond the link.
bool is_global_scope(const Ipv6Address& a) {
  if (a.is_multicast()) return (a.bytes[1] & 0x0f) == 0x0e;  // ff0e::/16 only
  if (a.is_link_local() || a.is_unspecified()) return false;
  if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local
  static constexpr Ipv6Address kLoopback{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  return a != kLoopback;
}

// The C bit of a link-local or Teredo interface identifier (RFC 4380 §4: bit 64).
bool cone_bit(const Ipv6Address& a) { return (a.bytes[8] & 0x80) != 0; }

constexpr std::size_t kScratchSize = wire::kOriginIndicationSize + 65536;

}  // namespace

ServerEngine::ServerEngine(ServerEngineConfig config)
    : config_(std::move(config)),
      rs_limiter_(config_.rs_limit, config_.rate_limit_slots, config_.hash_key),
      forward_limiter_(config_.forward_limit, config_.rate_limit_slots, ~config_.hash_key),
      out_(kScratchSize) {}

ServerOutput ServerEngine::drop(ServerDrop d) {
  ++counters_.dropped[static_cast<std::size_t>(d)];
  return {};
}

ServerOutput ServerEngine::drop(DropReason r) {
  ++counters_.malformed[static_cast<std::size_t>(r)];
  return {};
}

ServerOutput ServerEngine::on_datagram(TimePoint now, const ReceivedDatagram& d) {
  ++counters_.datagrams;
  // A datagram from our own service address can only be a loop (Miredo MTFL-SA 0603).
  if (is_own(d.source.address) && d.source.port == wire::kTeredoPort) {
    return drop(ServerDrop::kFromOwnAddress);
  }

  // §5.3.1 rule 1: a well-formed Teredo IPv6 packet.
  const auto packet = wire::classify(d.payload);
  if (!packet) return drop(packet.reason());
  const wire::Ipv6View& ip = packet->ipv6;

  // Rule 2: only bubbles and ICMPv6 (this server is not a relay). ICMPv6 checksums are
  // verified here so that corrupt messages are neither answered nor forwarded.
  const bool bubble = wire::is_bubble(ip);
  std::optional<wire::Icmpv6View> icmp;
  if (!bubble) {
    if (ip.next_header != wire::kNextHeaderIcmpv6) return drop(ServerDrop::kNotBubbleOrIcmpv6);
    auto parsed = wire::parse_icmpv6(ip);
    if (!parsed) return drop(parsed.reason());
    icmp = *parsed;
  }

  // Rule 3: the IPv4 source must be global unicast (§5.2.4).
  if (!wire::is_global_unicast(d.source.address)) return drop(ServerDrop::kSourceNotGlobal);

  const Ipv6Address own_ll = wire::server_link_local(config_.primary);
  const bool to_routers = ip.dst == wire::kAllRouters;
  const bool is_rs = icmp && icmp->type == wire::kIcmpRouterSolicitation;

  // Rules 4-7: is the source acceptable?
  if (ip.src.is_link_local() && to_routers && is_rs) {
    // Rule 4: accepted (secure qualification is checked with the RS below).
  } else if (const auto src = wire::TeredoAddress::from_ipv6(ip.src, config_.prefix)) {
    // Rule 5: a Teredo source must embed the datagram's own IPv4 source and port.
    if (src->mapped != d.source) return drop(ServerDrop::kTeredoSourceMismatch);
  } else {
    // Rule 6: a non-Teredo source (a relay, or a Miredo client's link-local bubble source)
    // may only reach a client of this server.
    const auto dst = wire::TeredoAddress::from_ipv6(ip.dst, config_.prefix);
    if (!dst || dst->server != config_.primary) return drop(ServerDrop::kNotAccepted);
  }

  // Destinations the server handles itself: ff02::2 and its own link-local address.
  if (to_routers || ip.dst == own_ll || ip.dst == wire::server_link_local(config_.secondary)) {
    if (is_rs) return handle_router_solicitation(now, d, *packet);
    if (icmp && icmp->type == wire::kIcmpEchoRequest && !to_routers) {
      return handle_echo_request(now, d, *packet, *icmp);
    }
    return drop(ServerDrop::kLocalNotHandled);
  }

  // §5.3.1: never forward beyond the link what is not of global scope.
  if (!is_global_scope(ip.dst)) return drop(ServerDrop::kDestinationNotGlobal);
  if (icmp && config_.max_icmpv6_payload && ip.payload_length > *config_.max_icmpv6_payload) {
    return drop(ServerDrop::kIcmpv6TooLarge);
  }

  const auto dst = wire::TeredoAddress::from_ipv6(ip.dst, config_.prefix);
  if (!dst) {
    // Native destination: relay ICMPv6 (the client's ping test, §5.2.9) to the IPv6
    // Internet as a router would, decrementing the hop limit.
    if (bubble) return drop(ServerDrop::kBubbleToNative);
    if (ip.hop_limit <= 1) return drop(ServerDrop::kHopLimitExceeded);
    if (!forward_limiter_.allow(d.source.address.value, now)) {
      return drop(ServerDrop::kRateLimitedForward);
    }
    std::memcpy(out_.data(), ip.packet.data(), ip.packet.size());
    out_[7] = static_cast<std::uint8_t>(ip.hop_limit - 1);
    ++counters_.forwarded_native;
    return {ServerOutput::Kind::kIpv6, {}, {}, Bytes(out_).first(ip.packet.size())};
  }

  // Teredo destination: its embedded mapping must be global unicast, and never ourselves.
  if (!wire::is_global_unicast(dst->mapped.address) || dst->mapped.port == 0) {
    return drop(ServerDrop::kTeredoDestinationInvalid);
  }
  if (is_own(dst->mapped.address)) return drop(ServerDrop::kLoopToOwnAddress);
  if (!forward_limiter_.allow(d.source.address.value, now)) {
    return drop(ServerDrop::kRateLimitedForward);
  }
  wire::Writer w(out_);
  // A client of this server learns who is reaching it (§5.3.1, last paragraph); that is how
  // a bubble makes the client answer directly (§5.2.3).
  if (dst->server == config_.primary) wire::write_origin_indication(w, d.source);
  w.bytes(ip.packet);
  w.bytes(ip.trailing);  // RFC 6081 §4 trailers travel intact (else §5.2.3 nonces never arrive)
  ++counters_.forwarded_teredo;
  return {ServerOutput::Kind::kUdp, config_.primary, dst->mapped, w.written()};
}

ServerOutput ServerEngine::handle_router_solicitation(TimePoint now, const ReceivedDatagram& d,
                                                      const wire::TeredoPacket& packet) {
  ++counters_.rs_received;
  const auto rs = wire::parse_router_solicitation(packet.ipv6);
  if (!rs) return drop(rs.reason());

  std::optional<wire::SecureQualification> secure;
  if (config_.require_auth) {
    if (!packet.auth) return drop(ServerDrop::kAuthMissing);
    const std::string_view id(reinterpret_cast<const char*>(packet.auth->client_id.data()),
                              packet.auth->client_id.size());
    const auto it = config_.secrets.find(id);
    if (it == config_.secrets.end()) return drop(ServerDrop::kAuthUnknownClient);
    const Bytes secret(reinterpret_cast<const std::uint8_t*>(it->second.data()), it->second.size());
    if (!wire::verify_auth_value(secret, packet)) return drop(ServerDrop::kAuthFailed);
    secure = wire::SecureQualification{packet.auth->client_id, secret};
  }
  if (!rs_limiter_.allow(d.source.address.value, now)) return drop(ServerDrop::kRateLimitedRs);
  // RFC 6081 §4.1: a trailer type that says "discard" discards the RS too.
  const auto trailers = wire::parse_trailers(packet.ipv6.trailing);
  if (!trailers) return drop(trailers.reason());
  const bool probe = trailers->filtering_probe && config_.filtering_probe_port != 0;

  // RFC 4380 §5.3.2, RFC 5991 §3.2 (servers MUST NOT ignore the cone bit): a C = 1 RS is
  // answered from the other address, so only a cone NAT lets the RA through; a C = 0 RS
  // from the address that received it. The mapping is the RS's UDP source (d.source), which
  // passed the global-unicast test above, as §5.3.2 requires of the RA's destination.
  const bool other = cone_bit(packet.ipv6.src);
  const Ipv4Address from = !other                         ? d.local
                           : d.local == config_.secondary ? config_.primary
                                                          : config_.secondary;
  wire::RaDatagramParams ra;
  ra.server = config_.primary;
  ra.prefix = config_.prefix;
  ra.client_ll = packet.ipv6.src;
  ra.mapping = d.source;
  ra.mtu = config_.mtu;
  if (packet.auth) ra.nonce = packet.auth->nonce;  // echoed: RFC 4380 §5.3.2, RFC 6081 §5.5
  ra.secure = secure;
  wire::Writer w(out_);
  if (!wire::write_ra_datagram(w, ra)) return drop(DropReason::kAuthTruncated);
  // The echoed probe trailer tells the client this server sent the probe too.
  if (probe) wire::write_filtering_probe_trailer(w);
  ++counters_.ra_sent;
  return {ServerOutput::Kind::kUdp, from, d.source, w.written(),
          probe ? config_.filtering_probe_port : std::uint16_t{0}};
}

ServerOutput ServerEngine::handle_echo_request(TimePoint now, const ReceivedDatagram& d,
                                               const wire::TeredoPacket& packet,
                                               const wire::Icmpv6View& icmp) {
  const auto echo = wire::parse_echo(icmp);
  if (!echo) return drop(echo.reason());
  if (!forward_limiter_.allow(d.source.address.value, now)) {
    return drop(ServerDrop::kRateLimitedForward);
  }
  // RFC 4443 §4.2: the reply's source is the request's destination; same id, seq and data.
  wire::Writer w(out_);
  if (!wire::write_echo(w, wire::EchoParams{false, packet.ipv6.dst, packet.ipv6.src, 255,
                                            echo->identifier, echo->sequence, echo->data})) {
    return drop(DropReason::kEchoTruncated);
  }
  ++counters_.echo_replies;
  return {ServerOutput::Kind::kUdp, d.local, d.source, w.written()};
}

}  // namespace shipworm::core
