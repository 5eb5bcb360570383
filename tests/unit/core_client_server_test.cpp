// End to end inside one process: real ClientEngines qualify against the real ServerEngine and
// punch holes to each other, through an in-memory IPv4 network with NAT functions.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "core/client_engine.h"
#include "core/server_engine.h"
#include "core_client_test_fakes.h"

namespace shipworm::core {
namespace {

using namespace testing;
using wire::Endpoint;

enum class NatKind { kPortRestrictedCone, kSymmetric };

// A NAT in front of one client: endpoint-independent (cone) or per-destination (symmetric)
// mapping, port-restricted filtering in both cases.
struct Nat {
  NatKind kind;
  wire::Ipv4Address public_ip;
  std::uint16_t next_port;
  std::map<Endpoint, std::uint16_t> by_destination;  // symmetric
  std::uint16_t cone_port = 0;
  std::map<std::pair<std::uint16_t, Endpoint>, bool> allowed;  // (public port, remote)

  Endpoint outbound(const Endpoint& to) {
    std::uint16_t port;
    if (kind == NatKind::kPortRestrictedCone) {
      if (cone_port == 0) cone_port = next_port++;
      port = cone_port;
    } else {
      auto it = by_destination.find(to);
      if (it == by_destination.end()) it = by_destination.emplace(to, next_port++).first;
      port = it->second;
    }
    allowed[{port, to}] = true;
    return {public_ip, port};
  }
  bool inbound(const Endpoint& from, std::uint16_t port) const {
    return allowed.count({port, from}) > 0;
  }
};

struct Host : ActionSink {
  explicit Host(struct Network* n, int i) : net(n), index(i) {}
  void send_udp(const Endpoint& to, wire::Bytes payload) override;
  void write_tun(wire::Bytes p) override { tun.emplace_back(p.begin(), p.end()); }
  struct Network* net;
  int index;
  std::vector<std::vector<std::uint8_t>> tun;
};

struct Datagram {
  int from_client;  // -1: from a server address
  Endpoint from;    // server: its address; client: filled in by the NAT
  Endpoint to;
  std::vector<std::uint8_t> payload;
};

struct Network {
  ServerEngine server;
  std::vector<std::unique_ptr<ClientEngine>> clients;
  std::vector<std::unique_ptr<Host>> hosts;
  std::vector<Nat> nats;
  std::deque<Datagram> wire;
  std::vector<std::vector<std::uint8_t>> native;  // IPv6 the server sent to the Internet
  FakeRandom random;
  TimePoint now{};

  explicit Network(ServerEngineConfig c) : server(std::move(c)) {}

  ClientEngine& add_client(NatKind kind, wire::Ipv4Address public_ip) {
    const int i = static_cast<int>(clients.size());
    hosts.push_back(std::make_unique<Host>(this, i));
    nats.push_back(Nat{kind, public_ip, 40000, {}, 0, {}});
    ClientEngineConfig c;
    c.servers = {kServer};
    c.qualification.local_port = 4000;
    c.peers.hash_key = 3;
    clients.push_back(std::make_unique<ClientEngine>(std::move(c), random));
    return *clients.back();
  }

  void deliver_to_client(const Datagram& d) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (nats[i].public_ip != d.to.address) continue;
      if (!nats[i].inbound(d.from, d.to.port)) return;  // filtered by the NAT
      clients[i]->on_udp(now, d.from, d.payload, *hosts[i]);
      return;
    }
  }

  void pump() {
    for (int guard = 0; guard < 10000 && !wire.empty(); ++guard) {
      Datagram d = std::move(wire.front());
      wire.pop_front();
      if (d.to.port == wire::kTeredoPort &&
          (d.to.address == kServer.primary || d.to.address == kServer.secondary)) {
        const auto out = server.on_datagram(now, {d.from, d.to.address, d.payload});
        if (out.kind == ServerOutput::Kind::kUdp) {
          wire.push_back({-1,
                          {out.from, wire::kTeredoPort},
                          out.to,
                          {out.payload.begin(), out.payload.end()}});
        } else if (out.kind == ServerOutput::Kind::kIpv6) {
          native.emplace_back(out.payload.begin(), out.payload.end());
        }
        continue;
      }
      deliver_to_client(d);
    }
  }

  void run(TimePoint until) {
    pump();
    for (int guard = 0; guard < 10000; ++guard) {
      TimePoint next = kNoDeadline;
      for (auto& c : clients) next = std::min(next, c->next_deadline());
      if (next == kNoDeadline || next > until) break;
      now = std::max(now, next);
      for (std::size_t i = 0; i < clients.size(); ++i) clients[i]->on_timer(now, *hosts[i]);
      pump();
    }
    now = until;
  }
};

void Host::send_udp(const Endpoint& to, wire::Bytes payload) {
  Datagram d{index,
             net->nats[static_cast<std::size_t>(index)].outbound(to),
             to,
             {payload.begin(), payload.end()}};
  net->wire.push_back(std::move(d));
}

ServerEngineConfig server_config() {
  ServerEngineConfig c;
  c.primary = kServer.primary;
  c.secondary = kServer.secondary;
  c.hash_key = 1;
  return c;
}

TEST(ClientServerEndToEnd, Rfc4380_5_2_1_QualifiesBehindAConeNatWithTheNatMapping) {
  Network net(server_config());
  auto& c = net.add_client(NatKind::kPortRestrictedCone, v4("203.0.113.7"));
  c.start(net.now, *net.hosts[0]);
  net.run(net.now + 1s);
  ASSERT_EQ(c.state(), ClientState::kQualified) << c.cause();
  EXPECT_EQ(c.nat_type(), NatType::kConeOrRestricted);
  const Endpoint mapping{v4("203.0.113.7"), 40000};
  EXPECT_EQ(c.mapping(), mapping);
  const auto a = c.address();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->server, kServer.primary);
  EXPECT_EQ(a->mapped, mapping);
  EXPECT_FALSE(a->cone());
  EXPECT_TRUE(a->rfc5991_compliant());
  EXPECT_EQ(net.server.counters().ra_sent, 2u);  // primary, then secondary
  // It stays qualified across refreshes.
  net.run(net.now + 300s);
  EXPECT_EQ(c.state(), ClientState::kQualified);
  EXPECT_EQ(c.address(), a);
  EXPECT_GE(net.server.counters().ra_sent, 12u);
}

TEST(ClientServerEndToEnd, Rfc6081_5_2_DetectsASymmetricNatAndKeepsThePrimaryMapping) {
  Network net(server_config());
  auto& c = net.add_client(NatKind::kSymmetric, v4("203.0.113.9"));
  c.start(net.now, *net.hosts[0]);
  net.run(net.now + 1s);
  ASSERT_EQ(c.state(), ClientState::kQualified) << c.cause();
  EXPECT_EQ(c.nat_type(), NatType::kSymmetric);
  EXPECT_EQ(c.mapping(), (Endpoint{v4("203.0.113.9"), 40000}));
  EXPECT_EQ(c.status().secondary_mapping, (Endpoint{v4("203.0.113.9"), 40001}));
  EXPECT_NE(c.cause().find("symmetric NAT: mapping 203.0.113.9:40000 via primary, :40001 via "
                           "secondary"),
            std::string::npos)
      << c.cause();
}

TEST(ClientServerEndToEnd, Rfc4380_5_2_6_TwoConeClientsPunchAHoleAndExchangeData) {
  Network net(server_config());
  auto& a = net.add_client(NatKind::kPortRestrictedCone, v4("203.0.113.7"));
  auto& b = net.add_client(NatKind::kPortRestrictedCone, v4("192.0.2.50"));
  a.start(net.now, *net.hosts[0]);
  b.start(net.now, *net.hosts[1]);
  net.run(net.now + 1s);
  ASSERT_EQ(a.state(), ClientState::kQualified);
  ASSERT_EQ(b.state(), ClientState::kQualified);
  const auto addr_a = a.address()->to_ipv6();
  const auto addr_b = b.address()->to_ipv6();

  test::Buffer buf;
  wire::write_ipv6_header(buf.w, {addr_a, addr_b, 17, 64, 8, 0, 0});
  buf.w.bytes(std::vector<std::uint8_t>(8, 0x42));
  const auto packet = buf.vec();
  a.on_tun(net.now, packet, *net.hosts[0]);
  net.run(net.now + 10s);
  // A's direct bubble opens A's NAT towards B but is filtered by B's NAT; the indirect one
  // reaches B through the server; B's direct answer to the origin opens B's NAT and passes
  // A's; A trusts B (case 3) and flushes its queue to B.
  ASSERT_EQ(net.hosts[1]->tun.size(), 1u);
  EXPECT_EQ(net.hosts[1]->tun[0], packet);
  const PeerId id = a.peers().find(addr_b);
  ASSERT_NE(id, kNoPeer);
  EXPECT_TRUE(a.peers()[id].trusted());
  EXPECT_TRUE(net.hosts[0]->tun.empty());  // no ICMPv6 error
  // And B answers directly.
  test::Buffer back;
  wire::write_ipv6_header(back.w, {addr_b, addr_a, 17, 64, 0, 0, 0});
  b.on_tun(net.now, back.vec(), *net.hosts[1]);
  net.pump();
  ASSERT_EQ(net.hosts[0]->tun.size(), 1u);
}

TEST(ClientServerEndToEnd, Rfc4380_5_2_9_PingTestLeavesTheServerAsANativeEchoRequest) {
  Network net(server_config());
  auto& a = net.add_client(NatKind::kPortRestrictedCone, v4("203.0.113.7"));
  a.start(net.now, *net.hosts[0]);
  net.run(net.now + 1s);
  ASSERT_EQ(a.state(), ClientState::kQualified);
  test::Buffer buf;
  wire::write_ipv6_header(buf.w, {a.address()->to_ipv6(), v6("2001:db8::10"), 17, 64, 0, 0, 0});
  a.on_tun(net.now, buf.vec(), *net.hosts[0]);
  net.pump();
  ASSERT_EQ(net.native.size(), 1u);  // accepted by the server's 88-byte ICMPv6 cap
  auto ip = wire::parse_ipv6(net.native[0]);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->dst, v6("2001:db8::10"));
  auto icmp = wire::parse_icmpv6(*ip);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, wire::kIcmpEchoRequest);
}

}  // namespace
}  // namespace shipworm::core
