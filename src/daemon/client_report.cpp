#include "daemon/client_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace shipworm::daemon {

using core::ClientState;
using core::ClientStatus;
// Each family is written as its name literal, then T::kCounter (or kGauge, kInfo): the form
// packaging/tests/check_metrics_doc.sh finds to check docs/metrics.md.
using T = MetricFamily::Type;

DropList client_drops(const ClientSnapshot& s) {
  DropList out;
  if (s.engine != nullptr) {
    const auto& c = s.engine->counters();
    out.add_each<wire::DropReason>(c.malformed);
    out.add_each<core::ClientDrop>(c.dropped);
  }
  out.add("datagram_truncated", s.io.truncated);
  out.add("send_failed", s.io.send_failures);
  out.add("tun_write_failed", s.io.tun_write_failures);
  return out;
}

namespace {

nlohmann::ordered_json server_json(const ClientSnapshot& snap, const ClientStatus& s) {
  nlohmann::ordered_json server;
  server["primary"] = s.server.primary.to_string();
  server["secondary"] = s.server.secondary.to_string();
  server["index"] = s.server_index;
  server["configured"] = snap.engine->config().servers.size();
  if (snap.server_rtt) {
    server["rtt_ms"] = std::chrono::duration<double, std::milli>(*snap.server_rtt).count();
  }
  if (s.last_server_rx) server["last_ra_seconds"] = seconds_since(snap.now, *s.last_server_rx);
  if (s.state == ClientState::kQualified) {
    server["refresh_interval_seconds"] =
        std::chrono::duration_cast<std::chrono::seconds>(s.refresh_interval).count();
  }
  if (s.retry_at) {
    server["retry_in_seconds"] = std::max<std::int64_t>(0, -seconds_since(snap.now, *s.retry_at));
  }
  return server;
}

// The last time the client re-qualified or changed address outside its schedule (a host
// that moved, a NAT that rebooted, a resume), and how long until it worked again.
nlohmann::ordered_json network_change_json(const ClientSnapshot& snap, const ClientStatus& s) {
  if (!s.last_network_change) return nullptr;
  const core::NetworkChange& c = *s.last_network_change;
  nlohmann::ordered_json j;
  j["seconds_ago"] = core::seconds_between(c.at, snap.now);
  j["trigger"] = core::to_string(c.trigger);
  j["cause"] = c.cause;
  if (c.recovered_in) {
    j["recovered_in_seconds"] = std::chrono::duration<double>(*c.recovered_in).count();
  } else {
    j["recovered_in_seconds"] = nullptr;
  }
  return j;
}

nlohmann::ordered_json counters_json(const core::ClientCounters& c, const DropList& drops) {
  return {{"datagrams", c.datagrams},
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
          {"early_probes", c.early_probes},
          {"dropped", drops.total}};
}

}  // namespace

std::string client_status_json(const ClientSnapshot& snap) {
  const DropList drops = client_drops(snap);
  nlohmann::ordered_json j;
  j["role"] = "client";
  if (snap.engine == nullptr) {
    j["state"] = "starting";
    j["state_seconds"] = seconds_since(snap.now, snap.started);
    j["last_transition"] = "initial -> starting";
    j["cause"] = "resolving the server names";
    j["interface"] = snap.interface;
    j["mtu"] = snap.mtu;
    j["drops"] = drops_json(drops);
    return j.dump(2) + "\n";
  }
  const ClientStatus s = snap.engine->status();
  const auto& t = snap.engine->peers();
  j["state"] = core::to_string(s.state);
  j["state_seconds"] = seconds_since(snap.now, s.since);
  j["last_transition"] = snap.last_transition;
  j["cause"] = s.cause;
  j["server"] = server_json(snap, s);
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
  j["interface"] = snap.interface;
  j["mtu"] = snap.mtu;
  j["service_port"] = snap.service_port.to_string();
  if (snap.network_path.empty()) {
    j["network_path"] = nullptr;
  } else {
    j["network_path"] = snap.network_path;
  }
  j["last_network_change"] = network_change_json(snap, s);
  j["peers"] = {{"count", t.size()},
                {"trusted", t.trusted_count()},
                {"untrusted", t.untrusted_count()},
                {"capacity", t.capacity()},
                {"queued_bytes", t.queued_bytes_total()}};
  j["counters"] = counters_json(snap.engine->counters(), drops);
  j["drops"] = drops_json(drops);
  return j.dump(2) + "\n";
}

std::string client_peers_json(const ClientSnapshot& snap) {
  const core::PeerTable* table = snap.engine != nullptr ? &snap.engine->peers() : nullptr;
  return peers_document("client", table, snap.now, kMaxPeersListed, [](const core::Peer& p) {
    using PeerState = core::ClientEngine::PeerState;
    const auto state = p.state<PeerState>();
    return PeerDescription{
        .state = state == PeerState::kBubbling  ? "bubbling"
                 : state == PeerState::kPinging ? "ping-test"
                                                : "idle",
        // Before its first bubble a peer's mapping is not known yet (RFC 4380 §5.2.4).
        .mapping_known = p.trusted() || p.mapping.port != 0};
  });
}

namespace {

// The engine's families, in docs/metrics.md order.
void engine_families(const ClientSnapshot& snap, std::vector<MetricFamily>& f) {
  auto n = [](std::uint64_t v) { return static_cast<double>(v); };
  const auto& c = snap.engine->counters();
  const auto& t = snap.engine->peers();
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
  {
    MetricFamily changes{"shipworm_network_changes",
                         T::kCounter,
                         "Re-qualifications and address changes outside the refresh schedule, "
                         "by trigger",
                         {}};
    for (std::size_t i = 0; i < c.network_changes.size(); ++i) {
      const auto trigger = static_cast<core::NetworkTrigger>(i);
      changes.samples.push_back(
          {{{"trigger", std::string(core::to_string(trigger))}}, n(c.network_changes[i])});
    }
    f.push_back(std::move(changes));
  }
  f.push_back({"shipworm_early_probes",
               T::kCounter,
               "Router Solicitations sent early because traffic went unanswered",
               {{{}, n(c.early_probes)}}});
  f.push_back({"shipworm_router_solicitations",
               T::kCounter,
               "Router Solicitations sent",
               {{{}, n(c.rs_sent)}}});
  f.push_back({"shipworm_router_advertisements",
               T::kCounter,
               "Router Advertisements accepted",
               {{{}, n(c.ra_accepted)}}});
  if (snap.server_rtt) {
    f.push_back({"shipworm_server_rtt_seconds",
                 T::kGauge,
                 "Time from the last answered Router Solicitation to its advertisement",
                 {{{}, std::chrono::duration<double>(*snap.server_rtt).count()}}});
  }
  f.push_back(datagrams_received_family(c.datagrams, "UDP datagrams received"));
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
  f.push_back(peers_family(t));
  f.push_back(peers_trusted_family(c.peers_trusted));
  f.push_back(queued_bytes_family(t));
  f.push_back({"shipworm_icmp_errors",
               T::kCounter,
               "ICMPv6 destination unreachable written to the interface",
               {{{{"result", "sent"}}, n(c.icmp_errors)},
                {{{"result", "suppressed"}}, n(c.icmp_errors_suppressed)}}});
}

}  // namespace

std::string client_metrics_text(const ClientSnapshot& snap) {
  std::vector<MetricFamily> f;
  f.push_back(info_family("client"));
  const bool qualified = snap.engine != nullptr && snap.engine->state() == ClientState::kQualified;
  f.push_back({"shipworm_qualified",
               T::kGauge,
               "1 while the client has a Teredo address",
               {{{}, qualified ? 1.0 : 0.0}}});
  if (snap.engine != nullptr) engine_families(snap, f);
  f.push_back(drops_family(client_drops(snap)));
  return render_openmetrics(f);
}

std::vector<std::string> client_log_lines(const ClientSnapshot& snap) {
  if (snap.engine == nullptr) return {"no engine yet (server names unresolved)"};
  const auto& c = snap.engine->counters();
  const ClientStatus s = snap.engine->status();
  const DropList drops = client_drops(snap);
  std::vector<std::string> out;
  out.push_back(fmt::format(
      "state {}, NAT {}, address {}, server {}", core::to_string(s.state), core::to_string(s.nat),
      s.address ? s.address->to_ipv6().to_string() : "none", s.server.to_string()));
  out.push_back(
      fmt::format("datagrams {}, TUN packets {}, RS {}, RA {}, qualifications {} (failed {}), "
                  "server losses {}, address changes {}, delivered {}, sent {}, queued {}, "
                  "bubbles direct {} indirect {} received {} answered {}, pings {}, peers "
                  "trusted {}, ICMPv6 errors {} (suppressed {}), peers {}, dropped {}",
                  c.datagrams, c.tun_packets, c.rs_sent, c.ra_accepted, c.qualifications,
                  c.qualification_failures, c.server_losses, c.address_changes, c.delivered, c.sent,
                  c.queued, c.bubbles_direct, c.bubbles_indirect, c.bubbles_received,
                  c.bubble_replies, c.pings_sent, c.peers_trusted, c.icmp_errors,
                  c.icmp_errors_suppressed, snap.engine->peers().size(), drops.total));
  if (!snap.network_path.empty()) out.push_back("network path: " + snap.network_path);
  if (s.last_network_change) {
    const core::NetworkChange& n = *s.last_network_change;
    out.push_back(fmt::format(
        "last network change {:.1f} s ago ({}): {}; {}", core::seconds_between(n.at, snap.now),
        core::to_string(n.trigger), n.cause,
        n.recovered_in ? fmt::format("working again after {:.2f} s",
                                     std::chrono::duration<double>(*n.recovered_in).count())
                       : std::string("not working again yet")));
  }
  for (auto& line : drop_log_lines(drops)) out.push_back(std::move(line));
  return out;
}

void ServerRttMeter::note(core::TimePoint now, const core::ClientCounters& c) {
  if (c.ra_accepted != seen_ra_) {
    seen_ra_ = c.ra_accepted;
    if (rs_sent_at_) rtt_ = now - *rs_sent_at_;
    rs_sent_at_.reset();
  }
  if (c.rs_sent != seen_rs_) {
    seen_rs_ = c.rs_sent;
    rs_sent_at_ = now;
  }
}

void ServerRttMeter::restart() {
  seen_rs_ = seen_ra_ = 0;
  rs_sent_at_.reset();
}

}  // namespace shipworm::daemon
