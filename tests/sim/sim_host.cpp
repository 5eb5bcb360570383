#include "sim_host.h"

#include <cstring>

#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/ipv6_packet.h"
#include "wire/teredo_address.h"

namespace shipworm::sim {

using wire::Bytes;
using wire::Endpoint;

namespace {

constexpr std::uint8_t kIcmpDestinationUnreachable = 1;
constexpr char kMagic[5] = {'S', 'W', 'S', 'I', 'M'};

bool global_scope6(const wire::Ipv6Address& a) {
  return !a.is_link_local() && !a.is_multicast() && !a.is_unspecified();
}

}  // namespace

std::vector<std::uint8_t> app_packet(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                     std::uint32_t seq, bool reflection) {
  std::vector<std::uint8_t> buf(56);
  wire::Writer w(buf);
  wire::write_ipv6_header(w, {src, dst, kAppNextHeader, 64, 16, 0, 0});
  w.bytes(Bytes(reinterpret_cast<const std::uint8_t*>(kMagic), sizeof kMagic));
  w.u8(reflection ? 1 : 0);
  w.u32(seq);
  w.zeros(6);
  return buf;
}

std::optional<AppPacket> parse_app(Bytes packet) {
  const auto ip = wire::parse_ipv6(packet);
  if (!ip || ip->next_header != kAppNextHeader || ip->payload_length != 16) return std::nullopt;
  const Bytes p = ip->payload();
  if (std::memcmp(p.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
  return AppPacket{ip->src, ip->dst, wire::load_u32(p, 6), p[5] != 0};
}

std::size_t AppLog::count_from(const wire::Ipv6Address& src, bool reflection) const {
  std::size_t n = 0;
  for (const auto& r : received)
    n += (r.packet.src == src && r.packet.reflection == reflection) ? std::size_t{1} : 0;
  return n;
}

std::optional<core::TimePoint> AppLog::first_from(const wire::Ipv6Address& src, bool reflection,
                                                  core::TimePoint after) const {
  for (const auto& r : received) {
    if (r.at >= after && r.packet.src == src && r.packet.reflection == reflection) return r.at;
  }
  return std::nullopt;
}

// --- ClientHost -------------------------------------------------------------------------

ClientHost::ClientHost(World& world, std::string name, int region, Endpoint local,
                       core::ClientEngineConfig config)
    : SimHost(world, std::move(name), region), local_(local), random_(world.random().fork()) {
  config.qualification.local_port = local.port;
  config.hash_key = random_.next();
  config.peers.hash_key = random_.next();
  engine_ = std::make_unique<core::ClientEngine>(std::move(config), random_);
}

void ClientHost::start() {
  engine_->start(world_.now(), *this);
  world_.after_event(*this);
}

std::optional<wire::Ipv6Address> ClientHost::address() const {
  const auto a = engine_->address();
  if (!a) return std::nullopt;
  return a->to_ipv6();
}

void ClientHost::send_app(const wire::Ipv6Address& dst, std::uint32_t seq) {
  const auto src = address();
  if (!src || down_) return;
  const auto p = app_packet(*src, dst, seq, false);
  engine_->on_tun(world_.now(), p, *this);
  world_.after_event(*this);
}

void ClientHost::on_udp(const Endpoint& /*local*/, const Endpoint& from, Bytes payload) {
  engine_->on_udp(world_.now(), from, payload, *this);
}

void ClientHost::on_timer() { engine_->on_timer(world_.now(), *this); }

void ClientHost::send_udp(const Endpoint& to, Bytes payload) {
  // RFC 4380 §5.2.4: never to a non-global IPv4 (no local discovery in this engine).
  if (!wire::is_global_unicast(to.address) || to.port == 0) {
    world_.note_violation(name_ + ": client sent to non-global " + to.to_string());
  }
  world_.send_udp(*this, local_, to, payload);
}

void ClientHost::write_tun(Bytes packet) {
  world_.trace("tun", packet);
  if (const auto a = parse_app(packet)) {
    app.received.push_back({world_.now(), *a});
    if (reflect && !a->reflection) {
      // The application answers later, never from inside the engine's callback.
      const AppPacket got = *a;
      world_.queue().after(core::Duration::zero(), [this, got] {
        if (down_ || !address()) return;
        const auto p = app_packet(*address(), got.src, got.seq, true);
        engine_->on_tun(world_.now(), p, *this);
        world_.after_event(*this);
      });
    }
    return;
  }
  const auto ip = wire::parse_ipv6(packet);
  if (ip && ip->next_header == wire::kNextHeaderIcmpv6 && ip->payload_length >= 1 &&
      ip->payload()[0] == kIcmpDestinationUnreachable) {
    app.unreachable.push_back(world_.now());
  }
}

void ClientHost::address_changed(const core::AddressChange& change) {
  address_events.push_back({world_.now(), change.old_address, change.new_address});
}

void ClientHost::check(std::vector<std::string>& v) const {
  const auto& t = engine_->peers();
  const auto& c = engine_->config().peers;
  if (t.size() > t.capacity()) v.push_back(name_ + ": peer table over capacity");
  if (t.untrusted_count() > t.max_untrusted()) v.push_back(name_ + ": untrusted peers over cap");
  if (t.queued_bytes_total() > c.queue_bytes_total) v.push_back(name_ + ": queue over limit");
}

// --- ServerHost -------------------------------------------------------------------------

ServerHost::ServerHost(World& world, std::string name, int region, core::ServerEngineConfig config)
    : SimHost(world, std::move(name), region), config_(std::move(config)) {
  config_.hash_key = world.random().next();
  engine_ = std::make_unique<core::ServerEngine>(config_);
}

void ServerHost::restart(core::Duration downtime) {
  config_.hash_key = world_.random().next();
  engine_ = std::make_unique<core::ServerEngine>(config_);
  if (downtime > core::Duration::zero()) {
    world_.set_down(*this, true);
    world_.queue().after(downtime, [this] { world_.set_down(*this, false); });
  }
}

void ServerHost::on_udp(const Endpoint& local, const Endpoint& from, Bytes payload) {
  if (local.port != wire::kTeredoPort) return;
  const auto out = engine_->on_datagram(world_.now(), {from, local.address, payload});
  if (out.kind == core::ServerOutput::Kind::kNone) return;
  if (out.kind == core::ServerOutput::Kind::kUdp) {
    const auto p = wire::classify(out.payload);
    // §5.3.1/§5.3.2: never to a non-global mapping; from one of our own addresses.
    if (!wire::is_global_unicast(out.to.address)) {
      found_.push_back(name_ + ": sent to non-global " + out.to.to_string());
    }
    if (out.from != config_.primary && out.from != config_.secondary) {
      found_.push_back(name_ + ": sent from a foreign address");
    }
    if (p) {
      const auto src = wire::TeredoAddress::from_ipv6(p->ipv6.src);
      if (src && src->mapped != from) {
        found_.push_back(name_ + ": forwarded a Teredo source that does not match its UDP source");
      }
      const auto dst = wire::TeredoAddress::from_ipv6(p->ipv6.dst);
      if (!src && !p->ipv6.src.is_link_local() && (!dst || dst->server != config_.primary)) {
        found_.push_back(name_ + ": forwarded a native source to a client of another server");
      }
    }
    world_.send_udp(*this, {out.from, wire::kTeredoPort}, out.to, out.payload);
    return;
  }
  const auto ip = wire::parse_ipv6(out.payload);
  if (!ip || ip->next_header != wire::kNextHeaderIcmpv6 || wire::is_teredo(ip->dst) ||
      !global_scope6(ip->dst)) {
    found_.push_back(name_ + ": forwarded a forbidden packet to the IPv6 side");
  } else if (const auto src = wire::TeredoAddress::from_ipv6(ip->src);
             !src || src->mapped != from) {
    found_.push_back(name_ + ": forwarded natively a packet whose source is not the sender");
  }
  world_.cloud().send(region_, out.payload);
}

void ServerHost::check(std::vector<std::string>& v) const {
  if (!found_.empty()) v.insert(v.end(), found_.begin(), found_.end());
  const_cast<ServerHost*>(this)->found_.clear();
}

// --- RelayHost --------------------------------------------------------------------------

RelayHost::RelayHost(World& world, std::string name, int region, Endpoint endpoint,
                     core::RelayEngineConfig config, bool nonces)
    : SimHost(world, std::move(name), region),
      endpoint_(endpoint),
      random_(world.random().fork()),
      config_(std::move(config)) {
  config_.hash_key = world.random().next();
  config_.table.hash_key = world.random().next();
  // As the daemon does (relay_daemon.cpp): nonces in indirect bubbles, so that clients
  // behind symmetric NATs can answer them (RFC 6081 §5.2).
  config_.random = nonces ? &random_ : nullptr;
  if (config_.own_ipv4.empty()) config_.own_ipv4.push_back(endpoint.address);
  engine_ = std::make_unique<core::RelayEngine>(config_);
}

void RelayHost::restart(core::Duration downtime) {
  engine_ = std::make_unique<core::RelayEngine>(config_);
  if (downtime > core::Duration::zero()) {
    world_.set_down(*this, true);
    world_.queue().after(downtime, [this] { world_.set_down(*this, false); });
  } else {
    world_.after_event(*this);
  }
}

void RelayHost::on_udp(const Endpoint& local, const Endpoint& from, Bytes payload) {
  if (local != endpoint_) return;
  udp_from_ = from;
  engine_->on_udp(world_.now(), from, payload, *this);
  udp_from_.reset();
}

void RelayHost::on_ipv6(Bytes packet) { engine_->on_tun(world_.now(), packet, *this); }

std::optional<core::TimePoint> RelayHost::deadline() const {
  const auto d = engine_->next_deadline();
  if (d == core::kNoDeadline) return std::nullopt;
  return d;
}

void RelayHost::on_timer() { engine_->on_timer(world_.now(), *this); }

void RelayHost::send_udp(const Endpoint& to, Bytes payload) {
  if (!wire::is_global_unicast(to.address) || to.port == 0) {
    found_.push_back(name_ + ": relay sent to non-global " + to.to_string());
  }
  world_.send_udp(*this, endpoint_, to, payload);
}

void RelayHost::write_tun(Bytes packet) {
  const auto ip = wire::parse_ipv6(packet);
  if (!ip) {
    found_.push_back(name_ + ": relay wrote a malformed IPv6 packet");
    return;
  }
  if (udp_from_) {
    // §5.4.2: only what a client sent from the mapping its Teredo source embeds, or (RFC
    // 6081 §5.2, with nonces) from the mapping a bubble echoing our nonce proved, which the
    // relay then holds for that trusted peer.
    const auto src = wire::TeredoAddress::from_ipv6(ip->src);
    const auto& peers = engine_->peers();
    const core::PeerId id = peers.find(ip->src);
    const bool proved = config_.random != nullptr && id != core::kNoPeer && peers[id].trusted() &&
                        peers[id].mapping == *udp_from_;
    if (!src || (src->mapped != *udp_from_ && !proved)) {
      found_.push_back(name_ + ": relay forwarded a native packet whose Teredo source " +
                       ip->src.to_string() + " does not match its UDP source " +
                       udp_from_->to_string());
    }
    if (wire::is_teredo(ip->dst) || !global_scope6(ip->dst)) {
      found_.push_back(name_ + ": relay forwarded to a Teredo or non-global destination");
    }
  }
  world_.cloud().send(region_, ip->packet);
}

void RelayHost::check(std::vector<std::string>& v) const {
  if (!found_.empty()) v.insert(v.end(), found_.begin(), found_.end());
  const_cast<RelayHost*>(this)->found_.clear();
  const auto& t = engine_->peers();
  if (t.size() > t.capacity()) v.push_back(name_ + ": relay peer table over capacity");
  if (t.untrusted_count() > t.max_untrusted()) v.push_back(name_ + ": relay untrusted over cap");
  if (t.queued_bytes_total() > config_.table.queue_bytes_total) {
    v.push_back(name_ + ": relay queue over limit");
  }
}

// --- NativeHost -------------------------------------------------------------------------

NativeHost::NativeHost(World& world, std::string name, int region, wire::Ipv6Address address)
    : SimHost(world, std::move(name), region), address_(address) {
  world.cloud().add_native(this, address);
}

void NativeHost::send_app(const wire::Ipv6Address& dst, std::uint32_t seq) {
  world_.cloud().send(region_, app_packet(address_, dst, seq, false));
}

void NativeHost::on_ipv6(Bytes packet) {
  const auto ip = wire::parse_ipv6(packet);
  if (!ip || ip->dst != address_) return;
  if (const auto a = parse_app(packet)) {
    app.received.push_back({world_.now(), *a});
    if (reflect && !a->reflection)
      world_.cloud().send(region_, app_packet(address_, a->src, a->seq, true));
    return;
  }
  if (ip->next_header != wire::kNextHeaderIcmpv6) return;
  const auto icmp = wire::parse_icmpv6(*ip);
  if (!icmp) return;
  if (icmp->type == kIcmpDestinationUnreachable) {
    app.unreachable.push_back(world_.now());
    return;
  }
  if (icmp->type != wire::kIcmpEchoRequest) return;
  const auto echo = wire::parse_echo(*icmp);
  if (!echo) return;
  std::vector<std::uint8_t> buf(wire::kIpv6HeaderSize + 8 + echo->data.size());
  wire::Writer w(buf);
  if (!wire::write_echo(
          w, {false, address_, ip->src, 64, echo->identifier, echo->sequence, echo->data}))
    return;
  ++echo_replies_sent;
  world_.cloud().send(region_, w.written());
}

}  // namespace shipworm::sim
