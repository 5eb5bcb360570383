// UdpSocket against the real kernel, inside a private network namespace created by a forked
// child (nothing leaves it; nothing to clean up). Needs root; skipped otherwise.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "child_test_util.h"
#include "os/linux/netlink.h"
#include "os/linux/private_netns.h"
#include "os/linux/udp_socket.h"

namespace shipworm::os {
namespace {

using wire::Endpoint;
using wire::Ipv4Address;

// In the child: return a failure text instead of asserting (gtest cannot see the child).
const Ipv4Address kLoopback = Ipv4Address::from_octets(127, 0, 0, 1);
const Ipv4Address kPrimary = Ipv4Address::from_octets(192, 0, 2, 1);    // TEST-NET-1
const Ipv4Address kSecondary = Ipv4Address::from_octets(192, 0, 2, 2);  // RFC 4380 §4

// Waits (bounded, not timed) until fd is readable.
bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 5000) == 1;
}

std::vector<std::uint8_t> payload_for(std::size_t i, std::size_t direction) {
  std::vector<std::uint8_t> v(1 + (i * 37) % 1400);
  for (std::size_t k = 0; k < v.size(); ++k) {
    v[k] = static_cast<std::uint8_t>(i * 7 + k + direction * 101);
  }
  return v;
}

// Sends 64 datagrams from a to b in one batch and checks them on arrival.
std::string batch_one_way(UdpSocket& a, UdpSocket& b, std::size_t direction) {
  constexpr std::size_t kCount = 64;
  DatagramBatch out(kCount, 2048);
  for (std::size_t i = 0; i < kCount; ++i) {
    if (i % 2 == 0) {
      CHILD_CHECK(out.push(b.local_endpoint(), payload_for(i, direction)), "push");
    } else {  // the zero-copy way: fill the slot, then commit
      const auto p = payload_for(i, direction);
      auto buf = out.next_buffer();
      CHILD_CHECK(buf.size() >= p.size(), "slot size");
      std::copy(p.begin(), p.end(), buf.begin());
      out.commit(p.size(), b.local_endpoint());
    }
  }
  const BatchResult sr = a.send_batch(out);
  CHILD_CHECK(sr.sent == kCount && sr.dropped == 0 && !sr.blocked && sr.next == kCount,
              "send_batch sent " + std::to_string(sr.sent));

  DatagramBatch in(16);  // smaller than the burst: several recv_batch calls
  std::size_t got = 0;
  while (got < kCount) {
    CHILD_CHECK(wait_readable(b.fd()), "datagram " + std::to_string(got) + " never arrived");
    const IoResult r = b.recv_batch(in);
    CHILD_CHECK(r.ok(), "recv_batch error " + std::to_string(r.error));
    CHILD_CHECK(r.count == in.size() && r.count <= in.capacity(), "count");
    for (std::size_t i = 0; i < in.size(); ++i, ++got) {
      const auto want = payload_for(got, direction);
      const auto have = in.payload(i);
      CHILD_CHECK(std::vector<std::uint8_t>(have.begin(), have.end()) == want,
                  "payload of datagram " + std::to_string(got));
      CHILD_CHECK(in[i].peer == a.local_endpoint(), "source endpoint " + in[i].peer.to_string());
      CHILD_CHECK(in[i].local == kLoopback, "destination " + in[i].local.to_string());
      CHILD_CHECK(!in[i].truncated, "truncated");
    }
  }
  const IoResult none = b.recv_batch(in);
  CHILD_CHECK(none.ok() && none.count == 0, "nothing more waiting");
  return {};
}

TEST(UdpSocket, BindsPortZeroAndReportsThePort) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto s = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(s.ok(), s.ok() ? "" : s.error().message());
    CHILD_CHECK(s->local_endpoint().port != 0, "port");
    CHILD_CHECK(s->local_endpoint().address == kLoopback, "address");
    auto clash = UdpSocket::open(s->local_endpoint());
    CHILD_CHECK(!clash.ok() && clash.error().code() == EADDRINUSE, "second bind must fail");
    CHILD_CHECK(clash.error().message().find("binding UDP socket to 127.0.0.1:") == 0,
                clash.error().message());
    return {};
  });
}

TEST(UdpSocket, ReusePortAllowsWorkersOnOnePort) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    UdpOptions o;
    o.reuse_port = true;
    auto a = UdpSocket::open({kLoopback, 0}, o);
    CHILD_CHECK(a.ok(), "first");
    auto b = UdpSocket::open(a->local_endpoint(), o);
    CHILD_CHECK(b.ok(), b.ok() ? "" : b.error().message());
    return {};
  });
}

TEST(UdpSocket, DontFragmentIsOffAndEcnBitsZero) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto s = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(s.ok(), "open");
    int v = -1;
    socklen_t len = sizeof v;
    CHILD_CHECK(getsockopt(s->fd(), IPPROTO_IP, IP_MTU_DISCOVER, &v, &len) == 0, "getsockopt");
    CHILD_CHECK(v == IP_PMTUDISC_DONT, "IP_MTU_DISCOVER is " + std::to_string(v));
    v = -1;
    len = sizeof v;
    CHILD_CHECK(getsockopt(s->fd(), IPPROTO_IP, IP_TOS, &v, &len) == 0, "getsockopt");
    CHILD_CHECK((v & 0x03) == 0, "ECN bits set");

    // And the behaviour: with lo's MTU at 1280, a 2000-byte datagram is fragmented by the
    // kernel (DF clear) and arrives whole, instead of failing with EMSGSIZE.
    auto nl = Netlink::open();
    CHILD_CHECK(nl.ok(), "netlink");
    const auto mtu = nl->set_mtu(1, 1280);
    CHILD_CHECK(mtu.ok(), mtu.ok() ? "" : mtu.error().message());
    auto r = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(r.ok(), "open receiver");
    std::vector<std::uint8_t> big(2000, 0xab);
    const IoResult sent = s->send_to(r->local_endpoint(), big);
    CHILD_CHECK(sent.ok() && sent.count == big.size(), "send error " + std::to_string(sent.error));
    CHILD_CHECK(wait_readable(r->fd()), "reassembled datagram never arrived");
    std::vector<std::uint8_t> buf(4096);
    Datagram info;
    const IoResult got = r->recv_from(buf, info);
    CHILD_CHECK(got.ok() && got.count == big.size(), "received " + std::to_string(got.count));
    return {};
  });
}

TEST(UdpSocket, BatchSendAndReceive64EachWay) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto a = UdpSocket::open({kLoopback, 0});
    auto b = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(a.ok() && b.ok(), "open");
    if (auto e = batch_one_way(*a, *b, 0); !e.empty()) return e;
    return batch_one_way(*b, *a, 1);
  });
}

TEST(UdpSocket, PktinfoReportsDestinationAndChoosesSource) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto nl = Netlink::open();
    CHILD_CHECK(nl.ok(), "netlink");
    for (auto addr : {kPrimary, kSecondary}) {
      auto s = nl->add_address(1, addr, 32);
      CHILD_CHECK(s.ok(), s.ok() ? "" : s.error().message());
    }
    // A server bound to 0.0.0.0, like a Teredo server with two addresses.
    auto server = UdpSocket::open({{}, 0});
    CHILD_CHECK(server.ok(), "open server");
    const std::uint16_t port = server->local_endpoint().port;
    auto client = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(client.ok(), "open client");

    const std::vector<std::uint8_t> rs = {1, 2, 3};
    CHILD_CHECK(client->send_to({kPrimary, port}, rs).ok(), "send to primary");
    CHILD_CHECK(client->send_to({kSecondary, port}, rs).ok(), "send to secondary");
    DatagramBatch in(8, 1500);
    std::size_t got = 0;
    std::vector<Ipv4Address> destinations;
    while (got < 2) {
      CHILD_CHECK(wait_readable(server->fd()), "no datagram");
      CHILD_CHECK(server->recv_batch(in).ok(), "recv");
      for (std::size_t i = 0; i < in.size(); ++i, ++got) {
        destinations.push_back(in[i].local);
        CHILD_CHECK(in[i].peer == client->local_endpoint(), "peer " + in[i].peer.to_string());
      }
    }
    CHILD_CHECK(destinations == (std::vector<Ipv4Address>{kPrimary, kSecondary}),
                "destinations " + destinations[0].to_string() + " " + destinations[1].to_string());

    // Answer from the chosen address: the client sees it as the source. Single send ...
    CHILD_CHECK(server->send_to(client->local_endpoint(), rs, kSecondary).ok(), "reply");
    // ... and batched, alternating sources.
    DatagramBatch out(4, 1500);
    out.push(client->local_endpoint(), rs, kPrimary);
    out.push(client->local_endpoint(), rs, kSecondary);
    out.push(client->local_endpoint(), rs);  // kernel's choice
    CHILD_CHECK(server->send_batch(out).sent == 3, "send_batch");
    const std::vector<Ipv4Address> want = {kSecondary, kPrimary, kSecondary, kLoopback};
    std::vector<Ipv4Address> sources;
    while (sources.size() < want.size()) {
      CHILD_CHECK(wait_readable(client->fd()), "no reply");
      CHILD_CHECK(client->recv_batch(in).ok(), "recv reply");
      for (std::size_t i = 0; i < in.size(); ++i) {
        sources.push_back(in[i].peer.address);
        CHILD_CHECK(in[i].peer.port == port, "reply port");
      }
    }
    CHILD_CHECK(sources == want, "reply sources " + sources[0].to_string() + " " +
                                     sources[1].to_string() + " " + sources[2].to_string() + " " +
                                     sources[3].to_string());
    return {};
  });
}

// Receives `count` datagrams on `s` (bounded waits), appending their payloads to `out`.
std::string receive_n(UdpSocket& s, std::size_t count, std::vector<std::vector<std::uint8_t>>& out,
                      const Endpoint& from) {
  DatagramBatch in(16, 4096);
  const std::size_t want = out.size() + count;
  while (out.size() < want) {
    CHILD_CHECK(wait_readable(s.fd()), "datagram " + std::to_string(out.size()) + " never came");
    const IoResult r = s.recv_batch(in);
    CHILD_CHECK(r.ok(), "recv_batch error " + std::to_string(r.error));
    for (std::size_t i = 0; i < in.size(); ++i) {
      CHILD_CHECK(!in[i].truncated, "truncated");
      CHILD_CHECK(in[i].peer == from, "source " + in[i].peer.to_string());
      const auto p = in.payload(i);
      out.emplace_back(p.begin(), p.end());
    }
  }
  CHILD_CHECK(out.size() == want, "more datagrams than sent");
  return {};
}

std::vector<std::uint8_t> filled(std::size_t length, std::size_t seed) {
  std::vector<std::uint8_t> v(length);
  for (std::size_t k = 0; k < length; ++k) v[k] = static_cast<std::uint8_t>(seed * 31 + k);
  return v;
}

// The batch [b x10] [c] [b x9 + a shorter one] [c x2] [b x70]: GSO runs to b (10, 10, then 64
// + 6: a run never passes 64 datagrams), single and paired ones to c. Each receiver gets its
// datagrams one by one, in order, byte for byte.
TEST(UdpSocket, GsoRunsArriveAsSeparateDatagramsInOrder) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    UdpOptions o;
    o.gso = true;
    auto a = UdpSocket::open({kLoopback, 0}, o);
    auto b = UdpSocket::open({kLoopback, 0});
    auto c = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(a.ok() && b.ok() && c.ok(), "open");
    CHILD_CHECK(a->gso(), "GSO not available");
    std::vector<std::pair<Endpoint, std::vector<std::uint8_t>>> plan;
    std::size_t seed = 0;
    auto add = [&](const UdpSocket& to, std::size_t n, std::size_t length) {
      for (std::size_t i = 0; i < n; ++i)
        plan.emplace_back(to.local_endpoint(), filled(length, ++seed));
    };
    add(*b, 10, 1000);
    add(*c, 1, 1000);
    add(*b, 9, 700);
    add(*b, 1, 333);
    add(*c, 2, 64);
    add(*b, 70, 64);
    DatagramBatch out(plan.size(), 2048);
    for (const auto& [to, p] : plan) CHILD_CHECK(out.push(to, p), "push");
    const BatchResult sr = a->send_batch(out);
    CHILD_CHECK(sr.sent == plan.size() && sr.dropped == 0 && !sr.blocked && sr.next == plan.size(),
                "send_batch sent " + std::to_string(sr.sent));
    // Runs of 10, 10, 2, 64, 6 datagrams went as GSO messages; the single one to c did not.
    CHILD_CHECK(a->gso_messages() == 5, "GSO messages " + std::to_string(a->gso_messages()));
    CHILD_CHECK(a->gso_fallbacks() == 0, "fallbacks");

    std::vector<std::vector<std::uint8_t>> at_b;
    std::vector<std::vector<std::uint8_t>> at_c;
    if (auto e = receive_n(*b, 90, at_b, a->local_endpoint()); !e.empty()) return e;
    if (auto e = receive_n(*c, 3, at_c, a->local_endpoint()); !e.empty()) return e;
    std::size_t ib = 0;
    std::size_t ic = 0;
    for (const auto& [to, p] : plan) {
      const auto& got = to == b->local_endpoint() ? at_b[ib++] : at_c[ic++];
      CHILD_CHECK(got == p, "datagram " + std::to_string(ib + ic) + " differs (length " +
                                std::to_string(got.size()) + ", sent " + std::to_string(p.size()) +
                                ")");
    }
    DatagramBatch in(4, 2048);
    CHILD_CHECK(b->recv_batch(in).count == 0 && c->recv_batch(in).count == 0, "extra datagrams");

    // `from` inside a run: the run starts there.
    const BatchResult again = a->send_batch(out, 85);
    CHILD_CHECK(again.sent == plan.size() - 85 && again.next == plan.size(), "send from 85");
    std::vector<std::vector<std::uint8_t>> tail;
    if (auto e = receive_n(*b, plan.size() - 85, tail, a->local_endpoint()); !e.empty()) return e;
    for (std::size_t i = 0; i < tail.size(); ++i)
      CHILD_CHECK(tail[i] == plan[85 + i].second, "tail");
    return {};
  });
}

// A GSO message whose segments (plus headers) exceed the path MTU is refused by the kernel
// (EMSGSIZE; EINVAL on older kernels); its datagrams go one by one instead (fragmented: DF is
// clear), and the datagrams around it are not affected.
TEST(UdpSocket, GsoRefusedByTheKernelFallsBackToSingleDatagrams) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto nl = Netlink::open();
    CHILD_CHECK(nl.ok(), "netlink");
    const auto mtu = nl->set_mtu(1, 1280);
    CHILD_CHECK(mtu.ok(), mtu.ok() ? "" : mtu.error().message());
    UdpOptions o;
    o.gso = true;
    auto a = UdpSocket::open({kLoopback, 0}, o);
    auto b = UdpSocket::open({kLoopback, 0});
    auto c = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(a.ok() && b.ok() && c.ok(), "open");
    std::vector<std::pair<Endpoint, std::vector<std::uint8_t>>> plan;
    for (std::size_t i = 0; i < 3; ++i) plan.emplace_back(b->local_endpoint(), filled(200, i));
    plan.emplace_back(c->local_endpoint(), filled(100, 50));
    for (std::size_t i = 0; i < 4; ++i)
      plan.emplace_back(b->local_endpoint(), filled(1400, 60 + i));
    for (std::size_t i = 0; i < 3; ++i) plan.emplace_back(b->local_endpoint(), filled(200, 70 + i));
    DatagramBatch out(plan.size(), 2048);
    for (const auto& [to, p] : plan) CHILD_CHECK(out.push(to, p), "push");
    const BatchResult sr = a->send_batch(out);
    CHILD_CHECK(sr.sent == plan.size() && sr.dropped == 0 && sr.next == plan.size(),
                "sent " + std::to_string(sr.sent) + " dropped " + std::to_string(sr.dropped) +
                    " error " + std::to_string(sr.last_error));
    CHILD_CHECK(a->gso_fallbacks() == 1, "fallbacks " + std::to_string(a->gso_fallbacks()));
    CHILD_CHECK(a->gso(), "EINVAL must not turn GSO off");
    CHILD_CHECK(a->gso_messages() == 2, "GSO messages " + std::to_string(a->gso_messages()));
    std::vector<std::vector<std::uint8_t>> at_b;
    std::vector<std::vector<std::uint8_t>> at_c;
    if (auto e = receive_n(*b, 10, at_b, a->local_endpoint()); !e.empty()) return e;
    if (auto e = receive_n(*c, 1, at_c, a->local_endpoint()); !e.empty()) return e;
    std::size_t ib = 0;
    for (const auto& [to, p] : plan) {
      if (to == c->local_endpoint()) {
        CHILD_CHECK(at_c[0] == p, "datagram to c");
      } else {
        CHILD_CHECK(at_b[ib] == p, "datagram " + std::to_string(ib) + " to b");
        ++ib;
      }
    }
    return {};
  });
}

// GSO is off unless asked for: the server's sockets send one message per datagram.
TEST(UdpSocket, GsoOffByDefault) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto a = UdpSocket::open({kLoopback, 0});
    auto b = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(a.ok() && b.ok(), "open");
    CHILD_CHECK(!a->gso(), "GSO on by default");
    DatagramBatch out(8, 2048);
    for (std::size_t i = 0; i < 8; ++i)
      CHILD_CHECK(out.push(b->local_endpoint(), filled(64, i)), "push");
    CHILD_CHECK(a->send_batch(out).sent == 8, "send");
    CHILD_CHECK(a->gso_messages() == 0, "GSO used");
    std::vector<std::vector<std::uint8_t>> got;
    return receive_n(*b, 8, got, a->local_endpoint());
  });
}

TEST(UdpSocket, RefusedDatagramsAreSkippedNotFatal) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto a = UdpSocket::open({kLoopback, 0});
    auto b = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(a.ok() && b.ok(), "open");
    // The middle datagram is larger than any IPv4 UDP payload (65507): EMSGSIZE for it alone.
    DatagramBatch out(3);
    std::vector<std::uint8_t> huge(65535, 1);
    const std::vector<std::uint8_t> small = {9};
    out.push(b->local_endpoint(), small);
    out.push(b->local_endpoint(), huge);
    out.push(b->local_endpoint(), small);
    const BatchResult r = a->send_batch(out);
    CHILD_CHECK(r.sent == 2 && r.dropped == 1 && r.last_error == EMSGSIZE && r.next == 3,
                "sent " + std::to_string(r.sent) + " dropped " + std::to_string(r.dropped));

    // ICMP port unreachable for a closed port does not surface on an unconnected socket
    // (no IP_RECVERR), so the next receive and send work normally.
    auto closed = UdpSocket::open({kLoopback, 0});
    CHILD_CHECK(closed.ok(), "open");
    const Endpoint gone = closed->local_endpoint();
    closed = OsError(0, "closed");  // closes the socket
    CHILD_CHECK(a->send_to(gone, small).ok(), "send to closed port");
    CHILD_CHECK(a->send_to(b->local_endpoint(), small).ok(), "send after ICMP error");
    DatagramBatch in(8, 2048);
    const IoResult none = a->recv_batch(in);
    CHILD_CHECK(none.ok() && none.count == 0, "error surfaced: " + std::to_string(none.error));
    CHILD_CHECK(wait_readable(b->fd()), "no datagram");
    std::size_t got = 0;
    while (got < 3) {
      const IoResult rr = b->recv_batch(in);
      CHILD_CHECK(rr.ok(), "recv");
      got += rr.count;
      if (got < 3) CHILD_CHECK(wait_readable(b->fd()), "missing datagrams");
    }
    return {};
  });
}

}  // namespace
}  // namespace shipworm::os
