// sim_scale: one real ServerEngine and one real RelayEngine with 10^5 simulated Teredo
// clients (10^6 with --million), in simulated time (tests/sim/event_queue.h). A benchmark,
// not a test: it prints events per second, the relay's memory per client (RSS delta and
// the peer table's own accounting) and the server's memory, which must not grow with the
// number of clients (docs/architecture.md, "House rules").
//
// Each client is a few bytes of script, not a ClientEngine (whose scratch buffers would
// dominate): it qualifies (RS to the primary and the secondary address, RFC 4380 §5.2.1),
// then a native host sends it a packet: the relay queues it and bubbles through the server
// (§5.4.1 case 3), the client answers at the origin, the relay flushes, and the client
// answers the native host through the relay (§5.4.2).
//
//   sim_scale [--clients N] [--million] [--seed S]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/qualification.h"
#include "core/relay_engine.h"
#include "core/server_engine.h"
#include "event_queue.h"
#include "sim_random.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/ipv6_packet.h"
#include "wire/messages.h"
#include "wire/teredo_address.h"

using namespace shipworm;
using namespace std::chrono_literals;

namespace {

std::size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

const wire::Ipv4Address kPrimary = *wire::Ipv4Address::parse("198.51.100.1");
const wire::Ipv4Address kSecondary = *wire::Ipv4Address::parse("198.51.100.2");
const wire::Endpoint kRelay{*wire::Ipv4Address::parse("192.0.2.10"), wire::kTeredoPort};
const wire::Ipv6Address kNative = *wire::Ipv6Address::parse("2001:db8::10");
constexpr std::uint32_t kClientBase = 0x14000000;  // 20.0.0.0: clients are 20.x.y.z

struct Client {
  wire::Ipv6Address address{};
  std::uint8_t phase = 0;  // 0 primary RS, 1 secondary RS, 2 qualified
};

class Bench : public core::ActionSink {
 public:
  Bench(std::size_t n, std::uint64_t seed)
      : queue_(core::TimePoint{} + 1h), random_(seed), clients_(n) {
    core::ServerEngineConfig sc;
    sc.primary = kPrimary;
    sc.secondary = kSecondary;
    sc.hash_key = random_.next();
    rss_before_server_ = rss_bytes();
    server_ = std::make_unique<core::ServerEngine>(sc);
    rss_after_server_ = rss_bytes();
  }

  void run() {
    const auto wall0 = std::chrono::steady_clock::now();
    // Phase 1: every client qualifies. The server sees 4 datagrams per client.
    spawn(0, 2000.0, [this](std::size_t i) { send_rs(i, kPrimary); });
    drain();
    rss_after_qualify_ = rss_bytes();
    std::size_t qualified = 0;
    for (const auto& c : clients_) qualified += c.phase == 2 ? 1 : 0;

    // Phase 2: the relay. A native host reaches each client, at 400 new clients a second
    // (under the server's default 500/s forwarding limit per source: all bubbles come
    // from the one relay address).
    core::RelayEngineConfig rc;
    rc.table.capacity = clients_.size();
    rc.table.max_untrusted = clients_.size();
    rc.table.hash_key = random_.next();
    rc.hash_key = random_.next();
    rc.peer_idle_timeout = 24h;
    rc.own_ipv4 = {kRelay.address};
    const std::size_t rss_before_relay = rss_bytes();
    relay_ = std::make_unique<core::RelayEngine>(rc);
    spawn(0, 400.0, [this](std::size_t i) { native_sends(i); });
    drain();
    const std::size_t rss_after_relay = rss_bytes();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

    const auto& table = relay_->peers();
    const double n = static_cast<double>(clients_.size());
    std::printf(
        "clients                      %zu (qualified %zu, reached by the native host %zu, answered "
        "%llu)\n",
        clients_.size(), qualified, delivered_,
        static_cast<unsigned long long>(relay_->counters().to_native_packets));
    std::printf(
        "events                       %llu in %.2f s wall = %.0f events/s (simulated %.0f s)\n",
        static_cast<unsigned long long>(queue_.executed()), wall,
        static_cast<double>(queue_.executed()) / wall, core::seconds_between(start_, queue_.now()));
    std::printf("server datagrams             %llu (RAs %llu, forwarded %llu, dropped %llu)\n",
                static_cast<unsigned long long>(server_->counters().datagrams),
                static_cast<unsigned long long>(server_->counters().ra_sent),
                static_cast<unsigned long long>(server_->counters().forwarded_teredo),
                static_cast<unsigned long long>(server_->counters().total_dropped()));
    std::printf(
        "server memory                %zu KiB RSS at construction (rate limiter slots, fixed)\n",
        (rss_after_server_ - rss_before_server_) / 1024);
    std::printf(
        "server RSS growth, phase 1   %+lld KiB over %zu qualifications (includes the simulator's "
        "event heap)\n",
        (static_cast<long long>(rss_after_qualify_) - static_cast<long long>(rss_after_server_)) /
            1024,
        qualified);
    std::printf("relay peers                  %zu trusted, %zu untrusted (capacity %zu)\n",
                table.trusted_count(), table.untrusted_count(), table.capacity());
    std::printf(
        "relay table accounting       %zu bytes/peer entry; %zu MiB total incl. queue pool = %.0f "
        "bytes/client\n",
        table.bytes_per_peer(), table.memory_bytes() >> 20,
        static_cast<double>(table.memory_bytes()) / n);
    std::printf("relay RSS delta              %.0f bytes/client (%zu MiB)\n",
                static_cast<double>(rss_after_relay - rss_before_relay) / n,
                (rss_after_relay - rss_before_relay) >> 20);
  }

  // ActionSink of the relay.
  void send_udp(const wire::Endpoint& to, wire::Bytes payload) override {
    datagram(kRelay, to, payload);
  }
  void write_tun(wire::Bytes) override {}

 private:
  // Starts client i, then schedules client i + 1 after an exponential gap (a Poisson
  // arrival process at `per_second`), so the event heap holds only what is in flight.
  template <class F>
  void spawn(std::size_t i, double per_second, F start) {
    if (i >= clients_.size()) return;
    start(i);
    const double gap = -std::log(1.0 - random_.uniform()) / per_second;
    queue_.after(std::chrono::duration_cast<core::Duration>(std::chrono::duration<double>(gap)),
                 [this, i, per_second, start] { spawn(i + 1, per_second, start); });
  }
  static wire::Endpoint endpoint_of(std::size_t i) {
    return {wire::Ipv4Address{kClientBase + static_cast<std::uint32_t>(i)},
            static_cast<std::uint16_t>(40000 + i % 1000)};
  }
  void drain() {
    while (queue_.run_one(core::TimePoint::max())) {
      if (relay_ && relay_->next_deadline() <= queue_.now()) relay_->on_timer(queue_.now(), *this);
    }
  }
  void datagram(const wire::Endpoint& from, const wire::Endpoint& to, wire::Bytes payload) {
    const auto delay =
        10ms + core::Duration(static_cast<core::Duration::rep>(random_.between(0, 5'000'000)));
    queue_.after(delay,
                 [this, from, to, p = std::vector<std::uint8_t>(payload.begin(), payload.end())] {
                   arrive(from, to, p);
                 });
  }
  void arrive(const wire::Endpoint& from, const wire::Endpoint& to,
              const std::vector<std::uint8_t>& p) {
    const auto now = queue_.now();
    if (to.port == wire::kTeredoPort && (to.address == kPrimary || to.address == kSecondary)) {
      const auto out = server_->on_datagram(now, {from, to.address, p});
      if (out.kind == core::ServerOutput::Kind::kUdp)
        datagram({out.from, wire::kTeredoPort}, out.to, out.payload);
      return;
    }
    if (to == kRelay) {
      relay_->on_udp(now, from, p, *this);
      return;
    }
    client_receives(to.address.value - kClientBase, from, p);
  }

  void send_rs(std::size_t i, wire::Ipv4Address server) {
    std::array<std::uint8_t, 128> buf{};
    wire::Writer w(buf);
    wire::Nonce nonce{};
    random_.fill(nonce);
    wire::write_rs_datagram(w, nonce, false);
    datagram(endpoint_of(i), {server, wire::kTeredoPort}, w.written());
  }

  void native_sends(std::size_t i) {
    std::array<std::uint8_t, 48> buf{};
    wire::Writer w(buf);
    wire::write_ipv6_header(w, {kNative, clients_[i].address, 253, 64, 8, 0, 0});
    w.zeros(8);
    relay_->on_tun(queue_.now(), w.written(), *this);
  }

  void client_receives(std::size_t i, const wire::Endpoint& from,
                       const std::vector<std::uint8_t>& p) {
    if (i >= clients_.size()) return;
    Client& c = clients_[i];
    const auto packet = wire::classify(p);
    if (!packet) return;
    if (core::looks_like_router_advertisement(*packet) && packet->origin) {
      if (c.phase == 0) {
        c.address =
            wire::TeredoAddress{kPrimary,
                                wire::make_flags(false, static_cast<std::uint16_t>(random_.next())),
                                *packet->origin}
                .to_ipv6();
        c.phase = 1;
        send_rs(i, kSecondary);
      } else if (c.phase == 1) {
        c.phase = 2;
      }
      return;
    }
    std::array<std::uint8_t, 64> buf{};
    wire::Writer w(buf);
    if (wire::is_bubble(packet->ipv6) && packet->origin) {
      // Indirect bubble from the relay: answer at the origin (opens our NAT to the relay).
      wire::write_bubble(w, c.address, packet->ipv6.src, 255);
      datagram(endpoint_of(i), *packet->origin, w.written());
      return;
    }
    if (from == kRelay && packet->ipv6.next_header == 253) {
      ++delivered_;
      wire::write_ipv6_header(w, {c.address, packet->ipv6.src, 253, 64, 8, 0, 0});
      w.zeros(8);
      datagram(endpoint_of(i), kRelay, w.written());
    }
  }

  sim::EventQueue queue_;
  sim::SimRandom random_;
  std::vector<Client> clients_;
  std::unique_ptr<core::ServerEngine> server_;
  std::unique_ptr<core::RelayEngine> relay_;
  core::TimePoint start_ = core::TimePoint{} + 1h;
  std::size_t delivered_ = 0;
  std::size_t rss_before_server_ = 0, rss_after_server_ = 0, rss_after_qualify_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 100000;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--million") {
      n = 1000000;
    } else if (a == "--clients" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: sim_scale [--clients N] [--million] [--seed S]\n");
      return 2;
    }
  }
  Bench b(n, seed);
  b.run();
  return 0;
}
