#include "daemon/client_daemon.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/capability.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "core/client_engine.h"
#include "daemon/client_report.h"
#include "daemon/control_server.h"
#include "daemon/hook_runner.h"
#include "daemon/host_network.h"
#include "daemon/role_runtime.h"
#include "daemon/server_resolver.h"
#include "daemon/teredo_interface.h"
#include "os/linux/csprng.h"
#include "os/linux/datagram_batch.h"
#include "os/linux/event_loop.h"
#include "os/linux/packet_batch.h"
#include "os/linux/sd_notify.h"
#include "os/linux/tun_device.h"
#include "os/linux/udp_socket.h"
#include "wire/teredo_address.h"

namespace shipworm::daemon {
namespace {

using core::ClientState;
using core::ClientStatus;
using core::NatType;
using core::ServerPair;
using core::TimePoint;
using wire::Endpoint;
using wire::Ipv4Address;

using namespace std::chrono_literals;

// --- randomness ------------------------------------------------------------------------

// RFC 5991 §4: flag bits and nonces from a CSPRNG (getrandom(2)).
class CsprngRandom final : public core::RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override { os::fill_random(out); }
};

// --- configuration -----------------------------------------------------------------------

ConfigResult load(const ClientRunOptions& o) {
  return load_role_config(o.config_path, Role::client, o.overrides);
}

core::ClientEngineConfig engine_config(const ClientConfig& c, std::vector<ServerPair> servers,
                                       const Endpoint& local) {
  core::ClientEngineConfig e;
  e.servers = std::move(servers);
  e.qualification.local_port = local.port;
  if (c.bind_address) e.qualification.local_address = *c.bind_address;
  e.qualification.symmetric_policy = c.symmetric_nat == SymmetricNatPolicy::stop
                                         ? core::SymmetricNatResponse::kStop
                                         : core::SymmetricNatResponse::kKeepPrimaryMapping;
  e.maintenance.refresh_interval = c.refresh_interval;
  switch (c.nonce_trailers) {
    case NonceTrailerSetting::always:
      e.nonce_trailers = core::NonceTrailerPolicy::kAlways;
      break;
    case NonceTrailerSetting::symmetric:
      e.nonce_trailers = core::NonceTrailerPolicy::kWhenSymmetric;
      break;
    case NonceTrailerSetting::never:
      e.nonce_trailers = core::NonceTrailerPolicy::kNever;
      break;
  }
  e.unsolicited = c.unsolicited == UnsolicitedSetting::drop ? core::UnsolicitedPolicy::kDrop
                                                            : core::UnsolicitedPolicy::kPingTest;
  e.peers.capacity = c.peer_table_size;
  e.peers.queue_bytes_per_peer = c.peer_queue_bytes;
  e.peers.queue_bytes_total = static_cast<std::size_t>(c.total_queue_bytes);
  e.peers.rfc6081_state = true;
  e.peers.hash_key = os::random_value<std::uint64_t>();
  e.hash_key = os::random_value<std::uint64_t>();
  return e;
}

// Directives a reload cannot apply without a new socket, interface or engine (all of which
// would change the Teredo address).
std::vector<std::string_view> restart_only_changes(const ClientConfig& a, const ClientConfig& b) {
  std::vector<std::string_view> out;
  if (a.server != b.server) out.emplace_back("ServerAddress");
  if (a.server2 != b.server2) out.emplace_back("ServerAddress2");
  if (a.fallback_servers != b.fallback_servers) out.emplace_back("FallbackServer");
  if (a.interface_name != b.interface_name) out.emplace_back("InterfaceName");
  if (a.bind_address != b.bind_address) out.emplace_back("BindAddress");
  if (a.bind_port != b.bind_port) out.emplace_back("BindPort");
  if (a.refresh_interval != b.refresh_interval) out.emplace_back("RefreshInterval");
  if (a.peer_table_size != b.peer_table_size) out.emplace_back("PeerTableSize");
  if (a.peer_queue_bytes != b.peer_queue_bytes) out.emplace_back("PeerQueueBytes");
  if (a.total_queue_bytes != b.total_queue_bytes) out.emplace_back("TotalQueueBytes");
  if (a.symmetric_nat != b.symmetric_nat) out.emplace_back("SymmetricNat");
  if (a.nonce_trailers != b.nonce_trailers) out.emplace_back("NonceTrailers");
  if (a.unsolicited != b.unsolicited) out.emplace_back("UnsolicitedPackets");
  if (a.secure_qualification_file != b.secure_qualification_file)
    out.emplace_back("SecureQualification");
  if (a.common.syslog_facility != b.common.syslog_facility) out.emplace_back("SyslogFacility");
  return out;
}

std::string describe_symmetric(const ClientStatus& s) {
  return fmt::format(
      "behind a symmetric NAT (mapping {} via the primary server address, {} via the "
      "secondary): keeping the primary mapping (RFC 6081 §5.2). Native IPv6 hosts are "
      "reachable through Teredo relays; other Teredo clients behind symmetric or "
      "port-restricted NATs cannot be reached directly, and peers behind other restricted "
      "NATs only once they have contacted us",
      s.mapping.to_string(), s.secondary_mapping ? s.secondary_mapping->to_string() : "?");
}

// --- the daemon ----------------------------------------------------------------------------

class ClientDaemon final : public core::ActionSink {
 public:
  ClientDaemon(Logger& log, os::EventLoop& loop, ClientRunOptions options, ClientConfig config)
      : log_(log),
        loop_(loop),
        options_(std::move(options)),
        config_(std::move(config)),
        hooks_(log, loop),
        iface_(log),
        network_(log) {
    hooks_.set_script(config_.hook_script);
  }

  // Opens the socket, the TUN device and netlink, and sets up the interface (MTU, link-local
  // address, up). Everything that needs privileges beyond CAP_NET_ADMIN happens here.
  bool open() {
    if (!config_.secure_qualification_file.empty()) {
      log_.warning(
          "SecureQualification is not supported by the client yet; qualifying "
          "without authentication (RFC 4380 §5.2.1)");
    }
    auto sock =
        os::UdpSocket::open({config_.bind_address.value_or(Ipv4Address{}), config_.bind_port});
    if (!sock) {
      log_.error("cannot open the Teredo service port: {}", sock.error().message());
      return false;
    }
    sock_.emplace(std::move(sock.value()));
    auto tun = os::TunDevice::open({config_.interface_name, false});
    if (!tun) {
      log_.error("{} (the client needs CAP_NET_ADMIN and /dev/net/tun)", tun.error().message());
      return false;
    }
    tun_.emplace(std::move(tun.value()));
    if (!iface_.open(tun_->ifindex(), tun_->name())) return false;
    if (!resolver_.open()) {
      log_.error("eventfd: {}", std::strerror(errno));
      return false;
    }
    // Following the host's network is best effort: without it the client re-qualifies on
    // its refresh schedule, as RFC 4380 §5.2.5 has it.
    const bool follow = network_.open();
    const bool ok = loop_.add(sock_->fd(), [this] { on_udp_readable(); }).ok() &&
                    loop_.add(tun_->fd(), [this] { on_tun_readable(); }).ok() &&
                    loop_.add(resolver_.fd(), [this] { on_resolved(); }).ok() &&
                    (!follow || loop_.add(network_.fd(), [this] { on_network_readable(); }).ok());
    if (!ok) {
      log_.error("cannot register descriptors with the event loop");
      return false;
    }
    loop_.on_deadline([this] { on_deadline(); });
    log_.notice("Teredo interface {} (MTU {}, {}), service port {}", tun_->name(), iface_.mtu(),
                wire::client_rs_link_local(false).to_string(), sock_->local_endpoint().to_string());
    return open_endpoints();
  }

  // The control socket (`shipworm status|peers`) and the metrics listener, per the
  // configuration, as the server does.
  bool open_endpoints() {
    return endpoints_.open(loop_, config_.common,
                           {[this] { return client_status_json(snapshot()); },
                            [this] { return client_peers_json(snapshot()); },
                            [this] { return client_metrics_text(snapshot()); }},
                           log_);
  }

  // One instant's view of everything status, peers, metrics and the SIGUSR1 log report.
  [[nodiscard]] ClientSnapshot snapshot() const {
    return {.now = os::EventLoop::now(),
            .started = started_,
            .engine = engine_.get(),
            .interface = tun_ ? tun_->name() : config_.interface_name,
            .mtu = iface_.mtu(),
            .service_port = sock_ ? sock_->local_endpoint() : Endpoint{},
            .last_transition = last_transition_,
            .server_rtt = server_rtt_.rtt(),
            .io = io_,
            .network_path = network_.describe_path()};
  }

  // Resolves the servers (blocking: nothing else to do yet) and starts qualification.
  void begin() {
    Resolved r = resolve_servers(config_);
    use(std::move(r));
    reschedule();
  }

  void reload() {
    os::SdNotify::reloading();
    auto r = load(options_);
    log_problems(r, log_);
    if (!r.ok()) {
      log_.error("reload: configuration rejected; keeping the previous one");
    } else {
      const ClientConfig& c = *r.config->client();
      log_.set_level(c.common.log_level);
      if (c.hook_script != hooks_.script()) {
        log_.notice("reload: hook script {}", c.hook_script.empty() ? "none" : c.hook_script);
        hooks_.set_script(c.hook_script);
      }
      config_.common.log_level = c.common.log_level;
      config_.hook_script = c.hook_script;
      const auto later = restart_only_changes(config_, c);
      if (!later.empty()) {
        log_.warning(
            "reload: {} changed; a restart applies it (and gets a new Teredo "
            "address), keeping the current value until then",
            fmt::format("{}", fmt::join(later, ", ")));
      }
      log_.notice("reload: configuration applied (LogLevel, HookScript)");
    }
    os::SdNotify::ready();
  }

  void log_counters() const {
    for (const auto& line : client_log_lines(snapshot())) log_.notice("{}", line);
  }

  // At exit: withdraw the address (and tell the hook), then remove what we added.
  void shutdown() {
    if (iface_.address()) {
      const core::AddressChange down{iface_.address(), std::nullopt, iface_.mtu(), "stopping"};
      iface_.apply(down);
      run_hook(down);
    }
    hooks_.drain();
    iface_.close();
  }

  [[nodiscard]] int exit_code() const { return exit_code_; }

  // --- core::ActionSink ---
  void send_udp(const Endpoint& to, wire::Bytes payload) override {
    if (tx_.full()) flush();
    if (!tx_.push(to, payload)) ++io_.send_failures;
  }

  void write_tun(wire::Bytes packet) override {
    if (!tun_->write(packet).ok()) ++io_.tun_write_failures;
  }

  void state_changed(const ClientStatus& s) override {
    network_.follow(s.server.primary);  // the path toward the server in use
    const bool was_qualified = last_state_ == ClientState::kQualified;
    last_transition_ =
        fmt::format("{} -> {}", core::to_string(last_state_), core::to_string(s.state));
    last_state_ = s.state;
    switch (s.state) {
      case ClientState::kQualified: {
        const std::string addr = s.address ? s.address->to_ipv6().to_string() : "?";
        log_.notice("qualified: {} ({})", addr, s.cause);
        log_recovery(s);
        std::string status = fmt::format("qualified: {} via {}, NAT {}", addr,
                                         s.server.primary.to_string(), core::to_string(s.nat));
        if (s.nat == NatType::kSymmetric) {
          if (s.mapping != warned_mapping_) log_.warning("{}", describe_symmetric(s));
          warned_mapping_ = s.mapping;
          status = fmt::format(
              "qualified behind a symmetric NAT: {} via {} (peers behind "
              "restricted/symmetric NATs unreachable)",
              addr, s.server.primary.to_string());
        }
        os::SdNotify::status(status);
        break;
      }
      case ClientState::kStarting:
        if (was_qualified) {
          log_.warning("lost the Teredo address; starting: {}", s.cause);
        } else {
          log_.notice("starting: {}", s.cause);
        }
        os::SdNotify::status("qualifying: " + s.cause);
        break;
      case ClientState::kOffline:
        log_.warning("offline: {}", s.cause);
        os::SdNotify::status("offline: " + s.cause);
        break;
      case ClientState::kInitial:
        break;
    }
    if (s.state == ClientState::kOffline && s.nat == NatType::kSymmetric &&
        config_.symmetric_nat == SymmetricNatPolicy::stop) {
      log_.error(
          "stopping: behind a symmetric NAT, and 'SymmetricNat stop' makes Teredo "
          "unusable here (RFC 4380 §5.2.1); 'SymmetricNat keep' would use the primary "
          "mapping (RFC 6081 §5.2)");
      os::SdNotify::status("stopped: symmetric NAT (SymmetricNat stop)");
      exit_code_ = 1;
      loop_.stop();
      return;
    }
    // RFC 4380 gives no rule for DNS; a name may have moved: re-resolve on each loss.
    if ((was_qualified && s.state != ClientState::kQualified) || s.state == ClientState::kOffline) {
      if (has_names(config_) && !resolver_.busy()) {
        log_.info("re-resolving the server names");
        resolver_.start(config_);
      }
    }
  }

  void address_changed(const core::AddressChange& change) override {
    iface_.apply(change);
    run_hook(change);
    if (change.new_address && !ready_sent_) {
      os::SdNotify::ready();
      ready_sent_ = true;
    }
  }

 private:
  // Once per network change: how long the client was without a working address.
  void log_recovery(const ClientStatus& s) {
    if (!s.last_network_change || !s.last_network_change->recovered_in) return;
    if (logged_change_ == s.last_network_change->at) return;
    logged_change_ = s.last_network_change->at;
    log_.notice("working again {:.2f} s after the network change ({}: {})",
                std::chrono::duration<double>(*s.last_network_change->recovered_in).count(),
                core::to_string(s.last_network_change->trigger), s.last_network_change->cause);
  }

  // Miredo's client-hook environment (daemon/hook_runner.h) plus the SHIPWORM_* extras.
  void run_hook(const core::AddressChange& c) {
    if (hooks_.script().empty()) return;
    const std::string state = c.new_address ? "up" : "down";
    std::vector<std::string> env = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "STATE=" + state,
        "OLD_STATE=" + hook_state_,
        "IFACE=" + tun_->name(),
        "LLADDRESS=" + wire::client_rs_link_local(false).to_string(),
        fmt::format("MTU={}", iface_.mtu()),
        "SHIPWORM_CAUSE=" + std::string(c.cause),
    };
    if (c.new_address) env.push_back("ADDRESS=" + c.new_address->to_string());
    if (c.old_address) env.push_back("OLD_ADDRESS=" + c.old_address->to_string());
    if (engine_) {
      const ClientStatus s = engine_->status();
      env.push_back("SHIPWORM_SERVER=" + s.server.primary.to_string());
      env.push_back("SHIPWORM_NAT=" + std::string(core::to_string(s.nat)));
      if (c.new_address) env.push_back("SHIPWORM_MAPPING=" + s.mapping.to_string());
    }
    hook_state_ = state;
    hooks_.enqueue(std::move(env));
  }

  // --- servers ---
  void use(Resolved r) {
    for (const auto& e : r.errors) log_.error("{}", e);
    if (r.servers.empty()) {
      const auto s =
          std::chrono::duration_cast<std::chrono::seconds>(retry_.failed(os::EventLoop::now()))
              .count();
      log_.warning("no usable Teredo server; resolving again in {} s", s);
      os::SdNotify::status(fmt::format("no usable Teredo server ({}); retrying in {} s",
                                       r.errors.empty() ? "?" : r.errors.front(), s));
      return;
    }
    retry_.succeeded();
    if (engine_) {
      if (engine_->config().servers == r.servers) return;
      if (engine_->state() == ClientState::kQualified) return;  // recovered meanwhile
    }
    std::vector<std::string> names;
    for (const auto& s : r.servers) names.push_back(s.to_string());
    log_.notice("Teredo server{} {}", names.size() > 1 ? "s" : "",
                fmt::format("{}", fmt::join(names, ", ")));
    engine_ = std::make_unique<core::ClientEngine>(
        engine_config(config_, std::move(r.servers), sock_->local_endpoint()), random_);
    server_rtt_.restart();
    engine_->start(os::EventLoop::now(), *this);
    note_exchange(os::EventLoop::now());
    flush();
  }

  void note_exchange(TimePoint now) {
    if (engine_) server_rtt_.note(now, engine_->counters());
  }

  void on_resolved() {
    if (auto r = resolver_.take()) use(std::move(*r));
    reschedule();
  }

  // --- I/O ---
  void on_udp_readable() {
    for (int round = 0; round < 4; ++round) {
      const auto r = sock_->recv_batch(rx_);
      if (r.count == 0) break;
      const auto now = os::EventLoop::now();
      for (std::size_t k = 0; k < rx_.size(); ++k) {
        const os::Datagram& d = rx_[k];
        if (d.truncated) {
          ++io_.truncated;
          continue;
        }
        if (engine_) engine_->on_udp(now, d.peer, rx_.payload(k), *this);
      }
      note_exchange(now);
      flush();
      if (rx_.size() < rx_.capacity()) break;
    }
    reschedule();
  }

  void on_tun_readable() {
    for (int round = 0; round < 4; ++round) {
      const auto r = tun_->read_batch(tun_rx_);
      if (tun_rx_.empty()) break;
      const auto now = os::EventLoop::now();
      for (std::size_t k = 0; k < tun_rx_.size(); ++k) {
        if (engine_) engine_->on_tun(now, tun_rx_.packet(k), *this);
      }
      flush();
      if (!r.ok() || tun_rx_.size() < tun_rx_.capacity()) break;
    }
    reschedule();
  }

  void on_network_readable() {
    network_.on_readable(os::EventLoop::now());
    reschedule();
  }

  void on_deadline() {
    const auto now = os::EventLoop::now();
    if (auto why = network_.on_deadline(now)) {
      log_.notice("network change: {}", *why);
      if (engine_) engine_->on_network_change(now, std::move(*why), *this, network_.changed_at());
    }
    if (engine_) {
      if (engine_->next_deadline() <= now) engine_->on_timer(now, *this);
      note_exchange(now);
    }
    hooks_.on_timer(now);
    if (retry_.due(now)) resolver_.start(config_);
    flush();
    reschedule();
  }

  void flush() {
    if (tx_.empty()) return;
    const auto r = sock_->send_batch(tx_);
    io_.send_failures += r.dropped;
    if (r.blocked) io_.send_failures += tx_.size() - r.next;
    tx_.clear();
  }

  void reschedule() {
    TimePoint d = TimePoint::max();
    if (engine_) {
      d = std::min(d, engine_->next_deadline());
    }
    if (const auto h = hooks_.deadline()) d = std::min(d, *h);
    d = std::min(d, network_.deadline());
    if (const auto r = retry_.at()) d = std::min(d, *r);
    if (d != TimePoint::max()) {
      loop_.set_deadline(d);
    } else {
      loop_.clear_deadline();
    }
  }

  Logger& log_;
  os::EventLoop& loop_;
  ClientRunOptions options_;
  ClientConfig config_;
  CsprngRandom random_;
  HookRunner hooks_;
  TeredoInterface iface_;
  AsyncResolver resolver_;
  HostNetwork network_;
  std::optional<TimePoint> logged_change_;  // log_recovery()
  std::optional<os::UdpSocket> sock_;
  std::optional<os::TunDevice> tun_;
  std::unique_ptr<core::ClientEngine> engine_;
  std::string hook_state_ = "down";
  ClientState last_state_ = ClientState::kInitial;
  Endpoint warned_mapping_{};
  bool ready_sent_ = false;
  int exit_code_ = 0;
  ResolveRetry retry_;
  // A datagram larger than a slot is counted as truncated and dropped; a TUN packet is at
  // most the interface MTU (<= 65507).
  os::DatagramBatch rx_{16, 65535};
  os::DatagramBatch tx_{16, 65535};
  os::PacketBatch tun_rx_{16, 65535};
  ClientIoDrops io_;
  // status and metrics
  TimePoint started_ = os::EventLoop::now();
  std::string last_transition_ = "none";
  ServerRttMeter server_rtt_;
  RoleEndpoints endpoints_;
};

}  // namespace

int run_client(const ClientRunOptions& options) {
  RoleBoot b;
  boot_role(options.config_path, Role::client, options.overrides, "shipworm-client", b);
  if (!b.ok()) return b.status;
  const ClientConfig& config = *b.config.config->client();
  Logger& log = *b.log;
  os::EventLoop& loop = *b.loop;
  ClientDaemon daemon(log, loop, options, config);
  if (!daemon.open()) return 1;

  // Everything privileged is open. CAP_NET_ADMIN stays: the Teredo address changes with the
  // NAT mapping, and adding/removing it (and the default route) is an rtnetlink request that
  // needs it. The hook script inherits at most that (bounding set, no_new_privs).
  // Ready (sd_notify) only once qualified: begin() starts qualification.
  return run_in_foreground(loop, log,
                           {.keep_capabilities = {CAP_NET_ADMIN},
                            .reload = [&] { daemon.reload(); },
                            .log_counters = [&] { daemon.log_counters(); },
                            .started = [&] { daemon.begin(); },
                            .stopped = [&] { daemon.shutdown(); },
                            .exit_code = [&] { return daemon.exit_code(); }});
}

}  // namespace shipworm::daemon
