#include "os/linux/tun_runs.h"

namespace shipworm::os {

namespace {
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kMaxIpv6Payload = 65535;  // the Payload Length field
}  // namespace

TunRunPacket classify_tun_packet(wire::Bytes packet) {
  if (const std::size_t udp = coalescable_udp_payload(packet); udp != 0) return {udp, false};
  const std::size_t tcp = coalescable_tcp_payload(packet);
  return {tcp, tcp != 0};
}

TunRun tun_run(std::span<const wire::Bytes> packets, std::span<const TunRunPacket> info,
               std::size_t from, std::size_t max_segments) {
  TunRun run;
  const std::size_t n = packets.size();
  if (from >= n) return run;
  const wire::Bytes first = packets[from];
  run.tcp = info[from].tcp;
  run.segment = info[from].payload;
  run.header = run.tcp ? kIpv6Header + tcp_header_length(first) : kIpv6UdpHeaders;
  run.total = run.segment;
  run.count = 1;
  run.psh = run.tcp && tcp_has_psh(first);
  if (run.segment == 0 || run.psh) return run;
  while (from + run.count < n && run.count < max_segments) {
    const wire::Bytes next = packets[from + run.count];
    const std::size_t len = info[from + run.count].payload;
    if (len == 0 || len > run.segment || info[from + run.count].tcp != run.tcp ||
        run.header - kIpv6Header + run.total + len > kMaxIpv6Payload ||
        !(run.tcp ? tcp_can_follow(first, run.total, next) : same_udp_flow(first, next))) {
      break;
    }
    run.total += len;
    ++run.count;
    run.psh = run.tcp && tcp_has_psh(next);
    if (len < run.segment || run.psh) break;  // a shorter one, or a push, ends the run
  }
  return run;
}

}  // namespace shipworm::os
