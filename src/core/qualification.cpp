#include "core/qualification.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "wire/auth_hmac.h"
#include "wire/messages.h"
#include "wire/router_discovery.h"

namespace shipworm::core {
namespace {

constexpr std::size_t kRsScratch = 256;  // auth (13 + id + 20) + RS (48)

std::nullopt_t drop(ClientCounters& counters, std::string* why, ClientDrop d) {
  counters.drop(d);
  if (why) *why = to_string(d);
  return std::nullopt;
}
std::nullopt_t drop(ClientCounters& counters, std::string* why, wire::DropReason r) {
  counters.drop(r);
  if (why) *why = to_string(r);
  return std::nullopt;
}

// "203.0.113.7:4000" for the first, and ":4011" or "203.0.113.8:4011" for the second,
// depending on whether only the port differs.
std::string describe_pair(const wire::Endpoint& a, const wire::Endpoint& b) {
  const std::string second = a.address == b.address ? ":" + std::to_string(b.port) : b.to_string();
  return "mapping " + a.to_string() + " via primary, " + second + " via secondary";
}

}  // namespace

bool looks_like_router_advertisement(const wire::TeredoPacket& packet) {
  const auto& ip = packet.ipv6;
  return ip.next_header == wire::kNextHeaderIcmpv6 && ip.payload_length >= 1 &&
         ip.payload()[0] == wire::kIcmpRouterAdvertisement;
}

std::optional<AcceptedRa> accept_router_advertisement(const RaExpectation& expect,
                                                      const wire::Endpoint& source,
                                                      const wire::TeredoPacket& packet,
                                                      ClientCounters& counters, std::string* why) {
  // The UDP source must be the address we solicited, on port 3544. With C = 0 a server
  // answers from the address that received the RS (RFC 5991 §3.2); only a C = 1 RS is
  // answered from the other one, and we never send those.
  if (source != expect.from) return drop(counters, why, ClientDrop::kRaWrongSource);
  if (!packet.origin) return drop(counters, why, ClientDrop::kRaNoOrigin);
  // We always send a nonce; the server echoes it (RFC 4380 §5.2.2, §5.3.2). Without the
  // echo an off-path attacker who guesses our port could feed us a mapping.
  if (!packet.auth) return drop(counters, why, ClientDrop::kRaNoAuth);
  if (packet.auth->nonce != expect.nonce) {
    return drop(counters, why, ClientDrop::kRaNonceMismatch);
  }
  if (expect.credentials) {
    const wire::Bytes secret(expect.credentials->secret);
    if (!wire::verify_auth_value(secret, packet)) {
      return drop(counters, why, ClientDrop::kRaAuthFailed);
    }
  }
  // RFC 4861 §6.1.2 validity (link-local source, hop limit 255, checksum, code, lengths).
  const auto ra = wire::parse_router_advertisement(packet.ipv6);
  if (!ra) return drop(counters, why, ra.reason());
  if (packet.ipv6.dst != expect.rs_source) {
    return drop(counters, why, ClientDrop::kRaWrongDestination);
  }
  if (ra->prefix_count != 1) return drop(counters, why, ClientDrop::kRaPrefixCount);
  const wire::Ipv6Address want = wire::teredo_prefix(expect.server);
  if (ra->prefix.prefix_length != 64 ||
      !std::equal(want.bytes.begin(), want.bytes.begin() + 8, ra->prefix.prefix.bytes.begin())) {
    return drop(counters, why, ClientDrop::kRaWrongPrefix);
  }
  // RFC 4380 §4: a global Teredo address embeds a global unicast IPv4 address.
  if (!wire::is_global_unicast(packet.origin->address) || packet.origin->port == 0) {
    return drop(counters, why, ClientDrop::kRaMappingNotGlobal);
  }
  ++counters.ra_accepted;
  AcceptedRa out;
  out.mapping = *packet.origin;
  // RFC 4380 §5.1.2: the link MTU is at least 1280; a larger advertised value is used.
  if (ra->mtu && *ra->mtu > wire::kDefaultMtu && *ra->mtu <= wire::kMaxUdpPayload) {
    out.mtu = *ra->mtu;
  }
  return out;
}

void send_router_solicitation(const wire::Endpoint& to, const wire::Nonce& nonce,
                              const std::optional<ClientCredentials>& credentials, ActionSink& sink,
                              ClientCounters& counters) {
  std::array<std::uint8_t, kRsScratch> buf{};
  wire::Writer w(buf);
  std::optional<wire::SecureQualification> secure;
  if (credentials) secure = wire::SecureQualification{credentials->client_id, credentials->secret};
  const bool ok = wire::write_rs_datagram(w, nonce, /*cone=*/false, secure);
  assert(ok && "RS scratch buffer too small");  // a client ID longer than ~200 bytes
  if (!ok) return;
  ++counters.rs_sent;
  sink.send_udp(to, w.written());
}

Qualification::Qualification(QualificationConfig config, RandomSource& random,
                             ClientCounters& counters)
    : config_(std::move(config)), random_(random), counters_(counters) {
  assert(config_.attempts >= 1);
  assert(config_.timeout > Duration::zero());
}

wire::Endpoint Qualification::target() const {
  return phase_ == Phase::kSecondary ? server_.secondary_endpoint() : server_.primary_endpoint();
}

void Qualification::start(TimePoint now, const ServerPair& server, ActionSink& sink) {
  server_ = server;
  result_ = {};
  cause_.clear();
  nat_ = NatType::kUnknown;
  begin_phase(now, Phase::kPrimary, sink);
}

void Qualification::cancel() {
  if (running()) phase_ = Phase::kIdle;
}

void Qualification::begin_phase(TimePoint now, Phase phase, ActionSink& sink) {
  phase_ = phase;
  attempts_ = 0;
  last_drop_.clear();
  random_.fill(nonce_);  // fresh per phase; retransmissions of the phase reuse it
  send(now, sink);
}

void Qualification::send(TimePoint now, ActionSink& sink) {
  ++attempts_;
  deadline_ = now + config_.timeout;
  send_router_solicitation(target(), nonce_, config_.credentials, sink, counters_);
}

TimePoint Qualification::deadline() const {
  if (!running()) return kNoDeadline;
  return deadline_;
}

Qualification::Step Qualification::on_timer(TimePoint now, ActionSink& sink) {
  if (!running() || now < deadline_) return Step::kNothing;
  if (attempts_ < config_.attempts) {
    send(now, sink);
    return Step::kNothing;
  }
  std::string cause = "no reply from " + target().to_string() + " after " +
                      std::to_string(attempts_) + (attempts_ == 1 ? " try" : " tries");
  if (!last_drop_.empty()) cause += " (last RA rejected: " + last_drop_ + ")";
  if (phase_ == Phase::kPrimary)
    return fail(NatType::kBlocked, "UDP blocked or server down: " + cause);
  if (config_.secondary_optional) return finish({}, false);
  return fail(NatType::kUnknown, "secondary server address unreachable: " + cause);
}

Qualification::Step Qualification::on_datagram(TimePoint now, const wire::Endpoint& source,
                                               const wire::TeredoPacket& packet, ActionSink& sink) {
  if (!running()) {
    counters_.drop(ClientDrop::kRaUnexpected);
    return Step::kNothing;
  }
  const wire::Ipv6Address rs_source = wire::client_rs_link_local(false);
  RaExpectation expect{target(), server_.primary, rs_source, nonce_,
                       config_.credentials ? &*config_.credentials : nullptr};
  const auto ra = accept_router_advertisement(expect, source, packet, counters_, &last_drop_);
  if (!ra) return Step::kNothing;
  if (phase_ == Phase::kPrimary) {
    primary_mapping_ = ra->mapping;
    mtu_ = ra->mtu;
    begin_phase(now, Phase::kSecondary, sink);
    return Step::kNothing;
  }
  return finish(ra->mapping, true);
}

Qualification::Step Qualification::finish(const wire::Endpoint& secondary_mapping,
                                          bool secondary_answered) {
  QualificationResult r;
  r.server = server_;
  r.mapping = primary_mapping_;
  r.mtu = mtu_;
  r.port_preserving = primary_mapping_.port == config_.local_port;  // RFC 6081 §5.4.3
  if (secondary_answered) {
    r.secondary_mapping = secondary_mapping;
    r.symmetric = secondary_mapping != primary_mapping_;  // RFC 6081 §5.3.3
  }
  const bool no_nat = config_.local_address && *config_.local_address == primary_mapping_.address &&
                      config_.local_port == primary_mapping_.port;
  if (!secondary_answered) {
    r.nat = NatType::kUnknown;
  } else if (r.symmetric) {
    r.nat = NatType::kSymmetric;
  } else {
    r.nat = no_nat ? NatType::kNone : NatType::kConeOrRestricted;
  }
  nat_ = r.nat;
  if (r.symmetric) {
    const std::string what = "symmetric NAT: " + describe_pair(primary_mapping_, secondary_mapping);
    if (config_.symmetric_policy == SymmetricNatResponse::kStop) {
      return fail(NatType::kSymmetric, what + "; Teredo unusable (RFC 4380 §5.2.1)");
    }
    r.summary = what + "; keeping the primary mapping (RFC 6081 §5.2)";
  } else if (!secondary_answered) {
    r.summary = "mapping " + primary_mapping_.to_string() +
                " via primary, no reply from secondary " +
                server_.secondary_endpoint().to_string() + "; NAT type unknown";
  } else {
    r.summary =
        "mapping " + primary_mapping_.to_string() + ", NAT " + std::string(to_string(r.nat));
  }
  if (r.port_preserving && r.nat != NatType::kNone) r.summary += ", port-preserving";
  // RFC 5991 §3.1: C = 0 and 12 random bits from the CSPRNG.
  r.address =
      wire::TeredoAddress{server_.primary, wire::make_flags(false, random_.u16()), r.mapping};
  result_ = std::move(r);
  phase_ = Phase::kDone;
  ++counters_.qualifications;
  return Step::kQualified;
}

Qualification::Step Qualification::fail(NatType nat, std::string cause) {
  nat_ = nat;
  cause_ = std::move(cause);
  phase_ = Phase::kFailed;
  ++counters_.qualification_failures;
  return Step::kFailed;
}

}  // namespace shipworm::core
