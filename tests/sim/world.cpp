#include "world.h"

#include <algorithm>

namespace shipworm::sim {

World::World(std::uint64_t seed, core::TimePoint start)
    : queue_(start), random_(seed), cloud_(*this) {}

void World::attach_public(SimHost& host, wire::Ipv4Address address, LinkProfile link) {
  if (host.link_ == nullptr) {
    links_.push_back(std::make_unique<LinkProfile>(link));
    host.link_ = links_.back().get();
  }
  public_[address] = Attachment{&host, nullptr};
}

NatModel& World::add_nat(NatConfig config, LinkProfile link) {
  auto box = std::make_unique<NatBox>();
  box->model = std::make_unique<NatModel>(config, random_.fork());
  box->link = link;
  NatModel& m = *box->model;
  public_[config.public_ip] = Attachment{nullptr, &m};
  nats_.push_back(std::move(box));
  return m;
}

void World::attach_private(SimHost& host, NatModel& nat, wire::Ipv4Address address) {
  host.nat_ = &nat;
  host.link_ = &link_of(nat);
  private_[address] = &host;
}

LinkProfile& World::link_of(SimHost& host) { return *host.link_; }

LinkProfile& World::link_of(NatModel& nat) {
  for (auto& b : nats_) {
    if (b->model.get() == &nat) return b->link;
  }
  std::abort();
}

void World::trace(std::string_view what, wire::Bytes data) {
  auto mix = [this](std::uint8_t b) {
    trace_hash_ ^= b;
    trace_hash_ *= 1099511628211ULL;
  };
  const auto t = static_cast<std::uint64_t>(now().time_since_epoch().count());
  for (int i = 0; i < 8; ++i) mix(static_cast<std::uint8_t>(t >> (8 * i)));
  for (char c : what) mix(static_cast<std::uint8_t>(c));
  for (auto b : data) mix(b);
}

namespace {
std::vector<std::uint8_t> endpoints_bytes(const wire::Endpoint& a, const wire::Endpoint& b) {
  std::vector<std::uint8_t> v(12);
  wire::store_u32(v, 0, a.address.value);
  wire::store_u16(v, 4, a.port);
  wire::store_u32(v, 6, b.address.value);
  wire::store_u16(v, 10, b.port);
  return v;
}
}  // namespace

void World::send_udp(SimHost& from, const wire::Endpoint& local, const wire::Endpoint& to,
                     wire::Bytes payload) {
  ++datagrams_sent_;
  std::vector<std::uint8_t> copy(payload.begin(), payload.end());
  wire::Endpoint source = local;
  if (from.nat_ != nullptr) {
    NatModel& nat = *from.nat_;
    const auto pub = nat.outbound(local, to, now());
    if (!pub) {
      ++datagrams_dropped_;
      return;
    }
    source = *pub;
    if (to.address == nat.config().public_ip) {
      // Hairpinning (RFC 4787 §6): looped back inside with the translated source, or lost.
      if (!nat.config().hairpinning) {
        ++datagrams_dropped_;
        return;
      }
      queue_.after(std::chrono::milliseconds(1),
                   [this, source, to, copy = std::move(copy)] { arrive(source, to, copy); });
      return;
    }
  }
  const auto dest = public_.find(to.address);
  if (dest == public_.end()) {
    ++datagrams_dropped_;  // no such address on the IPv4 internet
    return;
  }
  const LinkProfile& out_link = *from.link_;
  const LinkProfile* in_link = nullptr;
  if (dest->second.host != nullptr) {
    in_link = dest->second.host->link_;
  } else {
    in_link = &link_of(*dest->second.nat);
  }
  const auto delays = transit(out_link, *in_link, random_);
  if (delays.empty()) ++datagrams_dropped_;
  for (const auto d : delays) {
    queue_.after(d, [this, source, to, copy] { arrive(source, to, copy); });
  }
}

void World::arrive(const wire::Endpoint& from, const wire::Endpoint& to,
                   const std::vector<std::uint8_t>& payload) {
  const auto dest = public_.find(to.address);
  if (dest == public_.end()) return;
  if (dest->second.host != nullptr) {
    deliver(*dest->second.host, to, from, payload);
    return;
  }
  const auto inside = dest->second.nat->inbound(from, to.port, now());
  if (!inside) {
    ++datagrams_dropped_;
    trace("nat-filtered", endpoints_bytes(from, to));
    return;
  }
  const auto host = private_.find(inside->address);
  if (host == private_.end()) return;
  deliver(*host->second, *inside, from, payload);
}

void World::deliver(SimHost& host, const wire::Endpoint& local, const wire::Endpoint& from,
                    const std::vector<std::uint8_t>& payload) {
  if (host.down_) {
    ++datagrams_dropped_;
    return;
  }
  trace("udp", endpoints_bytes(from, local));
  trace("payload", payload);
  host.on_udp(local, from, payload);
  after_event(host);
}

void World::set_down(SimHost& host, bool down) {
  host.down_ = down;
  ++host.timer_gen_;
  host.scheduled_.reset();
  if (!down) reschedule(host);
}

void World::after_event(SimHost& host) {
  reschedule(host);
  check_invariants();
}

void World::reschedule(SimHost& host) {
  if (host.down_) return;
  const auto d = host.deadline();
  if (d == host.scheduled_) return;
  const std::uint64_t gen = ++host.timer_gen_;
  host.scheduled_ = d;
  if (!d) return;
  queue_.at(*d, [this, &host, gen] { fire(host, gen); });
}

void World::fire(SimHost& host, std::uint64_t gen) {
  if (gen != host.timer_gen_ || host.down_) return;
  host.scheduled_.reset();
  if (now() == host.last_fire_) {
    if (++host.same_instant_fires_ > 1000) {
      note_violation(host.name() + ": timer livelock (deadline never advances)");
      return;
    }
  } else {
    host.last_fire_ = now();
    host.same_instant_fires_ = 0;
  }
  trace("timer", {});
  host.on_timer();
  after_event(host);
}

void World::check_invariants() {
  max_queue_ = std::max(max_queue_, queue_.size());
  if (queue_.size() > queue_limit) {
    note_violation("event queue exceeds " + std::to_string(queue_limit));
    queue_limit = static_cast<std::size_t>(-1);  // report once
  }
  for (const auto& h : hosts_) h->check(violations_);
  for (const auto& b : nats_) {
    if (b->model->size() > b->model->config().max_mappings) note_violation("NAT table overflow");
  }
}

void World::run_until(core::TimePoint t) {
  while (queue_.run_one(t)) {
  }
  queue_.advance_to(t);
}

bool World::run_until_true(const std::function<bool()>& pred, core::Duration limit) {
  const core::TimePoint end = now() + limit;
  if (pred()) return true;
  while (queue_.run_one(end)) {
    if (pred()) return true;
  }
  queue_.advance_to(end);
  return pred();
}

}  // namespace shipworm::sim
