#include "daemon/netcheck.h"

#include <fmt/core.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>

#include <array>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "os/linux/csprng.h"
#include "os/linux/netlink.h"
#include "os/linux/udp_socket.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/messages.h"
#include "wire/router_discovery.h"
#include "wire/teredo_address.h"
#include "wire/trailers.h"

namespace shipworm::daemon {
namespace {

using Clock = std::chrono::steady_clock;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;

struct Step {
  std::string name;
  std::string status;  // "ok", "failed", "info", "skipped"
  std::string detail;
  std::string hint;
};

class Report {
 public:
  void add(Step s) { steps_.push_back(std::move(s)); }
  [[nodiscard]] bool failed() const {
    for (const auto& s : steps_) {
      if (s.status == "failed") return true;
    }
    return false;
  }
  void print(bool json, const nlohmann::ordered_json& facts) const {
    if (json) {
      nlohmann::ordered_json j = facts;
      j["steps"] = nlohmann::ordered_json::array();
      for (const auto& s : steps_) {
        j["steps"].push_back(
            {{"step", s.name}, {"status", s.status}, {"detail", s.detail}, {"hint", s.hint}});
      }
      j["teredo_usable"] = !failed();
      fmt::print("{}\n", j.dump(2));
      return;
    }
    for (const auto& s : steps_) {
      fmt::print("[{:^7}] {}: {}\n", s.status, s.name, s.detail);
      if (!s.hint.empty()) fmt::print("          hint: {}\n", s.hint);
    }
    fmt::print("{}\n", failed() ? "=> Teredo would not work from here (see the failed steps)."
                                : "=> Teredo should work from here.");
  }

 private:
  std::vector<Step> steps_;
};

std::string ms(Clock::duration d) {
  return fmt::format("{:.1f} ms", std::chrono::duration<double, std::milli>(d).count());
}

// Native IPv6: a global address that is not Teredo, and a default route.
Step native_ipv6_step() {
  ifaddrs* list = nullptr;
  std::string found;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6) continue;
      Ipv6Address a =
          Ipv6Address::from_bytes({reinterpret_cast<const std::uint8_t*>(
                                       &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr),
                                   16});
      const bool global = (a.bytes[0] & 0xe0) == 0x20;  // 2000::/3
      if (global && !wire::is_teredo(a)) {
        found = a.to_string() + " on " + i->ifa_name;
        break;
      }
    }
    ::freeifaddrs(list);
  }
  bool default_route = false;
  if (auto nl = os::Netlink::open()) {
    if (auto routes = nl.value().ipv6_routes()) {
      for (const auto& r : routes.value()) {
        if (r.destination.length == 0 && r.type == 1 && r.table == 254) default_route = true;
      }
    }
  }
  if (!found.empty() && default_route) {
    return {"native IPv6", "info", "present (" + found + ", default route)",
            "native IPv6 works here: a Teredo client should stay idle (RFC 4380 §5.5); a "
            "host-specific relay (shipworm relay --host) can reach Teredo peers instead"};
  }
  return {"native IPv6", "info",
          found.empty() ? "none: Teredo is what gives this host IPv6"
                        : "an address (" + found + ") but no default route",
          ""};
}

std::optional<Ipv4Address> resolve(const std::string& name, std::string& error) {
  if (auto a = Ipv4Address::parse(name)) return a;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res); rc != 0) {
    error = ::gai_strerror(rc);
    return std::nullopt;
  }
  const auto a = Ipv4Address{ntohl(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr)};
  ::freeaddrinfo(res);
  return a;
}

class Prober {
 public:
  Prober(os::UdpSocket& sock, const NetcheckOptions& o) : sock_(sock), o_(o) {}

  struct RaAnswer {
    Endpoint mapping;
    Endpoint from;
    Clock::duration rtt{};
  };

  // Sends RSs to `to` (C bit as given) and waits for a matching RA from any of `accept`.
  std::optional<RaAnswer> solicit(const Endpoint& to, bool cone, Ipv4Address server,
                                  std::initializer_list<Endpoint> accept) {
    for (int attempt = 0; attempt < o_.tries; ++attempt) {
      wire::Nonce nonce{};
      os::fill_random(nonce);
      std::array<std::uint8_t, 128> buf{};
      wire::Writer w(buf);
      wire::write_rs_datagram(w, nonce, cone);
      const auto sent_at = Clock::now();
      (void)sock_.send_to(to, w.written());
      const auto deadline = sent_at + to_duration(o_.timeout_seconds);
      while (auto got = receive(deadline)) {
        const auto& [from, payload] = *got;
        bool expected = false;
        for (const auto& a : accept) expected |= from == a;
        if (!expected) continue;
        const auto p = wire::classify(payload);
        if (!p || !p->auth || p->auth->nonce != nonce || !p->origin) continue;
        const auto ra = wire::parse_router_advertisement(p->ipv6);
        if (!ra || ra->prefix_count != 1 || ra->prefix.prefix != wire::teredo_prefix(server) ||
            p->ipv6.dst != wire::client_rs_link_local(cone)) {
          continue;
        }
        return RaAnswer{*p->origin, from, Clock::now() - sent_at};
      }
    }
    return std::nullopt;
  }

  struct ProbeAnswer {
    bool control = false;          // the normal RA came back from 3544
    bool server_supports = false;  // ... echoing the probe trailer
    bool probe = false;            // the RA from the probe port got through the NAT
  };

  // shipworm's filtering probe (wire::kTrailerFilteringProbe): an RS with the trailer, from
  // this socket that already talked to primary:3544; a shipworm server answers from 3544
  // (echoing the trailer) and from `probe_port` of the same address. Only an
  // address-dependent filter lets the second one in.
  ProbeAnswer filtering_probe(const Endpoint& primary, std::uint16_t probe_port) {
    ProbeAnswer a;
    const Endpoint probe_ep{primary.address, probe_port};
    for (int attempt = 0; attempt < o_.tries && !(a.control && a.probe); ++attempt) {
      wire::Nonce nonce{};
      os::fill_random(nonce);
      std::array<std::uint8_t, 128> buf{};
      wire::Writer w(buf);
      wire::write_rs_datagram(w, nonce, false);
      wire::write_filtering_probe_trailer(w);
      (void)sock_.send_to(primary, w.written());
      const auto deadline = Clock::now() + to_duration(o_.timeout_seconds);
      while (auto got = receive(deadline)) {
        const auto& [from, payload] = *got;
        if (from != primary && from != probe_ep) continue;
        const auto p = wire::classify(payload);
        if (!p || !p->auth || p->auth->nonce != nonce || !p->origin) continue;
        if (from == probe_ep) {
          a.probe = true;
        } else {
          a.control = true;
          const auto t = wire::parse_trailers(p->ipv6.trailing);
          a.server_supports |= t.ok() && t->filtering_probe;
        }
        if (a.control && a.probe) break;
      }
    }
    return a;
  }

  struct PingAnswer {
    Endpoint relay;
    Clock::duration rtt{};
    bool bubbled = false;
  };

  // The direct IPv6 connectivity test (RFC 4380 §5.2.9) toward `target` via the server.
  std::optional<PingAnswer> ping(const Endpoint& server, const Ipv6Address& self,
                                 const Ipv6Address& target) {
    for (int attempt = 0; attempt < o_.tries; ++attempt) {
      std::array<std::uint8_t, 8> nonce{};
      os::fill_random(nonce);
      std::array<std::uint8_t, 256> buf{};
      wire::Writer w(buf);
      wire::write_echo(
          w, {true, self, target, 64, 0x5357, static_cast<std::uint16_t>(attempt), nonce});
      const auto sent_at = Clock::now();
      (void)sock_.send_to(server, w.written());
      bool bubbled = false;
      const auto deadline = sent_at + to_duration(o_.timeout_seconds);
      while (auto got = receive(deadline)) {
        const auto& [from, payload] = *got;
        const auto p = wire::classify(payload);
        if (!p) continue;
        if (wire::is_bubble(p->ipv6) && p->origin && from == server) {
          // The relay's indirect bubble (RFC 4380 §5.4.1 case 3): answer it directly, as a
          // client does, so the relay trusts this mapping and sends the reply.
          std::array<std::uint8_t, 64> b{};
          wire::Writer bw(b);
          wire::write_bubble(bw, self, p->ipv6.src, 255);
          (void)sock_.send_to(*p->origin, bw.written());
          bubbled = true;
          continue;
        }
        if (p->ipv6.src != target || p->ipv6.dst != self) continue;
        const auto icmp = wire::parse_icmpv6(p->ipv6);
        if (!icmp) continue;
        const auto echo = wire::parse_echo(*icmp);
        if (!echo || echo->is_request || echo->data.size() != nonce.size() ||
            std::memcmp(echo->data.data(), nonce.data(), nonce.size()) != 0) {
          continue;
        }
        return PingAnswer{from, Clock::now() - sent_at, bubbled};
      }
    }
    return std::nullopt;
  }

 private:
  static Clock::duration to_duration(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  std::optional<std::pair<Endpoint, wire::Bytes>> receive(Clock::time_point deadline) {
    for (;;) {
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) return std::nullopt;
      pollfd pfd{sock_.fd(), POLLIN, 0};
      const int ms_left =
          static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count()) + 1;
      if (::poll(&pfd, 1, ms_left) <= 0) continue;
      os::Datagram info;
      const auto r = sock_.recv_from(buf_, info);
      if (!r.ok() || info.truncated) continue;
      return std::pair{info.peer, wire::Bytes(buf_).first(info.length)};
    }
  }

  os::UdpSocket& sock_;
  const NetcheckOptions& o_;
  std::array<std::uint8_t, 65536> buf_{};
};

}  // namespace

int run_netcheck(const NetcheckOptions& o) {
  Report report;
  nlohmann::ordered_json facts;
  report.add(native_ipv6_step());

  std::string error;
  const auto primary = resolve(o.server, error);
  if (!primary) {
    report.add({"server address", "failed", fmt::format("cannot resolve '{}': {}", o.server, error),
                "check the name (ServerAddress) and this host's DNS"});
    report.print(o.json, facts);
    return 1;
  }
  const Ipv4Address secondary = o.server2.value_or(Ipv4Address{primary->value + 1});
  facts["server"] = primary->to_string();
  facts["server2"] = secondary.to_string();

  auto sock = os::UdpSocket::open({o.bind_address.value_or(Ipv4Address{}), o.bind_port});
  if (!sock) {
    report.add({"local socket", "failed", sock.error().message(),
                "choose another BindPort, or run with the permissions the port needs"});
    report.print(o.json, facts);
    return 1;
  }
  const Endpoint local = sock.value().local_endpoint();
  Prober probe(sock.value(), o);
  const Endpoint p_ep{*primary, wire::kTeredoPort};
  const Endpoint s_ep{secondary, wire::kTeredoPort};

  const auto a1 = probe.solicit(p_ep, false, *primary, {p_ep});
  if (!a1) {
    report.add({"primary server", "failed",
                fmt::format("no reply from {} after {} tries", p_ep.to_string(), o.tries),
                "UDP to port 3544 is blocked (firewall?), or the server is down or not a Teredo "
                "server; try another ServerAddress"});
    report.print(o.json, facts);
    return 1;
  }
  facts["mapping"] = a1->mapping.to_string();
  report.add({"primary server", "ok",
              fmt::format("{} answered in {}; it sees this host as {}", p_ep.to_string(),
                          ms(a1->rtt), a1->mapping.to_string()),
              ""});
  if (!wire::is_global_unicast(a1->mapping.address)) {
    report.add({"mapping", "failed",
                fmt::format("the server sees a non-global address {}", a1->mapping.to_string()),
                "the server and this host are on a private network: Teredo needs a global "
                "mapping (RFC 4380 §5.2.4)"});
  }

  const auto a2 = probe.solicit(s_ep, false, *primary, {s_ep});
  std::string nat;
  if (!a2) {
    report.add({"secondary address", "failed",
                fmt::format("no reply from {} after {} tries", s_ep.to_string(), o.tries),
                "the server's second address is unreachable: the NAT type cannot be checked and "
                "RFC 4380 §5.2.1 considers the service unusable; check ServerAddress2"});
    nat = "unknown";
  } else if (a2->mapping != a1->mapping) {
    nat = "symmetric";
    report.add({"NAT mapping", "info",
                fmt::format("symmetric NAT: mapping {} via the primary, {} via the secondary",
                            a1->mapping.to_string(), a2->mapping.to_string()),
                "behind a symmetric NAT Teredo reaches native IPv6 hosts through relays but "
                "usually not other Teredo clients (RFC 6081 §3); a port forwarding of the "
                "client's BindPort or UPnP on the router helps"});
  } else if (a1->mapping == local && local.address.value != 0) {
    nat = "none";
    report.add(
        {"NAT mapping", "ok", "no NAT: the server sees this host's own address and port", ""});
  } else {
    report.add({"NAT mapping", "ok",
                fmt::format("endpoint-independent: {} toward both server addresses{}",
                            a1->mapping.to_string(),
                            a1->mapping.port == local.port ? " (port preserved)" : ""),
                ""});
  }

  if (nat.empty()) {
    // Filtering: the C = 1 RS is answered from the other address (RFC 4380 §5.3.2), an
    // address this socket never sent to since... it has: so use a fresh socket for this test.
    auto fresh = os::UdpSocket::open({o.bind_address.value_or(Ipv4Address{}), 0});
    std::optional<Prober::RaAnswer> cone;
    if (fresh) {
      Prober p2(fresh.value(), o);
      cone = p2.solicit(p_ep, true, *primary, {s_ep});
    }
    if (cone) {
      nat = "full cone";
      report.add({"NAT filtering", "ok",
                  "endpoint-independent: an answer from an address never contacted got in "
                  "(full cone NAT)",
                  ""});
    } else {
      const auto f = probe.filtering_probe(p_ep, o.probe_port);
      if (f.probe) {
        nat = "address-restricted cone";
        report.add({"NAT filtering", "ok",
                    fmt::format("address-dependent: an answer from another port ({}) of a server "
                                "address already contacted got in (address-restricted cone NAT)",
                                o.probe_port),
                    ""});
      } else if (f.server_supports) {
        nat = "port-restricted cone";
        report.add({"NAT filtering", "ok",
                    fmt::format("address-and-port-dependent: the server answered from port {} too, "
                                "but only its port 3544 got in (port-restricted cone NAT); "
                                "Teredo handles this with bubbles",
                                o.probe_port),
                    ""});
      } else {
        nat = "restricted cone";
        report.add({"NAT filtering", "ok",
                    "address- or port-dependent: only peers contacted first get in (restricted or "
                    "port-restricted cone NAT; this server has no filtering probe to tell them "
                    "apart); Teredo handles both with bubbles",
                    ""});
      }
    }
  }
  facts["nat_type"] = nat;

  if (o.target) {
    const Ipv6Address self =
        wire::TeredoAddress{*primary, wire::make_flags(false, os::random_value<std::uint16_t>()),
                            a1->mapping}
            .to_ipv6();
    facts["teredo_address"] = self.to_string();
    const auto pong = probe.ping(p_ep, self, *o.target);
    if (pong) {
      facts["relay"] = pong->relay.to_string();
      report.add({"relay", "ok",
                  fmt::format("{} answered in {} through the relay at {}{}", o.target->to_string(),
                              ms(pong->rtt), pong->relay.to_string(),
                              pong->bubbled ? " (after a bubble exchange)" : ""),
                  ""});
    } else {
      report.add(
          {"relay", "failed",
           fmt::format("no echo reply from {} after {} tries", o.target->to_string(), o.tries),
           nat == "symmetric"
               ? "behind a symmetric NAT the relay sees another mapping than the one in the "
                 "address and drops the traffic (RFC 4380 §5.4.2)"
               : "no Teredo relay serves the path back from that host (its network needs "
                 "a route to 2001::/32 via a relay), or the server does not forward the "
                 "ping test"});
    }
  } else {
    report.add({"relay", "skipped", "no --target given",
                "add --target IPV6 (a native host) to test "
                "the relay path with the ping test"});
  }
  report.print(o.json, facts);
  return report.failed() ? 1 : 0;
}

}  // namespace shipworm::daemon
