// ClientEngine: construction, the client state machine (qualification, maintenance, server
// failover) and the entry points. The data path lives beside it: client_receive.cpp
// (RFC 4380 §5.2.3), client_send.cpp (§5.2.4) and client_peer_timers.cpp (§5.2.6, §5.2.9).
#include "core/client_engine.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace shipworm::core {
namespace {

constexpr std::size_t kScratchSize = wire::kMaxUdpPayload + 64;

std::string one_decimal(double v) {
  std::array<char, 32> b{};
  std::snprintf(b.data(), b.size(), "%.1f", v);
  return b.data();
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
  s.last_network_change = change_;
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
    if (change_ && !change_->recovered_in) change_->recovered_in = now - change_->at;
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

void ClientEngine::note_network_change(TimePoint at, NetworkTrigger trigger, std::string cause) {
  ++counters_.network_changes[static_cast<std::size_t>(trigger)];
  change_ = NetworkChange{at, trigger, std::move(cause), std::nullopt};
}

void ClientEngine::on_network_change(TimePoint now, std::string cause, ActionSink& sink,
                                     std::optional<TimePoint> since) {
  requalify(now, NetworkTrigger::kNetwork, std::move(cause), sink,
            std::min(since.value_or(now), now));
}

void ClientEngine::requalify(TimePoint now, NetworkTrigger trigger, std::string cause,
                             ActionSink& sink, TimePoint since) {
  if (state_ == ClientState::kInitial) return;  // start() qualifies on the network as it is
  note_network_change(since, trigger, cause);
  if (state_ == ClientState::kQualified) {
    withdraw_address(cause, sink);
    maintenance_.stop();
  }
  qualification_.cancel();
  clear_peers();
  unanswered_since_.reset();
  probe_from_.reset();
  // Another network: the failure streak of the last one (and its backoff) does not apply.
  rotation_.after_success();
  begin_qualification(now, std::move(cause) + "; re-qualifying at once", sink);
}

TimePoint ClientEngine::probe_deadline() const {
  if (!unanswered_since_ || maintenance_.soliciting()) return kNoDeadline;
  if (last_sent_ - *unanswered_since_ < config_.unanswered_resend) return kNoDeadline;
  return std::max(*unanswered_since_ + config_.unanswered_probe_after, next_probe_);
}

void ClientEngine::maybe_probe(TimePoint now, ActionSink& sink) {
  if (now < probe_deadline()) return;
  if (!maintenance_.refresh_now(now, sink)) return;
  ++counters_.early_probes;
  probe_from_ = unanswered_since_;
  next_probe_ = now + config_.early_probe_spacing;
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
  if (step == Maintenance::Step::kNothing) return;
  const std::optional<TimePoint> probe_from = std::exchange(probe_from_, std::nullopt);
  if (step == Maintenance::Step::kMappingChanged) {
    const wire::Ipv6Address old = own_;
    own_ = maintenance_.address().to_ipv6();
    // The peers' entries and trust were learned through the old mapping, and they know us by
    // the old address: start over with each of them.
    clear_peers();
    unanswered_since_.reset();
    if (probe_from) {
      // The probe was right: the spacing only holds back probes that found nothing.
      next_probe_ = now;
      cause_ = "traffic unanswered for " + one_decimal(seconds_between(*probe_from, now)) +
               " s; early refresh: " + maintenance_.cause();
      note_network_change(*probe_from, NetworkTrigger::kDeadMapping, cause_);
    } else {
      cause_ = maintenance_.cause();
      note_network_change(now, NetworkTrigger::kRefresh, cause_);
    }
    change_->recovered_in = now - change_->at;
    AddressChange change{old, own_, maintenance_.mtu(), cause_};
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

TimePoint ClientEngine::next_deadline() const {
  switch (state_) {
    case ClientState::kInitial:
      return kNoDeadline;
    case ClientState::kStarting:
      return qualification_.deadline();
    case ClientState::kOffline:
      return retry_at_.value_or(kNoDeadline);
    case ClientState::kQualified:
      return std::min({maintenance_.deadline(), peers_.next_deadline(), probe_deadline()});
  }
  return kNoDeadline;
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
    case ClientState::kQualified: {
      // Called long after our own deadline: the host was asleep (or the process stopped),
      // and the NAT may have dropped the mapping meanwhile. Do not trust it: qualify again.
      const TimePoint due = next_deadline();
      if (due != kNoDeadline && now - due > config_.suspend_gap) {
        const auto late = std::chrono::duration_cast<std::chrono::seconds>(now - due).count();
        requalify(now, NetworkTrigger::kResume,
                  "timers ran " + std::to_string(late) +
                      " s late (the host was asleep?); the NAT mapping may have expired",
                  sink, now);
        return;
      }
      for (PeerId id = peers_.pop_due(now); id != kNoPeer; id = peers_.pop_due(now)) {
        peer_timer(now, id, sink);
      }
      maybe_probe(now, sink);
      on_maintenance_step(now, maintenance_.on_timer(now, sink), sink);
      return;
    }
  }
}

// --- packets in: reception (client_receive.cpp) and transmission (client_send.cpp) ---------

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
  unanswered_since_.reset();  // something came back: the path through the NAT works
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
  from_tun(now, *parsed, sink);
}

// --- peers ------------------------------------------------------------------------------

PeerId ClientEngine::find_or_create_peer(const wire::Ipv6Address& a, TimePoint now) {
  const auto ins = peers_.find_or_create(a, now);
  // An entry evicted to make room takes its queued packets with it.
  counters_.dropped[static_cast<std::size_t>(ClientDrop::kPeerTableFull)] +=
      ins.evicted_queued_packets;
  return ins.id;
}

}  // namespace shipworm::core
