#include "daemon/client_daemon.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/client_engine.h"
#include "daemon/control_server.h"
#include "daemon/hook_runner.h"
#include "daemon/metrics.h"
#include "daemon/role_runtime.h"
#include "daemon/server_resolver.h"
#include "daemon/teredo_interface.h"
#include "os/linux/capabilities.h"
#include "os/linux/csprng.h"
#include "os/linux/datagram_batch.h"
#include "os/linux/event_loop.h"
#include "os/linux/netlink.h"
#include "os/linux/packet_batch.h"
#include "os/linux/sd_notify.h"
#include "os/linux/tun_device.h"
#include "os/linux/udp_socket.h"
#include "os/linux/unique_fd.h"
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
using wire::Ipv6Address;

using namespace std::chrono_literals;

// `shipworm peers` lists at most this many entries (trusted first, most recent first).
constexpr std::size_t kMaxPeersListed = 256;

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
                                         ? core::SymmetricNatPolicy::kStop
                                         : core::SymmetricNatPolicy::kKeepPrimaryMapping;
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
        iface_(log) {
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
    const bool ok = loop_.add(sock_->fd(), [this] { on_udp_readable(); }).ok() &&
                    loop_.add(tun_->fd(), [this] { on_tun_readable(); }).ok() &&
                    loop_.add(resolver_.fd(), [this] { on_resolved(); }).ok();
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
                           {[this] { return status_json(); }, [this] { return peers_json(); },
                            [this] { return metrics_text(); }},
                           log_);
  }

  // Drop counters by name (codec reasons, the client's own, the daemon's I/O), non-zero only;
  // a name both lists use is summed.
  [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> drops() const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    auto add = [&](std::string_view name, std::uint64_t n) {
      if (n == 0) return;
      for (auto& [k, v] : out) {
        if (k == name) {
          v += n;
          return;
        }
      }
      out.emplace_back(std::string(name), n);
    };
    if (engine_) {
      const auto& c = engine_->counters();
      for (std::size_t i = 0; i < c.malformed.size(); ++i) {
        add(wire::to_string(static_cast<wire::DropReason>(i)), c.malformed[i]);
      }
      for (std::size_t i = 0; i < c.dropped.size(); ++i) {
        add(core::to_string(static_cast<core::ClientDrop>(i)), c.dropped[i]);
      }
    }
    add("datagram_truncated", truncated_);
    add("send_failed", send_failures_);
    add("tun_write_failed", tun_write_failures_);
    return out;
  }

  static std::int64_t seconds_since(TimePoint now, TimePoint then) {
    return std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  }

  // `shipworm status`: one JSON document, keys in a fixed order (tests/lab/demo.py reads
  // state, address, mapping, nat_type, server, mtu and cause).
  [[nodiscard]] std::string status_json() const {
    const auto now = os::EventLoop::now();
    nlohmann::ordered_json j;
    j["role"] = "client";
    if (!engine_) {
      j["state"] = "starting";
      j["state_seconds"] = seconds_since(now, started_);
      j["last_transition"] = "initial -> starting";
      j["cause"] = "resolving the server names";
      j["interface"] = tun_ ? tun_->name() : config_.interface_name;
      j["mtu"] = iface_.mtu();
      nlohmann::ordered_json d = nlohmann::ordered_json::object();
      for (const auto& [name, n] : drops()) d[name] = n;
      j["drops"] = d;
      return j.dump(2) + "\n";
    }
    const ClientStatus s = engine_->status();
    const auto& c = engine_->counters();
    const auto& t = engine_->peers();
    j["state"] = core::to_string(s.state);
    j["state_seconds"] = seconds_since(now, s.since);
    j["last_transition"] = last_transition_;
    j["cause"] = s.cause;
    nlohmann::ordered_json server;
    server["primary"] = s.server.primary.to_string();
    server["secondary"] = s.server.secondary.to_string();
    server["index"] = s.server_index;
    server["configured"] = engine_->config().servers.size();
    if (server_rtt_) {
      server["rtt_ms"] = std::chrono::duration<double, std::milli>(*server_rtt_).count();
    }
    if (s.last_server_rx) server["last_ra_seconds"] = seconds_since(now, *s.last_server_rx);
    if (s.state == ClientState::kQualified) {
      server["refresh_interval_seconds"] =
          std::chrono::duration_cast<std::chrono::seconds>(s.refresh_interval).count();
    }
    if (s.retry_at)
      server["retry_in_seconds"] = std::max<std::int64_t>(0, -seconds_since(now, *s.retry_at));
    j["server"] = server;
    if (s.address) {
      const wire::TeredoAddress& a = *s.address;
      j["address"] = a.to_ipv6().to_string();
      j["address_decoded"] = {{"server", a.server.to_string()},
                              {"flags", fmt::format("0x{:04x}", a.flags)},
                              {"cone", a.cone()},
                              {"port", a.mapped.port},
                              {"mapped", a.mapped.address.to_string()},
                              {"random_bits", fmt::format("0x{:04x}", a.random_bits())}};
      j["mapping"] = s.mapping.to_string();
      if (s.secondary_mapping) j["secondary_mapping"] = s.secondary_mapping->to_string();
    }
    j["nat_type"] = core::to_string(s.nat);
    j["port_preserving"] = s.port_preserving;
    j["symmetric"] = s.symmetric;
    j["interface"] = tun_->name();
    j["mtu"] = iface_.mtu();
    j["service_port"] = sock_->local_endpoint().to_string();
    j["peers"] = {{"count", t.size()},
                  {"trusted", t.trusted_count()},
                  {"untrusted", t.untrusted_count()},
                  {"capacity", t.capacity()},
                  {"queued_bytes", t.queued_bytes_total()}};
    j["counters"] = {
        {"datagrams", c.datagrams},
        {"tun_packets", c.tun_packets},
        {"rs_sent", c.rs_sent},
        {"ra_accepted", c.ra_accepted},
        {"qualifications", c.qualifications},
        {"qualification_failures", c.qualification_failures},
        {"server_losses", c.server_losses},
        {"address_changes", c.address_changes},
        {"delivered", c.delivered},
        {"delivered_bytes", c.delivered_bytes},
        {"sent", c.sent},
        {"sent_bytes", c.sent_bytes},
        {"queued", c.queued},
        {"bubbles_direct", c.bubbles_direct},
        {"bubbles_indirect", c.bubbles_indirect},
        {"bubbles_received", c.bubbles_received},
        {"bubble_replies", c.bubble_replies},
        {"pings_sent", c.pings_sent},
        {"peers_trusted", c.peers_trusted},
        {"icmp_errors", c.icmp_errors},
        {"icmp_errors_suppressed", c.icmp_errors_suppressed},
        {"dropped", c.total_dropped() + truncated_ + send_failures_ + tun_write_failures_}};
    nlohmann::ordered_json d = nlohmann::ordered_json::object();
    for (const auto& [name, n] : drops()) d[name] = n;
    j["drops"] = d;
    return j.dump(2) + "\n";
  }

  // `shipworm peers`: {"count", "listed", "truncated", "peers": [...]}, trusted peers first,
  // each class most recently used first, at most kMaxPeersListed entries.
  [[nodiscard]] std::string peers_json() const {
    const auto now = os::EventLoop::now();
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    std::size_t total = 0;
    if (engine_) {
      const auto& t = engine_->peers();
      total = t.size();
      auto add = [&](const core::Peer& p) {
        if (list.size() >= kMaxPeersListed) return true;  // stop the walk
        nlohmann::ordered_json e;
        e["address"] = p.address.to_string();
        e["mapping"] = p.trusted() || p.mapping.port != 0 ? p.mapping.to_string() : "";
        e["trusted"] = p.trusted();
        e["valid"] = p.trusted() && p.valid(now);
        e["state"] = p.state == core::ClientEngine::kPeerBubbling  ? "bubbling"
                     : p.state == core::ClientEngine::kPeerPinging ? "ping-test"
                                                                   : "idle";
        e["last_rx_seconds"] = seconds_since(now, p.last_rx);
        e["last_tx_seconds"] = seconds_since(now, p.last_tx);
        e["queued_bytes"] = p.queued_bytes();
        e["queued_packets"] = p.queued_packets();
        list.push_back(std::move(e));
        return false;
      };
      (void)t.find_if(true, add);
      (void)t.find_if(false, add);
    }
    nlohmann::ordered_json j;
    j["role"] = "client";
    j["count"] = total;
    j["listed"] = list.size();
    j["truncated"] = list.size() < total;
    j["peers"] = std::move(list);
    return j.dump(2) + "\n";
  }

  [[nodiscard]] std::string metrics_text() const {
    using T = MetricFamily::Type;
    auto n = [](std::uint64_t v) { return static_cast<double>(v); };
    std::vector<MetricFamily> f;
    f.push_back({"shipworm",
                 T::kInfo,
                 "shipworm build and role",
                 {{{{"role", "client"}, {"version", SHIPWORM_VERSION_STRING}}, 1}}});
    const bool qualified = engine_ && engine_->state() == ClientState::kQualified;
    f.push_back({"shipworm_qualified",
                 T::kGauge,
                 "1 while the client has a Teredo address",
                 {{{}, qualified ? 1.0 : 0.0}}});
    if (engine_) {
      const auto& c = engine_->counters();
      const auto& t = engine_->peers();
      f.push_back({"shipworm_qualifications",
                   T::kCounter,
                   "Qualifications, by result",
                   {{{{"result", "success"}}, n(c.qualifications)},
                    {{{"result", "failure"}}, n(c.qualification_failures)}}});
      f.push_back({"shipworm_server_losses",
                   T::kCounter,
                   "Times the server stopped answering",
                   {{{}, n(c.server_losses)}}});
      f.push_back({"shipworm_address_changes",
                   T::kCounter,
                   "Teredo address changes",
                   {{{}, n(c.address_changes)}}});
      f.push_back({"shipworm_router_solicitations",
                   T::kCounter,
                   "Router Solicitations sent",
                   {{{}, n(c.rs_sent)}}});
      f.push_back({"shipworm_router_advertisements",
                   T::kCounter,
                   "Router Advertisements accepted",
                   {{{}, n(c.ra_accepted)}}});
      if (server_rtt_) {
        f.push_back({"shipworm_server_rtt_seconds",
                     T::kGauge,
                     "Time from the last answered Router Solicitation to its advertisement",
                     {{{}, std::chrono::duration<double>(*server_rtt_).count()}}});
      }
      f.push_back({"shipworm_datagrams_received",
                   T::kCounter,
                   "UDP datagrams received",
                   {{{}, n(c.datagrams)}}});
      f.push_back({"shipworm_packets",
                   T::kCounter,
                   "IPv6 data packets, by direction",
                   {{{{"direction", "to_peers"}}, n(c.sent)},
                    {{{"direction", "from_peers"}}, n(c.delivered)}}});
      f.push_back({"shipworm_bytes",
                   T::kCounter,
                   "IPv6 data bytes, by direction",
                   {{{{"direction", "to_peers"}}, n(c.sent_bytes)},
                    {{{"direction", "from_peers"}}, n(c.delivered_bytes)}}});
      f.push_back({"shipworm_bubbles",
                   T::kCounter,
                   "Bubbles, by kind",
                   {{{{"kind", "direct_sent"}}, n(c.bubbles_direct)},
                    {{{"kind", "indirect_sent"}}, n(c.bubbles_indirect)},
                    {{{"kind", "received"}}, n(c.bubbles_received)},
                    {{{"kind", "replied"}}, n(c.bubble_replies)}}});
      f.push_back({"shipworm_ping_tests",
                   T::kCounter,
                   "Direct connectivity test echo requests sent (RFC 4380 §5.2.9)",
                   {{{}, n(c.pings_sent)}}});
      f.push_back({"shipworm_peers",
                   T::kGauge,
                   "Peer entries, by trust",
                   {{{{"trust", "trusted"}}, n(t.trusted_count())},
                    {{{"trust", "untrusted"}}, n(t.untrusted_count())}}});
      f.push_back({"shipworm_peers_trusted",
                   T::kCounter,
                   "Peers that became trusted",
                   {{{}, n(c.peers_trusted)}}});
      f.push_back({"shipworm_queued_bytes",
                   T::kGauge,
                   "Bytes queued for peers being reached",
                   {{{}, n(t.queued_bytes_total())}}});
      f.push_back({"shipworm_icmp_errors",
                   T::kCounter,
                   "ICMPv6 destination unreachable written to the interface",
                   {{{{"result", "sent"}}, n(c.icmp_errors)},
                    {{{"result", "suppressed"}}, n(c.icmp_errors_suppressed)}}});
    }
    MetricFamily drop{
        "shipworm_drops", T::kCounter, "Datagrams and packets dropped, by reason", {}};
    for (const auto& [name, v] : drops()) drop.samples.push_back({{{"reason", name}}, n(v)});
    f.push_back(std::move(drop));
    return render_openmetrics(f);
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
    if (!engine_) {
      log_.notice("no engine yet (server names unresolved)");
      return;
    }
    const auto& c = engine_->counters();
    const ClientStatus s = engine_->status();
    log_.notice("state {}, NAT {}, address {}, server {}", core::to_string(s.state),
                core::to_string(s.nat), s.address ? s.address->to_ipv6().to_string() : "none",
                s.server.to_string());
    log_.notice(
        "datagrams {}, TUN packets {}, RS {}, RA {}, qualifications {} (failed {}), "
        "server losses {}, address changes {}, delivered {}, sent {}, queued {}, "
        "bubbles direct {} indirect {} received {} answered {}, pings {}, peers "
        "trusted {}, ICMPv6 errors {} (suppressed {}), peers {}, dropped {}",
        c.datagrams, c.tun_packets, c.rs_sent, c.ra_accepted, c.qualifications,
        c.qualification_failures, c.server_losses, c.address_changes, c.delivered, c.sent, c.queued,
        c.bubbles_direct, c.bubbles_indirect, c.bubbles_received, c.bubble_replies, c.pings_sent,
        c.peers_trusted, c.icmp_errors, c.icmp_errors_suppressed, engine_->peers().size(),
        c.total_dropped() + truncated_ + send_failures_ + tun_write_failures_);
    for (std::size_t i = 0; i < c.malformed.size(); ++i) {
      if (c.malformed[i] != 0) {
        log_.notice("  dropped {}: {}", wire::to_string(static_cast<wire::DropReason>(i)),
                    c.malformed[i]);
      }
    }
    for (std::size_t i = 0; i < c.dropped.size(); ++i) {
      if (c.dropped[i] != 0) {
        log_.notice("  dropped {}: {}", core::to_string(static_cast<core::ClientDrop>(i)),
                    c.dropped[i]);
      }
    }
    if (truncated_ != 0) log_.notice("  dropped datagram_truncated: {}", truncated_);
    if (send_failures_ != 0) log_.notice("  UDP send failures: {}", send_failures_);
    if (tun_write_failures_ != 0) log_.notice("  TUN write failures: {}", tun_write_failures_);
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
    if (!tx_.push(to, payload)) ++send_failures_;
  }

  void write_tun(wire::Bytes packet) override {
    if (!tun_->write(packet).ok()) ++tun_write_failures_;
  }

  void state_changed(const ClientStatus& s) override {
    const bool was_qualified = last_state_ == ClientState::kQualified;
    last_transition_ =
        fmt::format("{} -> {}", core::to_string(last_state_), core::to_string(s.state));
    last_state_ = s.state;
    switch (s.state) {
      case ClientState::kQualified: {
        const std::string addr = s.address ? s.address->to_ipv6().to_string() : "?";
        log_.notice("qualified: {} ({})", addr, s.cause);
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
    seen_rs_ = seen_ra_ = 0;
    rs_sent_at_.reset();
    engine_->start(os::EventLoop::now(), *this);
    note_exchange(os::EventLoop::now());
    flush();
  }

  // The RS -> RA round trip, timed from the counters after each round of engine work: an RA
  // accepted since the last look closes the exchange the latest RS opened (RAs are checked
  // first: qualification sends the next RS in the same call that accepts an RA).
  void note_exchange(TimePoint now) {
    if (!engine_) return;
    const auto& c = engine_->counters();
    if (c.ra_accepted != seen_ra_) {
      seen_ra_ = c.ra_accepted;
      if (rs_sent_at_) server_rtt_ = now - *rs_sent_at_;
      rs_sent_at_.reset();
    }
    if (c.rs_sent != seen_rs_) {
      seen_rs_ = c.rs_sent;
      rs_sent_at_ = now;
    }
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
          ++truncated_;
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

  void on_deadline() {
    const auto now = os::EventLoop::now();
    if (engine_) {
      const auto d = engine_->next_deadline();
      if (d && *d <= now) engine_->on_timer(now, *this);
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
    send_failures_ += r.dropped;
    if (r.blocked) send_failures_ += tx_.size() - r.next;
    tx_.clear();
  }

  void reschedule() {
    TimePoint d = TimePoint::max();
    if (engine_) {
      if (const auto e = engine_->next_deadline()) d = std::min(d, *e);
    }
    if (const auto h = hooks_.deadline()) d = std::min(d, *h);
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
  std::uint64_t truncated_ = 0;
  std::uint64_t send_failures_ = 0;
  std::uint64_t tun_write_failures_ = 0;
  // status and metrics
  TimePoint started_ = os::EventLoop::now();
  std::string last_transition_ = "none";
  std::uint64_t seen_rs_ = 0;
  std::uint64_t seen_ra_ = 0;
  std::optional<TimePoint> rs_sent_at_;
  std::optional<core::Duration> server_rtt_;
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
