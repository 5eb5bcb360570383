#include "os/linux/netlink.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace shipworm::os {
namespace {

// Large enough for any single rtnetlink message and for a dump's multipart batches
// (the kernel fills up to this much per recvmsg).
constexpr std::size_t kBufferSize = 32768;

std::uint8_t ipv6_scope(const wire::Ipv6Address& a) {
  if (a.is_link_local()) return RT_SCOPE_LINK;
  static constexpr wire::Ipv6Address kLoopback{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  if (a == kLoopback) return RT_SCOPE_HOST;
  return RT_SCOPE_UNIVERSE;
}

template <class T>
T payload_as(const nlattr* a) {
  T v{};
  std::memcpy(&v, mnl_attr_get_payload(a), sizeof v);
  return v;
}

// Collects attributes of one message into a table indexed by type (mnl_attr_parse callback).
template <int Max>
struct AttrTable {
  const nlattr* at[static_cast<std::size_t>(Max) + 1] = {};
  static int collect(const nlattr* a, void* data) {
    auto* self = static_cast<AttrTable*>(data);
    const int type = mnl_attr_get_type(a);
    if (type >= 0 && type <= Max) self->at[static_cast<std::size_t>(type)] = a;
    return MNL_CB_OK;
  }
};

}  // namespace

std::string Ipv6Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

bool LinkInfo::up() const { return (flags & IFF_UP) != 0; }

std::string interface_name(unsigned ifindex) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(ifindex, name) != nullptr) return name;
  return "ifindex " + std::to_string(ifindex);
}

Netlink::Netlink(mnl_socket* nl) : nl_(nl), portid_(mnl_socket_get_portid(nl)), buf_(kBufferSize) {
  seq_ = 1;
}
Netlink::Netlink(Netlink&& o) noexcept
    : nl_(std::exchange(o.nl_, nullptr)),
      portid_(o.portid_),
      seq_(o.seq_),
      buf_(std::move(o.buf_)) {}
Netlink& Netlink::operator=(Netlink&& o) noexcept {
  if (this != &o) {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = std::exchange(o.nl_, nullptr);
    portid_ = o.portid_;
    seq_ = o.seq_;
    buf_ = std::move(o.buf_);
  }
  return *this;
}
Netlink::~Netlink() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

Result<Netlink> Netlink::open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl == nullptr) return errno_error("opening an rtnetlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    OsError e = errno_error("binding the rtnetlink socket");
    mnl_socket_close(nl);
    return e;
  }
  // Extended acknowledgements carry the kernel's own explanation; we only use the errno, but
  // asking for a capped ack keeps error replies small (netlink(7) NETLINK_CAP_ACK).
  int one = 1;
  (void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof one);
  return Netlink(nl);
}

nlmsghdr* Netlink::start(std::uint16_t type, std::uint16_t flags) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = ++seq_;
  return nlh;
}

Status Netlink::transact(const std::string& doing) { return transact(doing, nullptr, nullptr); }

Status Netlink::transact(const std::string& doing, MessageCallback cb, void* data) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf_.data());
  const unsigned seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return errno_error(doing);
  // mnl_cb_run: MNL_CB_STOP after NLMSG_DONE or the ACK, MNL_CB_OK for "more to come",
  // MNL_CB_ERROR with errno set from an NLMSG_ERROR reply.
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(doing);
    }
    const int r = mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), seq, portid_, cb, data);
    if (r == MNL_CB_ERROR) return errno_error(doing);
    if (r == MNL_CB_STOP) return {};
  }
}

// ---- links ----

namespace {
struct LinkReply {
  LinkInfo info;
  bool found = false;
};
int on_link(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<LinkReply*>(data);
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  AttrTable<IFLA_MAX> tb;
  mnl_attr_parse(nlh, sizeof(*ifi), AttrTable<IFLA_MAX>::collect, &tb);
  out->info.index = static_cast<unsigned>(ifi->ifi_index);
  out->info.flags = ifi->ifi_flags;
  if (tb.at[IFLA_IFNAME] != nullptr) out->info.name = mnl_attr_get_str(tb.at[IFLA_IFNAME]);
  if (tb.at[IFLA_MTU] != nullptr) out->info.mtu = mnl_attr_get_u32(tb.at[IFLA_MTU]);
  out->found = true;
  return MNL_CB_OK;
}
}  // namespace

Result<unsigned> Netlink::link_index(std::string_view name) {
  const std::string doing = "looking up interface " + std::string(name);
  if (name.empty() || name.size() >= IFNAMSIZ) return OsError(EINVAL, doing);
  nlmsghdr* nlh = start(RTM_GETLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, std::string(name).c_str());
  LinkReply reply;
  if (auto s = transact(doing, on_link, &reply); !s) return s.error();
  if (!reply.found) return OsError(ENODEV, doing);
  return reply.info.index;
}

Result<LinkInfo> Netlink::link(unsigned ifindex) {
  const std::string doing = "reading link " + interface_name(ifindex);
  nlmsghdr* nlh = start(RTM_GETLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  LinkReply reply;
  if (auto s = transact(doing, on_link, &reply); !s) return s.error();
  if (!reply.found) return OsError(ENODEV, doing);
  return reply.info;
}

Status Netlink::set_link_up(unsigned ifindex, bool up) {
  nlmsghdr* nlh = start(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  ifi->ifi_change = IFF_UP;  // only this flag changes
  ifi->ifi_flags = up ? IFF_UP : 0;
  return transact(std::string(up ? "bringing up " : "bringing down ") + interface_name(ifindex));
}

Status Netlink::set_mtu(unsigned ifindex, std::uint32_t mtu) {
  nlmsghdr* nlh = start(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  return transact("setting the MTU of " + interface_name(ifindex) + " to " + std::to_string(mtu));
}

// ---- addresses ----

Status Netlink::change_address(bool add, int family, unsigned ifindex, const void* addr,
                               std::size_t addr_len, std::uint8_t prefix_length, std::uint8_t scope,
                               std::uint32_t flags, const std::string& doing) {
  nlmsghdr* nlh =
      start(add ? RTM_NEWADDR : RTM_DELADDR,
            static_cast<std::uint16_t>(add ? (NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL) : NLM_F_ACK));
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<std::uint8_t>(family);
  ifa->ifa_prefixlen = prefix_length;
  ifa->ifa_scope = scope;
  ifa->ifa_index = ifindex;
  ifa->ifa_flags = static_cast<std::uint8_t>(flags & 0xff);  // legacy 8-bit field
  const auto len = static_cast<std::uint16_t>(addr_len);
  mnl_attr_put(nlh, IFA_LOCAL, len, addr);
  mnl_attr_put(nlh, IFA_ADDRESS, len, addr);
  if (add && flags != 0) mnl_attr_put_u32(nlh, IFA_FLAGS, flags);  // all 32 bits
  return transact(doing);
}

Status Netlink::add_address(unsigned ifindex, const Ipv6Prefix& prefix, AddressOptions options) {
  std::uint32_t flags = 0;
  if (options.no_dad) flags |= IFA_F_NODAD;
  if (options.no_prefix_route) flags |= IFA_F_NOPREFIXROUTE;
  return change_address(true, AF_INET6, ifindex, prefix.address.bytes.data(), 16, prefix.length,
                        ipv6_scope(prefix.address), flags,
                        "adding " + prefix.to_string() + " to " + interface_name(ifindex));
}

Status Netlink::delete_address(unsigned ifindex, const Ipv6Prefix& prefix) {
  return change_address(false, AF_INET6, ifindex, prefix.address.bytes.data(), 16, prefix.length,
                        ipv6_scope(prefix.address), 0,
                        "deleting " + prefix.to_string() + " from " + interface_name(ifindex));
}

Status Netlink::add_address(unsigned ifindex, wire::Ipv4Address address,
                            std::uint8_t prefix_length) {
  const std::uint32_t be = htonl(address.value);
  return change_address(true, AF_INET, ifindex, &be, 4, prefix_length, RT_SCOPE_UNIVERSE, 0,
                        "adding " + address.to_string() + "/" + std::to_string(prefix_length) +
                            " to " + interface_name(ifindex));
}

Status Netlink::delete_address(unsigned ifindex, wire::Ipv4Address address,
                               std::uint8_t prefix_length) {
  const std::uint32_t be = htonl(address.value);
  return change_address(false, AF_INET, ifindex, &be, 4, prefix_length, RT_SCOPE_UNIVERSE, 0,
                        "deleting " + address.to_string() + "/" + std::to_string(prefix_length) +
                            " from " + interface_name(ifindex));
}

namespace {
struct AddressDump {
  unsigned ifindex;
  std::vector<Ipv6InterfaceAddress> v6;
  std::vector<Ipv4InterfaceAddress> v4;
};
int on_address(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<AddressDump*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (out->ifindex != 0 && ifa->ifa_index != out->ifindex) return MNL_CB_OK;
  AttrTable<IFA_MAX> tb;
  mnl_attr_parse(nlh, sizeof(*ifa), AttrTable<IFA_MAX>::collect, &tb);
  // IFA_LOCAL is the interface's own address (differs from IFA_ADDRESS only on
  // point-to-point links, where IFA_ADDRESS is the peer).
  const nlattr* a = tb.at[IFA_LOCAL] != nullptr ? tb.at[IFA_LOCAL] : tb.at[IFA_ADDRESS];
  if (a == nullptr) return MNL_CB_OK;
  if (ifa->ifa_family == AF_INET6 && mnl_attr_get_payload_len(a) == 16) {
    Ipv6InterfaceAddress e;
    e.ifindex = ifa->ifa_index;
    std::memcpy(e.prefix.address.bytes.data(), mnl_attr_get_payload(a), 16);
    e.prefix.length = ifa->ifa_prefixlen;
    e.flags = tb.at[IFA_FLAGS] != nullptr ? mnl_attr_get_u32(tb.at[IFA_FLAGS]) : ifa->ifa_flags;
    e.scope = ifa->ifa_scope;
    out->v6.push_back(e);
  } else if (ifa->ifa_family == AF_INET && mnl_attr_get_payload_len(a) == 4) {
    Ipv4InterfaceAddress e;
    e.ifindex = ifa->ifa_index;
    e.address.value = ntohl(payload_as<std::uint32_t>(a));
    e.prefix_length = ifa->ifa_prefixlen;
    out->v4.push_back(e);
  }
  return MNL_CB_OK;
}
}  // namespace

Result<std::vector<Ipv6InterfaceAddress>> Netlink::ipv6_addresses(unsigned ifindex) {
  nlmsghdr* nlh = start(RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET6;
  AddressDump dump{ifindex, {}, {}};
  if (auto s = transact("listing IPv6 addresses", on_address, &dump); !s) return s.error();
  return std::move(dump.v6);
}

Result<std::vector<Ipv4InterfaceAddress>> Netlink::ipv4_addresses(unsigned ifindex) {
  nlmsghdr* nlh = start(RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  AddressDump dump{ifindex, {}, {}};
  if (auto s = transact("listing IPv4 addresses", on_address, &dump); !s) return s.error();
  return std::move(dump.v4);
}

// ---- routes ----

Status Netlink::change_route(bool add, const Ipv6Route& route, const std::string& doing) {
  nlmsghdr* nlh =
      start(add ? RTM_NEWROUTE : RTM_DELROUTE,
            static_cast<std::uint16_t>(add ? (NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL) : NLM_F_ACK));
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  rtm->rtm_dst_len = route.destination.length;
  rtm->rtm_table = route.table < 256 ? static_cast<std::uint8_t>(route.table)
                                     : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
  // On delete, protocol 0 matches whoever installed the route.
  rtm->rtm_protocol = add ? RTPROT_STATIC : RTPROT_UNSPEC;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = route.type;
  if (route.destination.length > 0) {
    mnl_attr_put(nlh, RTA_DST, 16, route.destination.address.bytes.data());
  }
  if (route.ifindex != 0) mnl_attr_put_u32(nlh, RTA_OIF, route.ifindex);
  if (route.gateway) mnl_attr_put(nlh, RTA_GATEWAY, 16, route.gateway->bytes.data());
  mnl_attr_put_u32(nlh, RTA_PRIORITY, route.metric);
  if (route.table >= 256) mnl_attr_put_u32(nlh, RTA_TABLE, route.table);
  return transact(doing);
}

namespace {
std::string describe(const Ipv6Route& r) {
  std::string s = r.destination.to_string();
  if (r.gateway) s += " via " + r.gateway->to_string();
  if (r.ifindex != 0) s += " dev " + interface_name(r.ifindex);
  s += " metric " + std::to_string(r.metric);
  return s;
}
}  // namespace

Status Netlink::add_route(const Ipv6Route& route) {
  return change_route(true, route, "adding route " + describe(route));
}

Status Netlink::delete_route(const Ipv6Route& route) {
  return change_route(false, route, "deleting route " + describe(route));
}

namespace {
int on_route(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<Ipv6Route>*>(data);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_family != AF_INET6) return MNL_CB_OK;
  AttrTable<RTA_MAX> tb;
  mnl_attr_parse(nlh, sizeof(*rtm), AttrTable<RTA_MAX>::collect, &tb);
  Ipv6Route r;
  r.destination.length = rtm->rtm_dst_len;
  if (tb.at[RTA_DST] != nullptr && mnl_attr_get_payload_len(tb.at[RTA_DST]) == 16) {
    std::memcpy(r.destination.address.bytes.data(), mnl_attr_get_payload(tb.at[RTA_DST]), 16);
  }
  r.ifindex = tb.at[RTA_OIF] != nullptr ? mnl_attr_get_u32(tb.at[RTA_OIF]) : 0;
  r.metric = tb.at[RTA_PRIORITY] != nullptr ? mnl_attr_get_u32(tb.at[RTA_PRIORITY]) : 0;
  if (tb.at[RTA_GATEWAY] != nullptr && mnl_attr_get_payload_len(tb.at[RTA_GATEWAY]) == 16) {
    r.gateway = wire::Ipv6Address::from_bytes(
        {static_cast<const std::uint8_t*>(mnl_attr_get_payload(tb.at[RTA_GATEWAY])), 16});
  }
  r.table = tb.at[RTA_TABLE] != nullptr ? mnl_attr_get_u32(tb.at[RTA_TABLE]) : rtm->rtm_table;
  r.type = rtm->rtm_type;
  out->push_back(r);
  return MNL_CB_OK;
}
// Notifications carry deletions too; only additions are wanted.
int on_new_route(const nlmsghdr* nlh, void* data) {
  return nlh->nlmsg_type == RTM_NEWROUTE ? on_route(nlh, data) : MNL_CB_OK;
}
}  // namespace

Result<std::vector<Ipv6Route>> Netlink::ipv6_routes() {
  nlmsghdr* nlh = start(RTM_GETROUTE, NLM_F_DUMP);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  std::vector<Ipv6Route> routes;
  if (auto s = transact("listing IPv6 routes", on_route, &routes); !s) return s.error();
  return routes;
}

namespace {
struct PathReply {
  Ipv4Path path;
  bool found = false;
  bool unreachable = false;
};
int on_path(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<PathReply*>(data);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_family != AF_INET) return MNL_CB_OK;
  if (rtm->rtm_type == RTN_UNREACHABLE || rtm->rtm_type == RTN_PROHIBIT ||
      rtm->rtm_type == RTN_BLACKHOLE || rtm->rtm_type == RTN_THROW) {
    out->unreachable = true;
    return MNL_CB_OK;
  }
  AttrTable<RTA_MAX> tb;
  mnl_attr_parse(nlh, sizeof(*rtm), AttrTable<RTA_MAX>::collect, &tb);
  if (tb.at[RTA_OIF] != nullptr) out->path.ifindex = mnl_attr_get_u32(tb.at[RTA_OIF]);
  if (tb.at[RTA_PREFSRC] != nullptr && mnl_attr_get_payload_len(tb.at[RTA_PREFSRC]) == 4) {
    out->path.source.value = ntohl(payload_as<std::uint32_t>(tb.at[RTA_PREFSRC]));
  }
  if (tb.at[RTA_GATEWAY] != nullptr && mnl_attr_get_payload_len(tb.at[RTA_GATEWAY]) == 4) {
    out->path.gateway = wire::Ipv4Address{ntohl(payload_as<std::uint32_t>(tb.at[RTA_GATEWAY]))};
  }
  out->found = true;
  return MNL_CB_OK;
}
}  // namespace

std::string Ipv4Path::to_string() const {
  std::string s = interface_name(ifindex) + " " + source.to_string();
  if (gateway) s += " via " + gateway->to_string();
  return s;
}

Result<std::optional<Ipv4Path>> Netlink::ipv4_route_to(wire::Ipv4Address destination) {
  const std::string doing = "looking up the route to " + destination.to_string();
  nlmsghdr* nlh = start(RTM_GETROUTE, NLM_F_ACK);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 32;
  const std::uint32_t be = htonl(destination.value);
  mnl_attr_put(nlh, RTA_DST, 4, &be);
  PathReply reply;
  if (auto s = transact(doing, on_path, &reply); !s) {
    const int code = s.error().code();
    if (code == ENETUNREACH || code == EHOSTUNREACH || code == EACCES) {
      return std::optional<Ipv4Path>{};
    }
    return s.error();
  }
  if (!reply.found || reply.unreachable) return std::optional<Ipv4Path>{};
  return std::optional<Ipv4Path>{reply.path};
}

// ---- route notifications ----

Ipv6RouteMonitor::Ipv6RouteMonitor(mnl_socket* nl) : nl_(nl), buf_(kBufferSize) {}
Ipv6RouteMonitor::Ipv6RouteMonitor(Ipv6RouteMonitor&& o) noexcept
    : nl_(std::exchange(o.nl_, nullptr)), buf_(std::move(o.buf_)) {}
Ipv6RouteMonitor& Ipv6RouteMonitor::operator=(Ipv6RouteMonitor&& o) noexcept {
  if (this != &o) {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = std::exchange(o.nl_, nullptr);
    buf_ = std::move(o.buf_);
  }
  return *this;
}
Ipv6RouteMonitor::~Ipv6RouteMonitor() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

Result<Ipv6RouteMonitor> Ipv6RouteMonitor::open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (nl == nullptr) return errno_error("opening an rtnetlink socket for route notifications");
  int group = RTNLGRP_IPV6_ROUTE;
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
      mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    OsError e = errno_error("subscribing to IPv6 route notifications");
    mnl_socket_close(nl);
    return e;
  }
  return Ipv6RouteMonitor(nl);
}

int Ipv6RouteMonitor::fd() const { return mnl_socket_get_fd(nl_); }

Result<std::vector<Ipv6Route>> Ipv6RouteMonitor::read_added() {
  std::vector<Ipv6Route> routes;
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return routes;
      return errno_error("reading IPv6 route notifications");
    }
    // Sequence 0 and port 0: notifications answer no request, so nothing is checked.
    if (mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), 0, 0, on_new_route, &routes) ==
        MNL_CB_ERROR) {
      return errno_error("reading IPv6 route notifications");
    }
  }
}

}  // namespace shipworm::os
