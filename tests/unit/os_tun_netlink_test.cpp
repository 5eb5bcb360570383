// TunDevice + Netlink + sysctl against the real kernel, inside a private network namespace
// created by a forked child. Needs root; skipped otherwise.
//
//   [ test process (child, own netns) ]
//        |  UDP6 to 2001:0:c633:6401::99 ----route 2001::/32 dev teredo----> TUN fd: read it
//        |  TUN fd: write ICMPv6 echo request to our Teredo address --> kernel --> TUN fd: reply
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "child_test_util.h"
#include "os/linux/netlink.h"
#include "os/linux/private_netns.h"
#include "os/linux/sysctl.h"
#include "os/linux/tun_device.h"
#include "os/linux/unique_fd.h"
#include "test_util.h"
#include "wire/checksum.h"

namespace shipworm::os {
namespace {

using wire::Ipv6Address;

Ipv6Address v6(const char* text) { return *Ipv6Address::parse(text); }

const Ipv6Address kTeredo = v6("2001:0:c633:6401::1");   // RFC 5737/3849 style example
const Ipv6Address kRemote = v6("2001:0:c633:6401::99");  // another Teredo node, via the TUN
const Ipv6Address kLinkLocal = v6("fe80::8000:ffff:ffff:fffe");

// Reads packets from the TUN until `match` accepts one (the kernel also sends its own
// router solicitations and MLD reports once the link is up). Bounded by a poll timeout.
template <class Match>
std::vector<std::uint8_t> read_matching(TunDevice& tun, Match match) {
  std::vector<std::uint8_t> buf(65535);
  for (int tries = 0; tries < 50; ++tries) {
    pollfd p{tun.fd(), POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return {};
    const IoResult r = tun.read(buf);
    if (!r.ok()) continue;
    std::vector<std::uint8_t> pkt(buf.begin(), buf.begin() + static_cast<long>(r.count));
    if (pkt.size() >= 40 && match(pkt)) return pkt;
  }
  return {};
}

// Brings up "teredo" as a client would: MTU 1280, Teredo address (no DAD), a link-local
// address, 2001::/32 and the last-resort default route.
std::string configure(Netlink& nl, TunDevice& tun) {
  const unsigned idx = tun.ifindex();
  CHILD_OK(nl.set_mtu(idx, 1280));
  CHILD_OK(nl.set_link_up(idx));
  CHILD_OK(nl.add_address(idx, {kTeredo, 32}, {.no_dad = true, .no_prefix_route = true}));
  CHILD_OK(nl.add_address(idx, {kLinkLocal, 64}, {.no_dad = true}));
  CHILD_OK(nl.add_route({.destination = {v6("2001::"), 32}, .ifindex = idx, .metric = 1024}));
  CHILD_OK(nl.add_route({.destination = {v6("::"), 0}, .ifindex = idx, .metric = 1029}));
  // Even with IFA_F_NODAD the address becomes local asynchronously (the kernel's addrconf
  // work queue inserts its local route), and until then the kernel treats packets to it as
  // "to be forwarded" (Ip6InAddrErrors). Wait for the RTN_LOCAL route; bounded, not timed.
  for (int tries = 0;; ++tries) {
    auto routes = nl.ipv6_routes();
    CHILD_OK(routes);
    if (std::any_of(routes->begin(), routes->end(), [](const Ipv6Route& r) {
          return r.type == RTN_LOCAL && r.destination == Ipv6Prefix{kTeredo, 128};
        })) {
      break;
    }
    CHILD_CHECK(tries < 5000, "the Teredo address never became local");
    usleep(1000);
  }
  return {};
}

TEST(TunDevice, CreateNamedAndKernelChosen) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto tun = TunDevice::open({.name = "teredo"});
    CHILD_OK(tun);
    CHILD_CHECK(tun->name() == "teredo", tun->name());
    auto nl = Netlink::open();
    CHILD_OK(nl);
    auto idx = nl->link_index("teredo");
    CHILD_OK(idx);
    CHILD_CHECK(*idx == tun->ifindex(), "ifindex");
    auto chosen = TunDevice::open();
    CHILD_OK(chosen);
    CHILD_CHECK(!chosen->name().empty() && chosen->name() != "teredo", chosen->name());
    auto pattern = TunDevice::open({.name = "sw%d"});
    CHILD_OK(pattern);
    CHILD_CHECK(pattern->name() == "sw0", pattern->name());
    auto missing = nl->link_index("nosuchif");
    CHILD_CHECK(!missing.ok() && missing.error().code() == ENODEV, "missing link");
    return {};
  });
}

TEST(TunDevice, MultiQueueOpensSeveralQueuesOfOneInterface) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto q0 = TunDevice::open({.name = "mq", .multi_queue = true});
    CHILD_OK(q0);
    auto q1 = TunDevice::open({.name = "mq", .multi_queue = true});
    CHILD_OK(q1);
    CHILD_CHECK(q0->ifindex() == q1->ifindex() && q0->fd() != q1->fd(), "same interface");
    return {};
  });
}

TEST(Netlink, ConfiguresTunAndDumpsShowIt) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto tun = TunDevice::open({.name = "teredo"});
    CHILD_OK(tun);
    auto nl = Netlink::open();
    CHILD_OK(nl);
    if (auto e = configure(*nl, *tun); !e.empty()) return e;
    const unsigned idx = tun->ifindex();

    auto link = nl->link(idx);
    CHILD_OK(link);
    CHILD_CHECK(link->mtu == 1280 && link->up() && link->name == "teredo", "link state");

    auto addrs = nl->ipv6_addresses(idx);
    CHILD_OK(addrs);
    bool teredo = false, ll = false;
    for (const auto& a : *addrs) {
      CHILD_CHECK(a.ifindex == idx, "filtered by ifindex");
      if (a.prefix == Ipv6Prefix{kTeredo, 32}) teredo = (a.flags & IFA_F_NODAD) != 0;
      if (a.prefix == Ipv6Prefix{kLinkLocal, 64}) ll = a.scope == RT_SCOPE_LINK;
    }
    CHILD_CHECK(teredo, "Teredo address with NODAD missing from the dump");
    CHILD_CHECK(ll, "link-local address missing from the dump");

    auto routes = nl->ipv6_routes();
    CHILD_OK(routes);
    auto has = [&](const Ipv6Prefix& p, std::uint32_t metric) {
      return std::any_of(routes->begin(), routes->end(), [&](const Ipv6Route& r) {
        return r.destination == p && r.ifindex == idx && r.metric == metric && r.table == 254;
      });
    };
    CHILD_CHECK(has({v6("2001::"), 32}, 1024), "2001::/32 route missing");
    CHILD_CHECK(has({v6("::"), 0}, 1029), "default route missing");

    // Errors carry what we were doing and the errno text.
    const Status dup = nl->add_address(idx, {kTeredo, 32}, {.no_dad = true});
    CHILD_CHECK(!dup.ok(), "duplicate address accepted");
    CHILD_CHECK(dup.error().message() == "adding 2001:0:c633:6401::1/32 to teredo: File exists",
                dup.error().message());
    const Status dup_route =
        nl->add_route({.destination = {v6("2001::"), 32}, .ifindex = idx, .metric = 1024});
    CHILD_CHECK(!dup_route.ok() && dup_route.error().code() == EEXIST, "duplicate route");
    CHILD_CHECK(
        dup_route.error().message() == "adding route 2001::/32 dev teredo metric 1024: File exists",
        dup_route.error().message());

    // Delete, and the dumps agree.
    CHILD_OK(nl->delete_route({.destination = {v6("::"), 0}, .ifindex = idx, .metric = 1029}));
    CHILD_OK(nl->delete_address(idx, {kTeredo, 32}));
    routes = nl->ipv6_routes();
    CHILD_OK(routes);
    CHILD_CHECK(!has({v6("::"), 0}, 1029), "default route still there");
    addrs = nl->ipv6_addresses(idx);
    CHILD_OK(addrs);
    CHILD_CHECK(std::none_of(addrs->begin(), addrs->end(),
                             [](const auto& a) { return a.prefix.address == kTeredo; }),
                "address still there");
    CHILD_OK(nl->set_link_up(idx, false));
    link = nl->link(idx);
    CHILD_OK(link);
    CHILD_CHECK(!link->up(), "still up");
    return {};
  });
}

TEST(Netlink, Ipv4AddressesAndGatewayRoutes) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto nl = Netlink::open();
    CHILD_OK(nl);
    const auto a = wire::Ipv4Address::from_octets(192, 0, 2, 1);
    CHILD_OK(nl->add_address(1, a, 24));
    auto v4 = nl->ipv4_addresses(1);
    CHILD_OK(v4);
    CHILD_CHECK(std::any_of(v4->begin(), v4->end(),
                            [&](const auto& e) { return e.address == a && e.prefix_length == 24; }),
                "IPv4 address missing");
    CHILD_OK(nl->delete_address(1, a, 24));

    auto tun = TunDevice::open({.name = "gw"});
    CHILD_OK(tun);
    CHILD_OK(nl->set_link_up(tun->ifindex()));
    CHILD_OK(nl->add_address(tun->ifindex(), {v6("2001:db8::1"), 64}, {.no_dad = true}));
    const Ipv6Route via{.destination = {v6("2001:db8:1::"), 48},
                        .ifindex = tun->ifindex(),
                        .metric = 300,
                        .gateway = v6("2001:db8::2")};
    CHILD_OK(nl->add_route(via));
    auto routes = nl->ipv6_routes();
    CHILD_OK(routes);
    CHILD_CHECK(std::any_of(routes->begin(), routes->end(),
                            [&](const Ipv6Route& r) {
                              return r.destination == via.destination && r.gateway == via.gateway;
                            }),
                "gateway route missing");
    CHILD_OK(nl->delete_route(via));
    return {};
  });
}

TEST(TunDevice, KernelRoutesUdp6IntoTheTun) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto tun = TunDevice::open({.name = "teredo"});
    CHILD_OK(tun);
    auto nl = Netlink::open();
    CHILD_OK(nl);
    if (auto e = configure(*nl, *tun); !e.empty()) return e;

    UniqueFd s(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    CHILD_CHECK(s.valid(), "socket");
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(9);
    std::memcpy(&to.sin6_addr, kRemote.bytes.data(), 16);
    const char msg[] = "through the tunnel";
    CHILD_CHECK(sendto(s.get(), msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
                    static_cast<ssize_t>(sizeof msg),
                "sendto");
    auto pkt = read_matching(*tun, [](const std::vector<std::uint8_t>& p) {
      return p[6] == 17 && Ipv6Address::from_bytes(wire::Bytes(p).subspan(24, 16)) == kRemote;
    });
    CHILD_CHECK(!pkt.empty(), "UDP6 packet never came out of the TUN");
    CHILD_CHECK((pkt[0] >> 4) == 6, "IPv6");
    CHILD_CHECK(Ipv6Address::from_bytes(wire::Bytes(pkt).subspan(8, 16)) == kTeredo,
                "source is the Teredo address");
    CHILD_CHECK(pkt.size() == 40 + 8 + sizeof msg, "length");
    CHILD_CHECK(std::memcmp(pkt.data() + 48, msg, sizeof msg) == 0, "payload");
    return {};
  });
}

TEST(TunDevice, KernelAnswersEchoWrittenIntoTheTun) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto tun = TunDevice::open({.name = "teredo"});
    CHILD_OK(tun);
    auto nl = Netlink::open();
    CHILD_OK(nl);
    if (auto e = configure(*nl, *tun); !e.empty()) return e;

    // IPv6 header + ICMPv6 echo request from kRemote to our Teredo address.
    std::vector<std::uint8_t> p = {0x60, 0, 0, 0, 0, 0, 58, 64};
    p.insert(p.end(), kRemote.bytes.begin(), kRemote.bytes.end());
    p.insert(p.end(), kTeredo.bytes.begin(), kTeredo.bytes.end());
    test::append(p, {128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g'});
    test::fix_icmpv6(p);
    // Written twice through write_batch too (several packets per call).
    PacketBatch batch(4, 2048);
    batch.push(p);
    const BatchResult wr = tun->write_batch(batch);
    CHILD_CHECK(wr.sent == 1 && wr.dropped == 0, "write_batch");

    auto reply = read_matching(*tun, [](const std::vector<std::uint8_t>& q) {
      return q[6] == 58 && q.size() >= 48 && q[40] == 129;
    });
    CHILD_CHECK(!reply.empty(), "no echo reply came out of the TUN");
    CHILD_CHECK(Ipv6Address::from_bytes(wire::Bytes(reply).subspan(8, 16)) == kTeredo, "src");
    CHILD_CHECK(Ipv6Address::from_bytes(wire::Bytes(reply).subspan(24, 16)) == kRemote, "dst");
    CHILD_CHECK(reply[44] == 0x12 && reply[45] == 0x34 && reply[47] == 0x01, "identifier/seq");

    // A second echo, then read_batch picks up what is waiting.
    CHILD_CHECK(tun->write(p).ok(), "write");
    pollfd pf{tun->fd(), POLLIN, 0};
    CHILD_CHECK(poll(&pf, 1, 5000) == 1, "nothing to read");
    PacketBatch in(8);
    const IoResult rb = tun->read_batch(in);
    CHILD_CHECK(rb.ok() && rb.count >= 1 && rb.count == in.size(), "read_batch");
    // Garbage is refused by the kernel and skipped, not fatal.
    PacketBatch bad(2, 64);
    const std::vector<std::uint8_t> junk = {0x10, 0, 0};
    bad.push(junk);
    bad.push(p);
    const BatchResult br = tun->write_batch(bad);
    CHILD_CHECK(br.next == 2 && br.sent + br.dropped == 2, "junk handling");
    return {};
  });
}

TEST(Sysctl, Ipv6ForwardingInThePrivateNamespace) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    CHILD_OK(set_ipv6_forwarding(true));
    auto on = ipv6_forwarding();
    CHILD_OK(on);
    CHILD_CHECK(*on, "forwarding not on");
    CHILD_OK(set_ipv6_forwarding(false));
    on = ipv6_forwarding();
    CHILD_OK(on);
    CHILD_CHECK(!*on, "forwarding not off");
    const Status bad = write_sysctl("net.ipv6.conf.nosuchif.forwarding", "1");
    CHILD_CHECK(!bad.ok() && bad.error().message().find("setting net.ipv6.conf.nosuchif") == 0,
                "error text");
    return {};
  });
}

}  // namespace
}  // namespace shipworm::os
