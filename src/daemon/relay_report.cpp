#include "daemon/relay_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "wire/drop_reason.h"

namespace shipworm::daemon {

namespace {
double n(std::uint64_t v) { return static_cast<double>(v); }
}  // namespace

DropList relay_drops(const core::RelayCounters& c, const IoCounters& io) {
  DropList d;
  d.add_each<wire::DropReason>(c.malformed);
  d.add_each<core::RelayDrop>(c.dropped);
  d.add("datagram_truncated", io.udp_truncated);
  d.add("send_failed", io.udp_send_failures);
  d.add("tun_write_failed", io.tun_write_failures);
  d.add("control_overflow", io.control_overflow);
  d.add("tun_offload_unusable", io.tun_offload_drops);
  return d;
}

std::string relay_status_json(const RelaySnapshot& s) {
  const auto& c = s.counters;
  const auto& t = *s.peers;
  const auto& io = s.io;
  const DropList drops = s.drops();
  nlohmann::ordered_json j;
  j["role"] = s.role;
  j["state"] = "relaying";
  j["state_seconds"] = seconds_since(s.now, s.started);
  j["last_transition"] = s.last_transition;
  j["last_transition_seconds"] = seconds_since(s.now, s.last_transition_at);
  j["interface"] = s.interface;
  j["mtu"] = s.mtu;
  j["prefix"] = s.prefix;
  nlohmann::ordered_json served = nlohmann::ordered_json::array();
  for (const auto& a : s.served) served.push_back(a);
  j["served"] = served;
  j["bind"] = s.bind;
  j["relay_type"] = s.relay_type;
  j["check_source"] = s.check_source;
  j["peers"] = {{"count", t.size()},
                {"trusted", t.trusted_count()},
                {"untrusted", t.untrusted_count()},
                {"capacity", t.capacity()},
                {"queued_bytes", t.queued_bytes_total()},
                {"created", c.peers_created},
                {"became_trusted", c.peers_trusted},
                {"unreachable", c.peers_unreachable},
                {"expired", c.peers_expired},
                {"evictions", c.peers_evicted},
                {"memory_mib", static_cast<double>(t.memory_bytes()) / (1 << 20)}};
  j["counters"] = {{"datagrams", c.udp_packets_in},
                   {"datagram_bytes", c.udp_bytes_in},
                   {"native_packets", c.tun_packets_in},
                   {"native_bytes", c.tun_bytes_in},
                   {"to_clients_packets", c.to_clients_packets},
                   {"to_clients_bytes", c.to_clients_bytes},
                   {"to_native_packets", c.to_native_packets},
                   {"to_native_bytes", c.to_native_bytes},
                   {"queued", c.packets_queued},
                   {"dequeued", c.packets_dequeued},
                   {"bubbles_received", c.bubbles_received},
                   {"bubbles_indirect", c.bubbles_sent_indirect},
                   {"bubbles_direct", c.bubbles_sent_direct},
                   {"bubble_replies", c.bubble_replies_sent},
                   {"bubbles_nonce_accepted", c.bubbles_nonce_accepted},
                   {"icmp_unreachable", c.icmp_unreachable_sent},
                   {"icmp_time_exceeded", c.icmp_time_exceeded_sent},
                   {"icmp_errors_suppressed", c.icmp_rate_limited},
                   {"dropped", drops.total}};
  j["io"] = {
      {"recvmmsg_batches", io.recv_batches},       {"sendmmsg_batches", io.send_batches},
      {"zero_copy_sends", io.zero_copy_sends},     {"udp_gso", s.udp_gso},
      {"udp_gso_messages", s.udp_gso_messages},    {"udp_gso_fallbacks", s.udp_gso_fallbacks},
      {"tun_gso_writes", io.tun_gso_writes},       {"tun_gso_packets", io.tun_gso_packets},
      {"tun_gso_fallbacks", io.tun_gso_fallbacks}, {"tun_tso_reads", io.tun_tso_reads},
      {"tun_tso_segments", io.tun_tso_segments},   {"tun_uso", s.tun_uso},
      {"tun_uso_reads", io.tun_uso_reads},         {"tun_uso_segments", io.tun_uso_segments},
      {"tun_offload_drops", io.tun_offload_drops}, {"udp_receive_errors", io.udp_recv_errors},
      {"tun_read_errors", io.tun_read_errors}};
  j["drops"] = drops_json(drops);
  return j.dump(2) + "\n";
}

std::string relay_peers_json(const RelaySnapshot& s, std::size_t max_listed) {
  return peers_document(s.role, s.peers, s.now, max_listed, [](const core::Peer& p) {
    using PeerState = core::RelayEngine::PeerState;
    const auto state = p.state<PeerState>();
    return PeerDescription{state == PeerState::kPending  ? "bubbling"
                           : state == PeerState::kFailed ? "unreachable"
                                                         : "idle"};
  });
}

std::string relay_metrics_text(const RelaySnapshot& s) {
  using T = MetricFamily::Type;
  const auto& c = s.counters;
  const auto& t = *s.peers;
  const auto& io = s.io;
  std::vector<MetricFamily> f;
  f.push_back(info_family(s.role));
  f.push_back(datagrams_received_family(c.udp_packets_in, "UDP datagrams received from clients"));
  f.push_back({"shipworm_native_packets_received",
               T::kCounter,
               "IPv6 packets read from the native side (the TUN device)",
               {{{}, n(c.tun_packets_in)}}});
  f.push_back({"shipworm_packets",
               T::kCounter,
               "IPv6 data packets relayed, by direction",
               {{{{"direction", "to_clients"}}, n(c.to_clients_packets)},
                {{{"direction", "to_native"}}, n(c.to_native_packets)}}});
  f.push_back({"shipworm_bytes",
               T::kCounter,
               "IPv6 data bytes relayed, by direction",
               {{{{"direction", "to_clients"}}, n(c.to_clients_bytes)},
                {{{"direction", "to_native"}}, n(c.to_native_bytes)}}});
  f.push_back({"shipworm_bubbles",
               T::kCounter,
               "Bubbles, by kind",
               {{{{"kind", "direct_sent"}}, n(c.bubbles_sent_direct)},
                {{{"kind", "indirect_sent"}}, n(c.bubbles_sent_indirect)},
                {{{"kind", "received"}}, n(c.bubbles_received)},
                {{{"kind", "replied"}}, n(c.bubble_replies_sent)},
                {{{"kind", "nonce_accepted"}}, n(c.bubbles_nonce_accepted)}}});
  f.push_back(peers_family(t));
  f.push_back(peer_capacity_family(t));
  f.push_back(peers_trusted_family(c.peers_trusted));
  f.push_back({"shipworm_peers_unreachable",
               T::kCounter,
               "Bubble exchanges that got no answer (RFC 4380 §5.4.1)",
               {{{}, n(c.peers_unreachable)}}});
  f.push_back({"shipworm_peer_evictions",
               T::kCounter,
               "Peer entries evicted to make room (least recently used)",
               {{{}, n(c.peers_evicted)}}});
  f.push_back(queued_bytes_family(t));
  f.push_back({"shipworm_queued_packets",
               T::kCounter,
               "Packets queued while a peer was being reached",
               {{{}, n(c.packets_queued)}}});
  f.push_back(
      {"shipworm_icmp_errors",
       T::kCounter,
       "ICMPv6 errors originated, by type and result",
       {{{{"type", "destination_unreachable"}, {"result", "sent"}}, n(c.icmp_unreachable_sent)},
        {{{"type", "time_exceeded"}, {"result", "sent"}}, n(c.icmp_time_exceeded_sent)},
        {{{"type", "any"}, {"result", "suppressed"}}, n(c.icmp_rate_limited)}}});
  // The data plane's offloads (docs/os-linux.md "TUN offloads"): how much of the traffic
  // moves as super-packets, and whether the kernel refused any.
  f.push_back({"shipworm_offload_superpackets",
               T::kCounter,
               "Super-packets (GSO/GRO) read, written or sent, by kind",
               {{{{"kind", "tun_tso_read"}}, n(io.tun_tso_reads)},
                {{{"kind", "tun_uso_read"}}, n(io.tun_uso_reads)},
                {{{"kind", "tun_gso_write"}}, n(io.tun_gso_writes)},
                {{{"kind", "udp_gso_send"}}, n(s.udp_gso_messages)}}});
  f.push_back({"shipworm_offload_segments",
               T::kCounter,
               "Packets carried by the TUN's super-packets, by kind",
               {{{{"kind", "tun_tso_read"}}, n(io.tun_tso_segments)},
                {{{"kind", "tun_uso_read"}}, n(io.tun_uso_segments)},
                {{{"kind", "tun_gso_write"}}, n(io.tun_gso_packets)}}});
  f.push_back({"shipworm_offload_fallbacks",
               T::kCounter,
               "Super-packets the kernel refused, sent again one packet at a time, by kind",
               {{{{"kind", "tun_gso_write"}}, n(io.tun_gso_fallbacks)},
                {{{"kind", "udp_gso_send"}}, n(s.udp_gso_fallbacks)}}});
  f.push_back(drops_family(s.drops()));
  return render_openmetrics(f);
}

std::vector<std::string> relay_log_lines(const RelaySnapshot& s) {
  const auto& c = s.counters;
  const auto& io = s.io;
  const auto& t = *s.peers;
  const DropList drops = s.drops();
  std::vector<std::string> out;
  out.push_back(fmt::format(
      "udp in {} ({} bytes), tun in {} ({} bytes), to clients {}, to native {}, dropped {}",
      c.udp_packets_in, c.udp_bytes_in, c.tun_packets_in, c.tun_bytes_in, c.to_clients_packets,
      c.to_native_packets, drops.total));
  out.push_back(
      fmt::format("peers {} of {} ({} trusted, {} untrusted), created {}, trusted {}, "
                  "unreachable {}, expired {}, evicted {}; queued {}, dequeued {}, queue bytes {}",
                  t.size(), t.capacity(), t.trusted_count(), t.untrusted_count(), c.peers_created,
                  c.peers_trusted, c.peers_unreachable, c.peers_expired, c.peers_evicted,
                  c.packets_queued, c.packets_dequeued, t.queued_bytes_total()));
  out.push_back(fmt::format(
      "bubbles received {}, sent indirect {}, direct {}, replies {}; ICMPv6 "
      "unreachable {}, time exceeded {}, rate-limited {}",
      c.bubbles_received, c.bubbles_sent_indirect, c.bubbles_sent_direct, c.bubble_replies_sent,
      c.icmp_unreachable_sent, c.icmp_time_exceeded_sent, c.icmp_rate_limited));
  out.push_back(
      fmt::format("io: recvmmsg batches {}, sendmmsg batches {}, zero-copy sends {}, send "
                  "failures {}, tun write failures {}, tun read errors {}, udp receive errors {}, "
                  "UDP GSO {} ({} messages, {} fallbacks)",
                  io.recv_batches, io.send_batches, io.zero_copy_sends, io.udp_send_failures,
                  io.tun_write_failures, io.tun_read_errors, io.udp_recv_errors,
                  s.udp_gso ? "on" : "off", s.udp_gso_messages, s.udp_gso_fallbacks));
  out.push_back(fmt::format(
      "tun offloads: TSO reads {} ({} segments), USO {} reads {} ({} datagrams), GSO writes "
      "{} ({} packets, {} fallbacks), unusable reads {}",
      io.tun_tso_reads, io.tun_tso_segments, s.tun_uso ? "on," : "off,", io.tun_uso_reads,
      io.tun_uso_segments, io.tun_gso_writes, io.tun_gso_packets, io.tun_gso_fallbacks,
      io.tun_offload_drops));
  for (auto& line : drop_log_lines(drops)) out.push_back(std::move(line));
  return out;
}

}  // namespace shipworm::daemon
