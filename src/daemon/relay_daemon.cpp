#include "daemon/relay_daemon.h"

#include <linux/capability.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <memory>
#include <span>
#include <utility>

#include "core/relay_engine.h"
#include "daemon/control_server.h"
#include "daemon/relay_report.h"
#include "daemon/relay_worker.h"
#include "daemon/role_runtime.h"
#include "os/linux/capabilities.h"
#include "os/linux/csprng.h"
#include "os/linux/event_loop.h"
#include "os/linux/netlink.h"
#include "os/linux/sd_notify.h"
#include "os/linux/sysctl.h"
#include "os/linux/tun_device.h"
#include "os/linux/udp_socket.h"
#include "wire/teredo_address.h"

namespace shipworm::daemon {
namespace {

using core::RelayEngine;
using core::TimePoint;
using wire::Endpoint;
using wire::Ipv4Address;
using wire::Ipv6Address;

constexpr auto kHousekeeping = std::chrono::seconds(10);  // host addresses refresh
// `shipworm peers` lists at most this many entries (trusted first, most recent first), so
// that a table of a million peers never makes a huge answer; the total is given too.
constexpr std::size_t kMaxPeersListed = 1000;

// RFC 6081 nonces of the relay's indirect bubbles from the kernel's CSPRNG (RFC 5991 §4
// asks for one), 1 KiB at a time: one getrandom(2) per 256 nonces, not one per bubble.
class BufferedCsprng final : public core::RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) {
      if (used_ == pool_.size()) {
        os::fill_random(pool_);
        used_ = 0;
      }
      b = pool_[used_++];
    }
  }

 private:
  std::array<std::uint8_t, 1024> pool_{};
  std::size_t used_ = pool_.size();
};

ConfigResult load(const RelayRunOptions& o) {
  return load_role_config(o.config_path, Role::relay, o.overrides);
}

os::Ipv6Prefix teredo_route_prefix(std::uint32_t prefix) {
  os::Ipv6Prefix p;
  wire::store_u32(p.address.bytes, 0, prefix);
  p.length = 32;
  return p;
}

std::string prefix_text(std::uint32_t prefix) { return teredo_route_prefix(prefix).to_string(); }

// Slots hold one IPv6 packet of the interface MTU (the kernel never hands the TUN a larger
// one) or one datagram from a client (its IPv6 packet, plus RFC 6081 trailers).
std::size_t slot_size(const RelayConfig& c) {
  return std::max<std::size_t>(c.mtu, wire::kDefaultMtu) + 256;
}

// The host's own global IPv6 addresses outside the Teredo prefix: the served range of a
// host-specific relay (RFC 4380 §5.4: a minimal relay serving just the local host).
std::vector<core::Ipv6Prefix> host_addresses(os::Netlink& nl, std::uint32_t prefix) {
  std::vector<core::Ipv6Prefix> out;
  auto addrs = nl.ipv6_addresses();
  if (!addrs) return out;
  for (const auto& a : *addrs) {
    const Ipv6Address& x = a.prefix.address;
    if (a.scope != 0 /* RT_SCOPE_UNIVERSE */ || x.is_link_local() || x.is_multicast()) continue;
    if (wire::is_teredo(x, prefix) || wire::is_teredo(x)) continue;
    out.push_back({x, 128});
  }
  return out;
}

// The relay's own IPv4 addresses, for the engine's loop checks: RFC 4380 §5.4.1 and §5.4.2
// with the destination and source address checks of RFC 6324 §3.3 (a packet whose address
// embeds one of our own IPv4 addresses in Teredo, 6to4 or ISATAP form would loop back to us).
std::vector<Ipv4Address> own_ipv4(os::Netlink& nl, const RelayConfig& c) {
  std::vector<Ipv4Address> out;
  if (c.bind_address && c.bind_address->value != 0) out.push_back(*c.bind_address);
  if (auto addrs = nl.ipv4_addresses()) {
    for (const auto& a : *addrs) {
      if (std::find(out.begin(), out.end(), a.address) == out.end()) out.push_back(a.address);
    }
  }
  return out;
}

core::RelayEngineConfig engine_config(const RelayConfig& c, std::vector<core::Ipv6Prefix> served,
                                      std::vector<Ipv4Address> own, core::RandomSource& random) {
  core::RelayEngineConfig e;
  e.random = &random;  // RFC 6081 §5.2 nonces: clients behind symmetric NATs
  e.host_specific = c.host_specific;
  e.behind_restricted_nat = c.restricted;
  e.prefix = c.prefix;
  e.own_ipv4 = std::move(own);
  if (c.host_specific) e.served = std::move(served);
  // RelayCheckSource yes (default, as Miredo): only clients we sent to first (§5.4.2 "may").
  e.unknown_peers =
      c.check_source ? core::UnknownPeerPolicy::kDrop : core::UnknownPeerPolicy::kForward;
  e.table.capacity = c.peer_table_size;
  e.table.queue_bytes_per_peer = c.peer_queue_bytes;
  e.table.queue_bytes_total = c.total_queue_bytes;
  e.hash_key = os::random_value<std::uint64_t>();
  e.table.hash_key = os::random_value<std::uint64_t>();
  return e;
}

// Settings that shape the engine: a reload that changes one of them starts a new engine
// (the peer table is rebuilt; counters carry over).
bool same_engine(const RelayConfig& a, const RelayConfig& b) {
  return a.restricted == b.restricted && a.host_specific == b.host_specific &&
         a.prefix == b.prefix && a.peer_table_size == b.peer_table_size &&
         a.peer_queue_bytes == b.peer_queue_bytes && a.total_queue_bytes == b.total_queue_bytes &&
         a.check_source == b.check_source;
}

class RelayDaemon {
 public:
  RelayDaemon(Logger& log, os::EventLoop& loop, RelayRunOptions options)
      : log_(log), loop_(loop), options_(std::move(options)) {}

  // Creates and configures the TUN device, the route and the socket; starts the worker.
  bool start(const RelayConfig& c) {
    auto nl = os::Netlink::open();
    if (!nl) return fail(nl.error().message());
    netlink_.emplace(std::move(nl.value()));

    auto tun = os::TunDevice::open(
        {c.interface_name, false, /*vnet_hdr=*/true, /*tso=*/true, /*uso=*/true});
    if (!tun) return fail(tun.error().message());
    tun_.emplace(std::move(tun.value()));
    const unsigned ifindex = tun_->ifindex();
    if (auto st = netlink_->set_mtu(ifindex, c.mtu); !st) return fail(st.error().message());
    if (auto st = netlink_->set_link_up(ifindex); !st) return fail(st.error().message());
    route_ = os::Ipv6Route{teredo_route_prefix(c.prefix), ifindex};
    if (auto st = netlink_->add_route(*route_); !st) {
      route_.reset();
      return fail(st.error().message());
    }

    if (c.host_specific) {
      served_ = host_addresses(*netlink_, c.prefix);
      if (served_.empty()) {
        return fail(
            "a host-specific relay serves this host's own IPv6 addresses, and it has no "
            "global one (RFC 4380 §3.4, §8.2: the host needs native or 6to4 IPv6)");
      }
    } else if (options_.enable_forwarding) {
      if (auto st = os::set_ipv6_forwarding(true); !st) return fail(st.error().message());
      log_.notice("net.ipv6.conf.all.forwarding set to 1 (--ipv6-forwarding)");
    } else if (auto f = os::ipv6_forwarding(); f && !*f) {
      log_.warning(
          "net.ipv6.conf.all.forwarding is 0: packets from Teredo clients reach only "
          "this host. Enable it (or run with --ipv6-forwarding) to relay for others");
    }

    auto sock = open_socket(c);
    if (!sock) return false;
    auto engine =
        std::make_unique<RelayEngine>(engine_config(c, served_, own_ipv4(*netlink_, c), random_));
    worker_.emplace(std::move(*sock), *tun_, std::move(engine), slot_size(c));
    config_ = c;
    if (!register_fds()) return false;
    loop_.on_deadline([this] { on_deadline(); });
    next_housekeeping_ = os::EventLoop::now() + kHousekeeping;
    rearm();
    announce("relaying");
    return true;
  }

  void reload() {
    os::SdNotify::reloading();
    auto r = load(options_);
    log_problems(r, log_);
    if (!r.ok()) {
      log_.error("reload: configuration rejected; still relaying with the previous one");
    } else {
      apply(*r.config->relay());
    }
    os::SdNotify::ready();
  }

  // SIGTERM/SIGINT: the route goes, then the TUN device (it is not persistent: closing its
  // descriptor removes the interface).
  void shutdown() {
    if (worker_) {
      (void)loop_.remove(worker_->socket().fd());
      (void)loop_.remove(tun_->fd());
    }
    if (route_ && netlink_) {
      if (auto st = netlink_->delete_route(*route_); !st) {
        log_.warning("{}", st.error().message());
      }
      route_.reset();
    }
    worker_.reset();
    tun_.reset();
  }

  // SIGUSR1: the same drop list and total as `shipworm status` (relay_report.h).
  void log_counters() const {
    if (!worker_) return;
    for (const auto& line : relay_log_lines(snapshot())) log_.notice("{}", line);
  }

  // The control socket and the metrics listener, per the configuration (server_daemon.cpp
  // does the same). Opened once: a reload that changes them warns that a restart is needed.
  bool open_endpoints(const RelayConfig& c) {
    return endpoints_.open(loop_, c.common,
                           {[this] { return relay_status_json(snapshot()); },
                            [this] { return relay_peers_json(snapshot(), kMaxPeersListed); },
                            [this] { return relay_metrics_text(snapshot()); }},
                           log_);
  }

  // The relay at this instant, for every report (relay_report.h).
  [[nodiscard]] RelaySnapshot snapshot() const {
    RelaySnapshot s;
    s.now = os::EventLoop::now();
    s.role = role_name();
    s.started = started_;
    s.last_transition = last_transition_;
    s.last_transition_at = last_transition_at_;
    s.interface = tun_->name();
    s.mtu = config_.mtu;
    s.prefix = prefix_text(config_.prefix);
    if (config_.host_specific) {
      for (const auto& p : served_) s.served.push_back(p.address.to_string());
    } else {
      s.served.push_back("every global IPv6 address outside " + s.prefix);
    }
    s.bind = worker_->socket().local_endpoint().to_string();
    s.relay_type = config_.host_specific ? "host-specific"
                   : config_.restricted  ? "restricted"
                                         : "cone";
    s.check_source = config_.check_source;
    s.counters = engine().counters();
    s.peers = &engine().peers();
    s.io = worker_->io();
    s.udp_gso = worker_->socket().gso();
    s.udp_gso_messages = worker_->socket().gso_messages();
    s.udp_gso_fallbacks = worker_->socket().gso_fallbacks();
    s.tun_uso = worker_->tun_uso();
    return s;
  }

 private:
  [[nodiscard]] const char* role_name() const {
    return config_.host_specific ? "host-specific relay" : "relay";
  }
  [[nodiscard]] const RelayEngine& engine() const { return std::as_const(*worker_).engine(); }
  void transition(std::string cause) {
    last_transition_ = std::move(cause);
    last_transition_at_ = os::EventLoop::now();
  }

  bool fail(const std::string& message) {
    log_.error("{}", message);
    return false;
  }

  std::optional<os::UdpSocket> open_socket(const RelayConfig& c) {
    const Endpoint local{c.bind_address.value_or(Ipv4Address{}), c.bind_port};
    os::UdpOptions o;
    o.gso = true;  // runs of datagrams to one client leave as one UDP_SEGMENT message
    auto s = os::UdpSocket::open(local, o);
    if (!s) {
      log_.error("cannot open the relay's UDP socket: {}", s.error().message());
      return std::nullopt;
    }
    return std::move(s.value());
  }

  bool register_fds() {
    if (auto st =
            loop_.add(worker_->socket().fd(), [this] { after(&RelayWorker::on_udp_readable); });
        !st) {
      return fail(st.error().message());
    }
    if (auto st = loop_.add(tun_->fd(), [this] { after(&RelayWorker::on_tun_readable); }); !st) {
      return fail(st.error().message());
    }
    return true;
  }

  void after(void (RelayWorker::*fn)()) {
    ((*worker_).*fn)();
    rearm();
  }

  // The loop's one timer: the engine's next deadline or housekeeping, whichever is first.
  // Re-armed only when it must move earlier (one timerfd_settime per change, not per
  // batch); an early expiry simply re-arms (EventLoop::on_timer).
  void rearm() {
    const TimePoint want = std::min(worker_->engine().next_deadline(), next_housekeeping_);
    const auto armed = loop_.deadline();
    if (!armed || want < *armed) loop_.set_deadline(want);
  }

  void on_deadline() {
    const TimePoint now = os::EventLoop::now();
    worker_->on_timer(now);
    if (now >= next_housekeeping_) {
      next_housekeeping_ = now + kHousekeeping;
      if (config_.host_specific) refresh_served();
    }
    loop_.set_deadline(std::min(worker_->engine().next_deadline(), next_housekeeping_));
  }

  void refresh_served() {
    auto served = host_addresses(*netlink_, config_.prefix);
    const auto same = [](const core::Ipv6Prefix& a, const core::Ipv6Prefix& b) {
      return a.address == b.address && a.length == b.length;
    };
    if (served.empty() ||
        std::equal(served.begin(), served.end(), served_.begin(), served_.end(), same)) {
      return;  // unchanged; with none left, keep the last known range
    }
    served_ = served;
    worker_->engine().set_served(std::move(served));
    log_.info("host addresses changed: serving {} address(es)", served_.size());
  }

  void apply(const RelayConfig& c) {
    log_.set_level(c.common.log_level);
    if (c.interface_name != config_.interface_name) {
      log_.warning("reload: InterfaceName changes need a restart; keeping {}", tun_->name());
    }
    if (c.common.syslog_facility != config_.common.syslog_facility) {
      log_.warning("reload: SyslogFacility changes need a restart");
    }
    // Socket first (it can fail without consequences).
    if (c.bind_address != config_.bind_address || c.bind_port != config_.bind_port) {
      auto s = open_socket(c);
      if (!s) {
        log_.error("reload: keeping the previous socket {}",
                   worker_->socket().local_endpoint().to_string());
        return;
      }
      (void)loop_.remove(worker_->socket().fd());
      worker_->set_socket(std::move(*s));
      (void)loop_.add(worker_->socket().fd(), [this] { after(&RelayWorker::on_udp_readable); });
    }
    if (c.mtu != config_.mtu) {
      if (auto st = netlink_->set_mtu(tun_->ifindex(), c.mtu); !st) {
        log_.error("reload: {}", st.error().message());
      } else {
        worker_->resize(slot_size(c));
      }
    }
    if (c.prefix != config_.prefix) {
      const os::Ipv6Route next{teredo_route_prefix(c.prefix), tun_->ifindex()};
      if (auto st = netlink_->add_route(next); !st) {
        log_.error("reload: {}", st.error().message());
        return;
      }
      if (route_) (void)netlink_->delete_route(*route_);
      route_ = next;
    }
    if (!same_engine(c, config_)) {
      std::vector<core::Ipv6Prefix> served;
      if (c.host_specific) {
        served = host_addresses(*netlink_, c.prefix);
        if (served.empty()) {
          log_.error(
              "reload: HostSpecificRelay needs a global IPv6 address on this host; "
              "keeping the previous engine");
          return;
        }
      }
      served_ = served;
      auto engine =
          std::make_unique<RelayEngine>(engine_config(c, served, own_ipv4(*netlink_, c), random_));
      engine->restore_counters(worker_->engine().counters());
      log_.notice("reload: new peer table ({} peers dropped)", worker_->engine().peers().size());
      worker_->set_engine(std::move(engine));
      transition("configuration reloaded (SIGHUP): new peer table");
    } else {
      transition("configuration reloaded (SIGHUP)");
    }
    if (c.common.control_socket != config_.common.control_socket ||
        c.common.metrics != config_.common.metrics) {
      log_.warning("reload: ControlSocket and MetricsAddress changes need a restart");
    }
    config_ = c;
    announce("reload: relaying");
    rearm();
  }

  void announce(std::string_view what) {
    const auto& t = worker_->engine().peers();
    log_.notice(
        "{} {} on {} (MTU {}), UDP {}, {}{}, peer table {} entries ({:.1f} MiB)", what,
        prefix_text(config_.prefix), tun_->name(), config_.mtu,
        worker_->socket().local_endpoint().to_string(),
        config_.host_specific ? "host-specific" : (config_.restricted ? "restricted" : "cone"),
        config_.host_specific ? fmt::format(" ({} own address(es))", served_.size()) : "",
        t.capacity(), static_cast<double>(t.memory_bytes()) / (1 << 20));
  }

  Logger& log_;
  os::EventLoop& loop_;
  RelayRunOptions options_;
  RelayConfig config_;
  std::optional<os::Netlink> netlink_;
  std::optional<os::TunDevice> tun_;
  std::optional<os::Ipv6Route> route_;
  std::optional<RelayWorker> worker_;
  std::vector<core::Ipv6Prefix> served_;
  TimePoint next_housekeeping_{};
  BufferedCsprng random_;  // outlives every engine (they keep a pointer)
  TimePoint started_ = os::EventLoop::now();
  std::string last_transition_ = "started";
  TimePoint last_transition_at_ = started_;
  RoleEndpoints endpoints_;
};

}  // namespace

int run_relay(const RelayRunOptions& options) {
  RoleBoot b;
  boot_role(options.config_path, Role::relay, options.overrides, "shipworm-relay", b);
  if (!b.ok()) return b.status;
  const RelayConfig& config = *b.config.config->relay();
  Logger& log = *b.log;
  os::EventLoop& loop = *b.loop;
  RelayDaemon daemon(log, loop, options);
  if (!daemon.start(config) || !daemon.open_endpoints(config)) {
    daemon.shutdown();
    return 1;
  }

  // Everything privileged is open. CAP_NET_ADMIN stays: a reload may change the MTU or the
  // route, and the route is removed at exit. No other capability is kept (a BindPort below
  // 1024 chosen at a reload needs a restart).
  return run_in_foreground(loop, log,
                           {.keep_capabilities = {CAP_NET_ADMIN},
                            .reload = [&] { daemon.reload(); },
                            .log_counters = [&] { daemon.log_counters(); },
                            .started =
                                [] {
                                  os::SdNotify::ready();
                                  os::SdNotify::status("relaying");
                                },
                            .stopped = [&] { daemon.shutdown(); },
                            .exit_code = {}});
}

}  // namespace shipworm::daemon
