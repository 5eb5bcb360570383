#include "os/linux/gso_runs.h"

namespace shipworm::os {

std::size_t gso_run_length(std::span<const Datagram> d, std::size_t from, std::size_t max_segments,
                           std::size_t max_bytes) {
  if (from >= d.size()) return 0;
  const Datagram& first = d[from];
  const std::size_t segment = first.length;
  if (segment == 0 || segment > max_bytes) return 1;
  std::size_t total = segment;
  std::size_t n = 1;
  while (from + n < d.size() && n < max_segments) {
    const Datagram& next = d[from + n];
    if (next.length == 0 || next.length > segment || !(next.peer == first.peer) ||
        !(next.local == first.local) || total + next.length > max_bytes) {
      break;
    }
    total += next.length;
    ++n;
    if (next.length < segment) break;  // a shorter datagram can only be the last one
  }
  return n;
}

}  // namespace shipworm::os
