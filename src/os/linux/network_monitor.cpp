#include "os/linux/network_monitor.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace shipworm::os {
namespace {

// One recvmsg returns at most one batch of notifications; 32 KiB holds many.
constexpr std::size_t kBufferSize = 32768;
// A move is a burst of a few dozen notifications; a busy router may send more. Losing some
// is survivable (ENOBUFS: look again), but rarer with room.
constexpr int kReceiveBuffer = 1 << 20;

// The attribute of `type` in a message whose fixed header is `header` bytes, or null.
const nlattr* attribute(const nlmsghdr* nlh, std::size_t header, std::uint16_t type) {
  struct Find {
    std::uint16_t type = 0;
    const nlattr* found = nullptr;
    static int each(const nlattr* a, void* data) {
      auto* self = static_cast<Find*>(data);
      if (mnl_attr_get_type(a) == self->type) self->found = a;
      return MNL_CB_OK;
    }
  } find{type};
  mnl_attr_parse(nlh, static_cast<unsigned>(header), Find::each, &find);
  return find.found;
}

int on_message(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<NetworkEvent>*>(data);
  NetworkEvent e;
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return MNL_CB_OK;
      const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
      e.kind = NetworkEvent::Kind::kLink;
      e.removed = nlh->nlmsg_type == RTM_DELLINK;
      e.ifindex = static_cast<unsigned>(ifi->ifi_index);
      e.link_flags = ifi->ifi_flags;
      break;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) return MNL_CB_OK;
      const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
      if (ifa->ifa_family != AF_INET) return MNL_CB_OK;
      e.kind = NetworkEvent::Kind::kAddress;
      e.removed = nlh->nlmsg_type == RTM_DELADDR;
      e.ifindex = ifa->ifa_index;
      const nlattr* a = attribute(nlh, sizeof(*ifa), IFA_LOCAL);
      if (a == nullptr) a = attribute(nlh, sizeof(*ifa), IFA_ADDRESS);
      if (a != nullptr && mnl_attr_get_payload_len(a) == 4) {
        std::uint32_t be = 0;
        std::memcpy(&be, mnl_attr_get_payload(a), 4);
        e.address.value = ntohl(be);
      }
      break;
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) return MNL_CB_OK;
      const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
      if (rtm->rtm_family != AF_INET) return MNL_CB_OK;
      e.kind = NetworkEvent::Kind::kRoute;
      e.removed = nlh->nlmsg_type == RTM_DELROUTE;
      const nlattr* oif = attribute(nlh, sizeof(*rtm), RTA_OIF);
      if (oif != nullptr && mnl_attr_get_payload_len(oif) == 4) e.ifindex = mnl_attr_get_u32(oif);
      const nlattr* table = attribute(nlh, sizeof(*rtm), RTA_TABLE);
      e.table = table != nullptr && mnl_attr_get_payload_len(table) == 4 ? mnl_attr_get_u32(table)
                                                                         : rtm->rtm_table;
      break;
    }
    default:
      return MNL_CB_OK;  // not ours
  }
  out->push_back(e);
  return MNL_CB_OK;
}

}  // namespace

NetworkMonitor::NetworkMonitor(mnl_socket* nl) : nl_(nl), buf_(kBufferSize) {}
NetworkMonitor::NetworkMonitor(NetworkMonitor&& o) noexcept
    : nl_(std::exchange(o.nl_, nullptr)), buf_(std::move(o.buf_)) {}
NetworkMonitor& NetworkMonitor::operator=(NetworkMonitor&& o) noexcept {
  if (this != &o) {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = std::exchange(o.nl_, nullptr);
    buf_ = std::move(o.buf_);
  }
  return *this;
}
NetworkMonitor::~NetworkMonitor() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

Result<NetworkMonitor> NetworkMonitor::open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (nl == nullptr) return errno_error("opening an rtnetlink socket for network notifications");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    OsError e = errno_error("binding the network notification socket");
    mnl_socket_close(nl);
    return e;
  }
  for (int group : {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE}) {
    if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      OsError e = errno_error("subscribing to link and IPv4 notifications");
      mnl_socket_close(nl);
      return e;
    }
  }
  // Best effort: the default buffer only makes ENOBUFS likelier.
  const int size = kReceiveBuffer;
  (void)::setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return NetworkMonitor(nl);
}

int NetworkMonitor::fd() const { return mnl_socket_get_fd(nl_); }

Result<std::vector<NetworkEvent>> NetworkMonitor::read() {
  std::vector<NetworkEvent> events;
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return events;
      return errno_error("reading network notifications");
    }
    // Sequence 0 and port 0: notifications answer no request, so nothing is checked.
    if (mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), 0, 0, on_message, &events) ==
        MNL_CB_ERROR) {
      return errno_error("reading network notifications");
    }
  }
}

}  // namespace shipworm::os
