#include "daemon/server_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "wire/teredo_address.h"

namespace shipworm::daemon {

namespace {
double n(std::uint64_t v) { return static_cast<double>(v); }
}  // namespace

DropList server_drops(const core::ServerCounters& c, const FrameDrops& frame_malformed,
                      std::uint64_t truncated, std::uint64_t send_failures) {
  DropList d;
  for (std::size_t i = 0; i < c.malformed.size(); ++i) {
    d.add(wire::to_string(static_cast<wire::DropReason>(i)), c.malformed[i] + frame_malformed[i]);
  }
  d.add_each<core::ServerDrop>(c.dropped);
  d.add("datagram_truncated", truncated);
  d.add("send_failed", send_failures);
  return d;
}

std::string server_status_json(const ServerSnapshot& s) {
  const auto& c = s.counters;
  const ServerConfig& config = *s.config;
  const DropList dropped = s.drops();
  nlohmann::ordered_json j;
  j["role"] = "server";
  j["state"] = "serving";
  j["state_seconds"] = seconds_since(s.now, s.started);
  j["last_transition"] = s.last_transition;
  j["primary"] = config.primary.to_string() + ":3544";
  j["secondary"] = config.secondary.to_string() + ":3544";
  j["prefix"] = wire::teredo_prefix(config.primary, config.prefix).to_string() + "/64";
  j["mtu"] = config.mtu;
  j["max_icmp_payload"] = config.max_icmp_payload;
  j["filtering_probe_port"] = config.filtering_probe_port;
  j["rate_limit_rs"] = config.rate_limit_rs;
  j["rate_limit_forward"] = config.rate_limit_forward;
  j["counters"] = {{"datagrams", c.datagrams},
                   {"rs_received", c.rs_received},
                   {"ra_sent", c.ra_sent},
                   {"forwarded_teredo", c.forwarded_teredo},
                   {"forwarded_native", c.forwarded_native},
                   {"echo_replies", c.echo_replies},
                   {"dropped", dropped.total}};
  j["drops"] = drops_json(dropped);
  if (s.xdp) {
    j["xdp"] = {{"interface", s.xdp->interface},
                {"queues", s.xdp->queues},
                {"attach_mode", s.xdp->attach_mode},
                {"copy_mode", s.xdp->copy_mode},
                {"frames_in", s.xdp->frames_in},
                {"frames_out", s.xdp->frames_out},
                {"answers_by_kernel", s.xdp->answers_by_kernel}};
  }
  return j.dump(2) + "\n";
}

std::string server_metrics_text(const ServerSnapshot& s) {
  using T = MetricFamily::Type;
  const auto& c = s.counters;
  std::vector<MetricFamily> f;
  f.push_back(info_family("server"));
  f.push_back(datagrams_received_family(c.datagrams, "UDP datagrams received"));
  f.push_back({"shipworm_router_solicitations",
               T::kCounter,
               "Router Solicitations received",
               {{{}, n(c.rs_received)}}});
  f.push_back({"shipworm_router_advertisements",
               T::kCounter,
               "Router Advertisements sent",
               {{{}, n(c.ra_sent)}}});
  f.push_back(
      {"shipworm_forwarded_packets",
       T::kCounter,
       "Packets forwarded, by destination",
       {{{{"to", "teredo"}}, n(c.forwarded_teredo)}, {{{"to", "ipv6"}}, n(c.forwarded_native)}}});
  f.push_back({"shipworm_echo_replies",
               T::kCounter,
               "Echo requests answered by the server",
               {{{}, n(c.echo_replies)}}});
  if (s.xdp) {
    f.push_back({"shipworm_xdp_frames",
                 T::kCounter,
                 "Frames through the AF_XDP fast path (XdpInterface), by direction",
                 {{{{"direction", "in"}}, n(s.xdp->frames_in)},
                  {{{"direction", "out"}}, n(s.xdp->frames_out)}}});
  }
  f.push_back(drops_family(s.drops(), "Datagrams dropped, by reason"));
  return render_openmetrics(f);
}

std::vector<std::string> server_log_lines(const ServerSnapshot& s) {
  const auto& c = s.counters;
  const DropList d = s.drops();
  std::vector<std::string> out;
  out.push_back(fmt::format(
      "datagrams {}, RS {}, RA {}, forwarded to Teredo {}, to IPv6 {}, echo {}, dropped {}",
      c.datagrams, c.rs_received, c.ra_sent, c.forwarded_teredo, c.forwarded_native, c.echo_replies,
      d.total));
  for (auto& line : drop_log_lines(d)) out.push_back(std::move(line));
  if (s.xdp) {
    out.push_back(fmt::format(
        "  AF_XDP on {}: frames in {}, frames out {}, answers sent by the kernel {}",
        s.xdp->interface, s.xdp->frames_in, s.xdp->frames_out, s.xdp->answers_by_kernel));
  }
  return out;
}

}  // namespace shipworm::daemon
