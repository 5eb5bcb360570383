#include "core/network_watch.h"

#include <algorithm>
#include <utility>

namespace shipworm::core {

std::string HostPath::to_string() const {
  std::string s = (interface.empty() ? "ifindex " + std::to_string(ifindex) : interface) + " " +
                  source.to_string();
  if (gateway) s += " via " + gateway->to_string();
  return s;
}

namespace {

std::string describe(const std::optional<HostPath>& p) {
  return p ? p->to_string() : std::string("no route");
}

}  // namespace

NetworkWatch::NetworkWatch(NetworkWatchConfig config) : config_(config) {}

void NetworkWatch::reset(std::optional<HostPath> path) {
  path_ = std::move(path);
  pending_ = false;
  touched_.clear();
}

void NetworkWatch::on_event(TimePoint now, const HostNetworkEvent& e) {
  if (!pending_) first_ = now;
  pending_ = true;
  last_ = now;
  if (!path_ || !touched_.empty() || e.ifindex != path_->ifindex) return;
  const std::string& name = path_->interface;
  switch (e.kind) {
    case HostNetworkEvent::Kind::kLink:
      if (e.removed) {
        touched_ = "interface " + name + " removed";
      } else if (!e.link_up) {
        touched_ = "link " + name + " went down";
      }
      break;
    case HostNetworkEvent::Kind::kAddress:
      if (e.removed && e.address == path_->source) {
        touched_ = "address " + e.address.to_string() + " removed from " + name;
      }
      break;
    case HostNetworkEvent::Kind::kRoute:
      break;  // the route lookup at look() tells
  }
}

void NetworkWatch::on_lost_events(TimePoint now) {
  if (!pending_) first_ = now;
  pending_ = true;
  last_ = now;
  if (touched_.empty()) touched_ = "network notifications were lost";
}

TimePoint NetworkWatch::deadline() const {
  if (!pending_) return kNoDeadline;
  const TimePoint settled = std::min(last_ + config_.settle, first_ + config_.max_settle);
  return std::max(settled, hold_until_);
}

std::optional<std::string> NetworkWatch::look(TimePoint now, const std::optional<HostPath>& path) {
  if (!pending_ || now < deadline()) return std::nullopt;
  pending_ = false;
  std::string why;
  if (path != path_) {
    why = "the path toward the server changed: " + describe(path_) + " -> " + describe(path);
  } else if (!touched_.empty()) {
    why = touched_ + " (the path toward the server is " + describe(path) + " again)";
  }
  touched_.clear();
  path_ = path;
  if (why.empty()) return std::nullopt;
  changed_at_ = first_;

  while (!recent_.empty() && now - recent_.front() >= config_.flap_window) recent_.pop_front();
  recent_.push_back(now);
  const auto n = static_cast<int>(recent_.size());
  if (n >= config_.free_changes) {
    Duration hold = config_.hold_down;
    for (int i = config_.free_changes; i < n && hold < config_.max_hold_down; ++i) hold *= 2;
    hold_until_ = now + std::min(hold, config_.max_hold_down);
    why += " (changing often: the next change waits " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                              std::min(hold, config_.max_hold_down))
                              .count()) +
           " s)";
  }
  return why;
}

}  // namespace shipworm::core
