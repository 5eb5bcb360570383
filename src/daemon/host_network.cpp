#include "daemon/host_network.h"

#include <linux/if.h>

#include <cerrno>

namespace shipworm::daemon {

bool HostNetwork::open() {
  auto monitor = os::NetworkMonitor::open();
  if (!monitor) {
    log_.warning("not following the host's network (re-qualifying only on refresh): {}",
                 monitor.error().message());
    return false;
  }
  auto nl = os::Netlink::open();
  if (!nl) {
    log_.warning("not following the host's network (re-qualifying only on refresh): {}",
                 nl.error().message());
    return false;
  }
  monitor_.emplace(std::move(monitor.value()));
  nl_.emplace(std::move(nl.value()));
  return true;
}

std::optional<core::HostPath> HostNetwork::lookup() {
  if (!nl_ || !server_) return std::nullopt;
  auto r = nl_->ipv4_route_to(*server_);
  if (!r) {
    log_.warning("route toward {}: {}", server_->to_string(), r.error().message());
    return std::nullopt;
  }
  if (!r.value()) return std::nullopt;
  const os::Ipv4Path& p = *r.value();
  return core::HostPath{p.ifindex, os::interface_name(p.ifindex), p.source, p.gateway};
}

void HostNetwork::follow(wire::Ipv4Address server) {
  if (!is_open() || server_ == server) return;
  server_ = server;
  watch_.reset(lookup());
  log_.info("following the path toward {}: {}", server.to_string(), describe_path());
}

void HostNetwork::on_readable(core::TimePoint now) {
  if (!monitor_) return;
  for (int round = 0; round < 8; ++round) {
    auto events = monitor_->read();
    if (!events) {
      if (events.error().code() == ENOBUFS) {
        watch_.on_lost_events(now);
        continue;
      }
      log_.warning("network notifications: {}", events.error().message());
      return;
    }
    if (events.value().empty()) return;
    if (!server_) continue;
    for (const os::NetworkEvent& e : events.value()) {
      core::HostNetworkEvent h;
      h.removed = e.removed;
      h.ifindex = e.ifindex;
      switch (e.kind) {
        case os::NetworkEvent::Kind::kLink:
          h.kind = core::HostNetworkEvent::Kind::kLink;
          h.link_up = (e.link_flags & IFF_UP) != 0 && (e.link_flags & IFF_LOWER_UP) != 0;
          break;
        case os::NetworkEvent::Kind::kAddress:
          h.kind = core::HostNetworkEvent::Kind::kAddress;
          h.address = e.address;
          break;
        case os::NetworkEvent::Kind::kRoute:
          h.kind = core::HostNetworkEvent::Kind::kRoute;
          break;
      }
      watch_.on_event(now, h);
    }
  }
}

std::optional<std::string> HostNetwork::on_deadline(core::TimePoint now) {
  if (now < watch_.deadline()) return std::nullopt;
  return watch_.look(now, lookup());
}

std::string HostNetwork::describe_path() const {
  if (!server_) return {};
  return watch_.path() ? watch_.path()->to_string() : "no route";
}

}  // namespace shipworm::daemon
