#include "daemon/teredo_interface.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "daemon/config_file.h"
#include "os/linux/event_loop.h"
#include "wire/teredo_address.h"

namespace shipworm::daemon {

namespace {

constexpr std::uint8_t kRtnLocal = 2;  // RTN_LOCAL

os::Ipv6Prefix link_local() { return {wire::client_rs_link_local(false), 64}; }

}  // namespace

os::Ipv6Route teredo_default_route(unsigned ifindex) {
  os::Ipv6Route r;
  r.destination = {wire::Ipv6Address{}, 0};
  r.ifindex = ifindex;
  r.metric = kDefaultRouteMetric;
  return r;
}

std::uint32_t teredo_mtu(std::uint32_t advertised) {
  return std::max<std::uint32_t>(advertised, kMinMtu);
}

bool has_local_route(const std::vector<os::Ipv6Route>& routes, const wire::Ipv6Address& address) {
  return std::any_of(routes.begin(), routes.end(), [&](const os::Ipv6Route& r) {
    return r.type == kRtnLocal && r.destination.address == address && r.destination.length == 128;
  });
}

bool tolerated_add_error(int code) { return code == EEXIST; }
bool tolerated_route_delete_error(int code) { return code == ESRCH || code == ENOENT; }
bool tolerated_address_delete_error(int code) { return code == EADDRNOTAVAIL || code == ENOENT; }

bool TeredoInterface::open(unsigned ifindex, std::string name) {
  ifindex_ = ifindex;
  name_ = std::move(name);
  auto nl = os::Netlink::open();
  if (!nl) {
    log_.error("{}", nl.error().message());
    return false;
  }
  nl_.emplace(std::move(nl.value()));
  for (const auto& st :
       {nl_->set_mtu(ifindex_, mtu_), nl_->add_address(ifindex_, link_local(), {true, false}),
        nl_->set_link_up(ifindex_)}) {
    if (!st) {
      log_.error("setting up {}: {}", name_, st.error().message());
      return false;
    }
  }
  return true;
}

void TeredoInterface::warn(const os::Status& st) {
  if (!st) log_.warning("{}", st.error().message());
}

void TeredoInterface::apply(const core::AddressChange& c) {
  if (c.new_address) {
    add_new(c);
  } else if (c.old_address) {
    log_.notice("address {} withdrawn from {} ({})", c.old_address->to_string(), name_, c.cause);
    const os::Status route = nl_->delete_route(teredo_default_route(ifindex_));
    if (!route && !tolerated_route_delete_error(route.error().code())) warn(route);
    remove_address(*c.old_address);
    current_.reset();
  }
}

void TeredoInterface::add_new(const core::AddressChange& c) {
  log_.notice("address {}{} on {} ({})", c.old_address ? c.old_address->to_string() + " -> " : "",
              c.new_address->to_string(), name_, c.cause);
  const std::uint32_t mtu = teredo_mtu(c.mtu);
  if (mtu != mtu_) {
    warn(nl_->set_mtu(ifindex_, mtu));
    mtu_ = mtu;
  }
  // A hook may have taken the link down and flushed it (Miredo's does on STATE=down).
  warn(nl_->set_link_up(ifindex_));
  const os::Status ll = nl_->add_address(ifindex_, link_local(), {true, false});
  if (!ll && !tolerated_add_error(ll.error().code())) warn(ll);
  // Subscribed before the address is added, so that its local route cannot be missed.
  auto monitor = os::Ipv6RouteMonitor::open();
  // New first, old last: the kernel keeps the 2001::/32 prefix route while either exists.
  const os::Status added =
      nl_->add_address(ifindex_, {*c.new_address, kTeredoPrefixLength}, {true, false});
  if (!added && !tolerated_add_error(added.error().code())) warn(added);
  const os::Status route = nl_->add_route(teredo_default_route(ifindex_));
  if (!route && !tolerated_add_error(route.error().code())) warn(route);
  wait_local_route(*c.new_address, monitor);
  if (c.old_address && *c.old_address != *c.new_address) remove_address(*c.old_address);
  current_ = c.new_address;
}

void TeredoInterface::remove_address(const wire::Ipv6Address& a) {
  const os::Status st = nl_->delete_address(ifindex_, {a, kTeredoPrefixLength});
  // A hook (Miredo's flushes the interface) may have removed it already.
  if (!st && !tolerated_address_delete_error(st.error().code())) warn(st);
}

// docs/os-linux.md: a new address is usable once the kernel has inserted its local route
// (asynchronously, a moment after the address); until then replies to it would be lost.
// The table is read once (the route may be there already, e.g. the address existed), then
// route notifications are awaited with poll(2), never past kLocalRouteWait.
void TeredoInterface::wait_local_route(const wire::Ipv6Address& a,
                                       os::Result<os::Ipv6RouteMonitor>& monitor) {
  if (!monitor) {
    log_.warning("{}; not waiting for the local route of {}", monitor.error().message(),
                 a.to_string());
    return;
  }
  const auto until = os::EventLoop::now() + kLocalRouteWait;
  bool dump = true;
  while (true) {
    if (dump) {
      auto routes = nl_->ipv6_routes();
      if (!routes) return;
      if (has_local_route(routes.value(), a)) return;
      dump = false;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - os::EventLoop::now());
    if (left.count() <= 0) break;
    pollfd p{monitor->fd(), POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    auto added = monitor->read_added();
    if (!added) {
      dump = true;  // notifications lost (ENOBUFS): read the table again
    } else if (has_local_route(added.value(), a)) {
      return;
    }
  }
  log_.warning("{}: no local route after {} ms", a.to_string(), kLocalRouteWait.count());
}

void TeredoInterface::close() {
  if (nl_) (void)nl_->delete_address(ifindex_, link_local());
}

}  // namespace shipworm::daemon
