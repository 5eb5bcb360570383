#include "daemon/server_daemon.h"

#include <linux/capability.h>

#include <array>
#include <csignal>
#include <memory>

#include "core/server_engine.h"
#include "daemon/control_server.h"
#include "daemon/role_runtime.h"
#include "daemon/server_report.h"
#include "os/linux/capabilities.h"
#include "os/linux/csprng.h"
#include "os/linux/datagram_batch.h"
#include "os/linux/event_loop.h"
#include "os/linux/raw_ipv6_socket.h"
#include "os/linux/sd_notify.h"
#include "os/linux/udp_socket.h"
#include "os/linux/xdp_port.h"
#include "wire/teredo_address.h"
#include "wire/udp_frame.h"

namespace shipworm::daemon {
namespace {

using core::ServerEngine;
using core::ServerOutput;
using wire::Endpoint;
using wire::Ipv4Address;

ConfigResult load(const ServerRunOptions& o) {
  return load_role_config(o.config_path, Role::server, o.overrides);
}

core::ServerEngineConfig engine_config(const ServerConfig& c, std::uint64_t hash_key) {
  core::ServerEngineConfig e;
  e.primary = c.primary;
  e.secondary = c.secondary;
  e.prefix = c.prefix;
  e.mtu = c.mtu;
  // MaxIcmpPayload N caps at N bytes; 65467 (the largest IPv6 payload in a UDP datagram)
  // is no cap at all.
  e.max_icmpv6_payload =
      static_cast<std::uint16_t>(std::min<std::uint32_t>(c.max_icmp_payload, 0xffff));
  e.filtering_probe_port = c.filtering_probe_port;
  // Per source IPv4 address; a burst of two seconds' worth.
  e.rs_limit = {static_cast<double>(c.rate_limit_rs), 2.0 * c.rate_limit_rs};
  e.forward_limit = {static_cast<double>(c.rate_limit_forward), 2.0 * c.rate_limit_forward};
  e.hash_key = hash_key;
  return e;
}

class ServerDaemon {
 public:
  ServerDaemon(Logger& log, os::EventLoop& loop, ServerRunOptions options,
               const ServerConfig& initial)
      : log_(log), loop_(loop), options_(std::move(options)), sizing_(initial) {}

  // Opens the sockets for `config` and swaps them in; on failure nothing changes.
  bool apply(const ServerConfig& config) {
    std::array<std::optional<os::UdpSocket>, 2> socks;
    const bool at_start = !engine_;
    const bool same_addresses =
        engine_ && config.primary == config_.primary && config.secondary == config_.secondary;
    if (!same_addresses) {
      const Ipv4Address addrs[2] = {config.primary, config.secondary};
      for (std::size_t i = 0; i < 2; ++i) {
        auto s = os::UdpSocket::open({addrs[i], wire::kTeredoPort});
        if (!s) {
          log_.error(
              "cannot serve on {}:{}: {} (both server addresses must be configured on "
              "this host: RFC 4380 §5.3)",
              addrs[i].to_string(), wire::kTeredoPort, s.error().message());
          return false;
        }
        socks[i].emplace(std::move(s.value()));
      }
    }
    if (!raw_) {
      auto raw = os::RawIpv6Socket::open();
      if (!raw) {
        log_.error("{}", raw.error().message());
        return false;
      }
      raw_.emplace(std::move(raw.value()));
    }
    // The filtering probe's socket (primary address, its own port): optional, so a port in
    // use only disables the probe.
    std::optional<os::UdpSocket> probe;
    ServerConfig effective = config;
    if (config.filtering_probe_port != 0) {
      const bool same_probe =
          probe_ && same_addresses && config.filtering_probe_port == config_.filtering_probe_port;
      if (!same_probe) {
        auto s =
            os::UdpSocket::open({config.primary, config.filtering_probe_port}, {false, 0, 1 << 20});
        if (s) {
          probe.emplace(std::move(s.value()));
        } else {
          log_.warning("filtering probe off: {}", s.error().message());
          effective.filtering_probe_port = 0;
        }
      }
    }
    // The engine is stateless but for its rate limiters: a reload simply starts a new one.
    // Counters carry over so that status and metrics stay monotonic.
    auto engine =
        std::make_unique<ServerEngine>(engine_config(effective, os::random_value<std::uint64_t>()));
    if (engine_) engine->restore_counters(engine_->counters());
    engine_ = std::move(engine);
    config_ = effective;
    if (probe) probe_ = std::move(probe);
    if (config_.filtering_probe_port == 0) probe_.reset();
    if (!same_addresses) {
      for (std::size_t i = 0; i < 2; ++i) {
        if (socks_[i]) (void)loop_.remove(socks_[i]->fd());
        socks_[i] = std::move(socks[i]);
        const auto st = loop_.add(socks_[i]->fd(), [this, i] { on_readable(i); });
        if (!st) {
          log_.error("{}", st.error().message());
          return false;
        }
      }
      log_.notice("serving on {}:{} and {}:{}, prefix {}/64, MTU {}", config.primary.to_string(),
                  wire::kTeredoPort, config.secondary.to_string(), wire::kTeredoPort,
                  wire::teredo_prefix(config.primary, config.prefix).to_string(), config.mtu);
    }
    return apply_xdp(config, same_addresses, at_start);
  }

  void reload() {
    os::SdNotify::reloading();
    auto r = load(options_);
    log_problems(r, log_);
    if (!r.ok()) {
      log_.error("reload: configuration rejected; still serving with the previous one");
    } else if (apply(*r.config->server())) {
      log_.notice("reload: configuration applied");
      last_transition_ = "configuration reloaded (SIGHUP)";
      log_.set_level(r.config->server()->common.log_level);
    }
    os::SdNotify::ready();
  }

  // SIGUSR1: the same drop list and total as `shipworm status` (server_report.h).
  void log_counters() const {
    for (const auto& line : server_log_lines(snapshot())) log_.notice("{}", line);
  }

  // The server at this instant, for every report (server_report.h).
  [[nodiscard]] ServerSnapshot snapshot() const {
    ServerSnapshot s;
    s.now = os::EventLoop::now();
    s.started = started_;
    s.last_transition = last_transition_;
    s.config = &config_;
    s.counters = engine_->counters();
    s.frame_malformed = frame_malformed_;
    s.truncated = truncated_;
    s.send_failures = send_failures_;
    if (xdp_) {
      const auto x = xdp_->total_counters();
      s.xdp = ServerSnapshot::Xdp{xdp_->interface(), xdp_->queues(), xdp_->attach_mode(),
                                  xdp_->copy_mode(), x.rx_frames,    x.tx_frames,
                                  xdp_tx_fallbacks_};
    }
    return s;
  }

  // The control socket and the metrics listener, per the configuration.
  bool open_endpoints(const ServerConfig& config) {
    return endpoints_.open(loop_, config.common,
                           {[this] { return server_status_json(snapshot()); },
                            {},
                            [this] { return server_metrics_text(snapshot()); }},
                           log_);
  }

 private:
  void on_readable(std::size_t i) {
    // Bounded work per wakeup so the other socket and signals are served too.
    for (int round = 0; round < 4; ++round) {
      const auto r = socks_[i]->recv_batch(rx_);
      if (r.count == 0) break;
      const auto now = os::EventLoop::now();
      for (std::size_t k = 0; k < rx_.size(); ++k) {
        const os::Datagram& d = rx_[k];
        if (d.truncated) {
          ++truncated_;
          continue;
        }
        send_output(engine_->on_datagram(
            now, {d.peer, socks_[i]->local_endpoint().address, rx_.payload(k)}));
      }
      flush(0);
      flush(1);
      flush(2);
      if (rx_.size() < rx_.capacity()) break;
    }
  }

  // The AF_XDP fast path (XdpInterface): opened at start, while the process still has the
  // privileges it needs. Its program captures the addresses it was opened with, so when a
  // reload changes them the old port is closed (the kernel's sockets serve everything) and
  // a new one is tried, which fails once privileges are gone: the server then runs on the
  // kernel's path until it is restarted, and says so.
  bool apply_xdp(const ServerConfig& config, bool same_addresses, bool at_start) {
    if (xdp_ && config.xdp_interface == xdp_->interface() && same_addresses) return true;
    if (xdp_) {
      for (std::size_t q = 0; q < xdp_->queues(); ++q) (void)loop_.remove(xdp_->fd(q));
      xdp_.reset();
    }
    if (config.xdp_interface.empty()) return true;
    os::XdpPortOptions o;
    o.interface = config.xdp_interface;
    o.addresses = {config.primary, config.secondary};
    o.port = wire::kTeredoPort;
    o.frames_per_queue = kXdpFramesPerQueue;
    auto port = os::XdpPort::open(o);
    if (!port) {
      if (at_start) {
        log_.error("XdpInterface {}: {}", config.xdp_interface, port.error().message());
        return false;
      }
      log_.warning("XdpInterface {}: {}; serving through the kernel's sockets only until a restart",
                   config.xdp_interface, port.error().message());
      return true;
    }
    xdp_.emplace(std::move(port.value()));
    for (std::size_t q = 0; q < xdp_->queues(); ++q) {
      if (const auto st = loop_.add(xdp_->fd(q), [this, q] { on_xdp_readable(q); }); !st) {
        log_.error("{}", st.error().message());
        return false;
      }
    }
    log_.notice("AF_XDP fast path on {}: {} queue(s), {} mode, {}", xdp_->interface(),
                xdp_->queues(), xdp_->attach_mode(), xdp_->copy_mode());
    return true;
  }

  void on_xdp_readable(std::size_t q) {
    const auto now = os::EventLoop::now();
    // Bounded work per wakeup, as for the sockets.
    for (int round = 0; round < 4; ++round) {
      const std::size_t n = xdp_->receive(q, os::XdpPort::kMaxBatch,
                                          [&](wire::Bytes frame) { on_frame(q, now, frame); });
      xdp_->flush(q);
      flush(0);
      flush(1);
      flush(2);
      if (n < os::XdpPort::kMaxBatch) break;
    }
  }

  // One frame from the XDP program: checked like the kernel would (wire/udp_frame.h), then
  // the same engine as the socket path. An answer to the frame's own source (an RA) leaves
  // as a frame to the MAC address the request came from; anything else (forwarding to a
  // third party, the filtering probe's second answer, IPv6) takes the kernel's path.
  void on_frame(std::size_t q, os::EventLoop::TimePoint now, wire::Bytes frame) {
    // Frames from a sender on this host (veth, containers) carry a pending-offload UDP
    // checksum; the kernel's socket path accepts those too (wire/udp_frame.h).
    const auto f = wire::parse_udp_frame(frame, {.accept_offload_pending = true});
    if (!f) {
      ++frame_malformed_[static_cast<std::size_t>(f.reason())];
      return;
    }
    const ServerOutput out =
        engine_->on_datagram(now, {f->source, f->destination.address, f->payload});
    if (out.kind == ServerOutput::Kind::kUdp && out.to == f->source && send_frame(q, *f, out)) {
      if (out.also_from_port != 0 && probe_) {
        if (tx_[2].full()) flush(2);
        if (!tx_[2].push(out.to, out.payload)) ++send_failures_;
      }
      return;
    }
    send_output(out);
  }

  bool send_frame(std::size_t q, const wire::UdpFrame& request, const ServerOutput& out) {
    const wire::MutableBytes buf = xdp_->tx_acquire(q);
    if (buf.size() < wire::kUdpFrameHeaderLength + out.payload.size()) {
      ++xdp_tx_fallbacks_;  // every TX frame in flight: the kernel's path instead
      return false;
    }
    std::memcpy(buf.data() + wire::kUdpFrameHeaderLength, out.payload.data(), out.payload.size());
    wire::MacAddress own;
    own.bytes = xdp_->mac();
    const std::size_t n =
        wire::build_udp_frame_headers(buf, request.source_mac, own, {out.from, wire::kTeredoPort},
                                      out.to, ++ip_id_, out.payload.size());
    xdp_->tx_commit(q, n);
    return true;
  }

  // The engine's answer through the kernel: UDP from the address it names (and the
  // filtering probe's port), or IPv6 through the raw socket.
  void send_output(const ServerOutput& out) {
    if (out.kind == ServerOutput::Kind::kUdp) {
      const std::size_t j = out.from == config_.primary ? 0 : 1;
      if (tx_[j].full()) flush(j);
      if (!tx_[j].push(out.to, out.payload)) ++send_failures_;
      if (out.also_from_port != 0 && probe_) {
        if (tx_[2].full()) flush(2);
        if (!tx_[2].push(out.to, out.payload)) ++send_failures_;
      }
    } else if (out.kind == ServerOutput::Kind::kIpv6) {
      if (!raw_->send(out.payload).ok()) ++send_failures_;
    }
  }

  void flush(std::size_t j) {
    if (tx_[j].empty()) return;
    os::UdpSocket* sock = j < 2 ? &*socks_[j] : (probe_ ? &*probe_ : nullptr);
    if (sock == nullptr) {
      tx_[j].clear();
      return;
    }
    const auto r = sock->send_batch(tx_[j]);
    send_failures_ += r.dropped;
    // A full send buffer means we are overloaded: drop the rest rather than block (UDP).
    if (r.blocked) send_failures_ += tx_[j].size() - r.next;
    tx_[j].clear();
  }

  Logger& log_;
  os::EventLoop& loop_;
  ServerRunOptions options_;
  ServerConfig sizing_;  // the configuration the buffers were sized for (at start)
  ServerConfig config_;
  std::unique_ptr<ServerEngine> engine_;
  std::array<std::optional<os::UdpSocket>, 2> socks_;
  std::optional<os::RawIpv6Socket> raw_;
  // Everything the server accepts is small while the ICMPv6 cap is on: auth (<= 523 bytes),
  // origin 8, IPv6 40 + 88, RFC 6081 trailers (< 64). Without the cap a datagram may be as
  // large as UDP allows. A datagram larger than its slot is counted as truncated and dropped.
  static std::size_t slot_size(const ServerConfig& c) {
    return c.max_icmp_payload > 1024 ? 65535 : 2048;
  }
  os::DatagramBatch rx_{32, slot_size(sizing_)};
  // Per local socket: primary, secondary, filtering probe.
  std::array<os::DatagramBatch, 3> tx_{os::DatagramBatch{32, slot_size(sizing_)},
                                       os::DatagramBatch{32, slot_size(sizing_)},
                                       os::DatagramBatch{8, slot_size(sizing_)}};
  std::optional<os::UdpSocket> probe_;
  // 2048 frames of 2 KiB per RX queue (4 MiB): half receive, half transmit.
  static constexpr std::uint32_t kXdpFramesPerQueue = 2048;
  std::optional<os::XdpPort> xdp_;
  FrameDrops frame_malformed_{};
  std::uint64_t xdp_tx_fallbacks_ = 0;  // answers sent through the kernel: no free TX frame
  std::uint16_t ip_id_ = 0;
  std::uint64_t truncated_ = 0;
  std::uint64_t send_failures_ = 0;
  os::EventLoop::TimePoint started_ = os::EventLoop::now();
  std::string last_transition_ = "started";
  RoleEndpoints endpoints_;
};

}  // namespace

int run_server(const ServerRunOptions& options) {
  RoleBoot b;
  boot_role(options.config_path, Role::server, options.overrides, "shipworm-server", b);
  if (!b.ok()) return b.status;
  const ServerConfig& config = *b.config.config->server();
  Logger& log = *b.log;
  os::EventLoop& loop = *b.loop;
  ServerDaemon daemon(log, loop, options, config);
  if (!daemon.apply(config) || !daemon.open_endpoints(config)) return 1;

  // Everything privileged is open: keep only what a reload to new addresses needs.
  return run_in_foreground(loop, log,
                           {.keep_capabilities = {CAP_NET_BIND_SERVICE},
                            .reload = [&] { daemon.reload(); },
                            .log_counters = [&] { daemon.log_counters(); },
                            .started =
                                [] {
                                  os::SdNotify::ready();
                                  os::SdNotify::status("serving");
                                },
                            .stopped = {},
                            .exit_code = {}});
}

}  // namespace shipworm::daemon
