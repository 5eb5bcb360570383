#include "core/maintenance.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace shipworm::core {

Maintenance::Maintenance(MaintenanceConfig config, RandomSource& random, ClientCounters& counters)
    : config_(std::move(config)), random_(random), counters_(counters) {
  // Bad user input is rejected by the config layer; here it is a bug, so assert.
  assert(config_.refresh_interval > Duration::zero());
  assert(config_.randomize_low >= 0.5 && config_.randomize_high <= 1.5);
  assert(config_.randomize_low <= config_.randomize_high);
  assert(config_.attempts >= 1);
}

void Maintenance::start(TimePoint now, const QualificationResult& qualified) {
  running_ = true;
  server_ = qualified.server;
  address_ = qualified.address;
  mtu_ = qualified.mtu;
  last_rx_ = now;
  attempts_ = 0;
  nonce_valid_ = false;
  cause_.clear();
  draw_interval();
}

void Maintenance::stop() {
  running_ = false;
  attempts_ = 0;
  nonce_valid_ = false;
}

void Maintenance::draw_interval() {
  const double f =
      config_.randomize_low + (config_.randomize_high - config_.randomize_low) * random_.unit();
  interval_ = std::chrono::duration_cast<Duration>(config_.refresh_interval * f);
}

TimePoint Maintenance::deadline() const {
  if (!running_) return kNoDeadline;
  return attempts_ > 0 ? retry_at_ : last_rx_ + interval_;
}

void Maintenance::send(TimePoint now, ActionSink& sink) {
  ++attempts_;
  retry_at_ = now + config_.timeout;
  send_router_solicitation(server_.primary_endpoint(), nonce_, config_.credentials, sink,
                           counters_);
}

Maintenance::Step Maintenance::on_timer(TimePoint now, ActionSink& sink) {
  if (!running_) return Step::kNothing;
  if (attempts_ == 0) {
    // RFC 4380 §5.2.5: nothing from the server within the randomized interval -> RS.
    if (now >= last_rx_ + interval_) refresh_now(now, sink);
    return Step::kNothing;
  }
  if (now < retry_at_) return Step::kNothing;
  if (attempts_ < config_.attempts) {
    send(now, sink);
    return Step::kNothing;
  }
  cause_ = "server " + server_.primary_endpoint().to_string() + " lost: no reply after " +
           std::to_string(attempts_) + " solicitations";
  ++counters_.server_losses;
  stop();
  return Step::kServerLost;
}

bool Maintenance::refresh_now(TimePoint now, ActionSink& sink) {
  if (!running_ || attempts_ > 0) return false;
  random_.fill(nonce_);
  nonce_valid_ = true;
  send(now, sink);
  return true;
}

Maintenance::Step Maintenance::on_datagram(TimePoint now, const wire::Endpoint& source,
                                           const wire::TeredoPacket& packet, ActionSink&) {
  if (!running_ || !nonce_valid_) {
    counters_.drop(ClientDrop::kRaUnexpected);
    return Step::kNothing;
  }
  const RaExpectation expect{server_.primary_endpoint(), server_.primary,
                             wire::client_rs_link_local(false), nonce_,
                             config_.credentials ? &*config_.credentials : nullptr};
  const auto ra = accept_router_advertisement(expect, source, packet, counters_);
  if (!ra) return Step::kNothing;
  last_rx_ = now;
  attempts_ = 0;
  mtu_ = ra->mtu;
  draw_interval();
  if (ra->mapping == address_.mapped) return Step::kRefreshed;
  // RFC 4380 §5.2.5: a new mapping makes the old address invalid. The random bits are
  // redrawn only now; while the mapping is unchanged they stay, so the address does too.
  cause_ = "mapping changed from " + address_.mapped.to_string() + " to " + ra->mapping.to_string();
  address_ =
      wire::TeredoAddress{server_.primary, wire::make_flags(false, random_.u16()), ra->mapping};
  ++counters_.address_changes;
  return Step::kMappingChanged;
}

ServerRotation::ServerRotation(std::vector<ServerPair> servers, RetryConfig config,
                               RandomSource& random)
    : servers_(std::move(servers)), config_(config), random_(random) {
  assert(!servers_.empty());
  assert(config_.initial_backoff > Duration::zero());
  assert(config_.max_backoff >= config_.initial_backoff);
}

Duration ServerRotation::after_failure() {
  ++failures_;
  index_ = (index_ + 1) % servers_.size();
  const auto n = static_cast<int>(servers_.size());
  if (failures_ % n != 0) return Duration::zero();  // a server not yet tried in this streak
  const int rounds = failures_ / n;
  Duration backoff = config_.initial_backoff;
  for (int i = 1; i < rounds && backoff < config_.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, config_.max_backoff);
  const double f = 0.75 + 0.25 * random_.unit();
  return std::chrono::duration_cast<Duration>(backoff * f);
}

void ServerRotation::after_loss() {
  failures_ = 0;
  index_ = (index_ + 1) % servers_.size();
}

}  // namespace shipworm::core
