// Memory per peer of the relay (issue 6): fills a core::RelayEngine with N trusted peers the
// way real traffic does (a native packet to each Teredo address: entry + queued packet +
// bubble; then the client's reply bubble from the matching UDP source: trusted, queue
// flushed) and prints the process's RSS (VmRSS from /proc/self/status) before the engine,
// after construction and after the fill, with the table's own per-entry figure.
//
//   relay_peers [PEERS=100000] [CAPACITY=PEERS]
#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/relay_engine.h"
#include "wire/bubble.h"
#include "wire/icmpv6.h"
#include "wire/teredo_address.h"

namespace {

using namespace shipworm;

long rss_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kib;
}

class NullSink : public core::ActionSink {
 public:
  void send_udp(const wire::Endpoint&, wire::Bytes) override { ++udp; }
  void write_tun(wire::Bytes) override { ++tun; }
  std::size_t udp = 0, tun = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::size_t peers = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const std::size_t capacity = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : peers;
  const long rss0 = rss_kib();

  core::RelayEngineConfig c;
  c.table.capacity = capacity;
  c.table.queue_bytes_per_peer = 1280;                // Miredo's
  c.table.queue_bytes_total = std::size_t{16} << 20;  // the daemon's default pool
  c.hash_key = 1;
  c.table.hash_key = 2;
  c.peer_idle_timeout = std::chrono::hours(1);
  c.unknown_peers = core::UnknownPeerPolicy::kDrop;  // RelayCheckSource yes
  auto engine = std::make_unique<core::RelayEngine>(c);
  const long rss1 = rss_kib();

  const auto native = *wire::Ipv6Address::parse("2001:db8:1::100");
  const auto server = *wire::Ipv4Address::parse("198.51.100.1");
  std::vector<std::uint8_t> buf(256);
  NullSink sink;
  core::TimePoint now = core::TimePoint{} + std::chrono::hours(1);
  for (std::size_t i = 0; i < peers; ++i) {
    const wire::Endpoint mapping{{0xcb007100u + static_cast<std::uint32_t>(i / 60000)},
                                 static_cast<std::uint16_t>(1024 + i % 60000)};
    const auto teredo = wire::TeredoAddress{server, 0, mapping}.to_ipv6();
    wire::Writer w(buf);
    const std::vector<std::uint8_t> data(16, 0x5a);
    (void)wire::write_echo(w, wire::EchoParams{true, native, teredo, 64, 7, 1, data});
    engine->on_tun(now, w.written(), sink);
    wire::Writer b(buf);
    (void)wire::write_bubble(b, teredo, native, 0);
    engine->on_udp(now, mapping, b.written(), sink);
  }
  const long rss2 = rss_kib();
  const auto& t = engine->peers();
  fmt::print("peers {} (trusted {}), capacity {}, queue pool {} MiB\n", t.size(), t.trusted_count(),
             t.capacity(), c.table.queue_bytes_total >> 20);
  fmt::print("RSS: before engine {} KiB, after construction {} KiB, after {} peers {} KiB\n", rss0,
             rss1, peers, rss2);
  // The table is allocated at construction for `capacity` entries: per peer = per entry
  // when the table is full (the default run: capacity = peers).
  const double total = static_cast<double>(rss2 - rss0) * 1024.0;
  const double no_pool = total - static_cast<double>(c.table.queue_bytes_total);
  fmt::print(
      "bytes per peer: {:.0f} (RSS delta incl. the queue pool and buffers), {:.0f} "
      "(without the {} MiB queue pool), table figure {} (PeerTable::bytes_per_peer)\n",
      total / static_cast<double>(peers), no_pool / static_cast<double>(peers),
      c.table.queue_bytes_total >> 20, t.bytes_per_peer());
  fmt::print(
      "{{\"peers\": {}, \"trusted\": {}, \"rss_kib\": [{}, {}, {}], \"bytes_per_peer\": {:.1f}, "
      "\"bytes_per_peer_without_pool\": {:.1f}, \"table_bytes_per_peer\": {}}}\n",
      t.size(), t.trusted_count(), rss0, rss1, rss2, total / static_cast<double>(peers),
      no_pool / static_cast<double>(peers), t.bytes_per_peer());
  return t.trusted_count() == peers ? 0 : 1;
}
