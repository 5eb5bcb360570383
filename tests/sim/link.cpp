#include "link.h"

namespace shipworm::sim {
namespace {

core::Duration one_hop(const LinkProfile& l, SimRandom& random) {
  core::Duration d = l.delay;
  if (l.jitter > core::Duration::zero()) {
    d += core::Duration(static_cast<core::Duration::rep>(
        random.between(0, static_cast<std::uint64_t>(l.jitter.count()))));
  }
  if (random.chance(l.reorder)) d += l.reorder_delay;
  return d;
}

}  // namespace

std::vector<core::Duration> transit(const LinkProfile& a, const LinkProfile& b, SimRandom& random) {
  std::vector<core::Duration> out;
  if (a.down || b.down) return out;
  if (random.chance(a.loss) || random.chance(b.loss)) return out;
  const int copies =
      1 + (random.chance(a.duplicate) ? 1 : 0) + (random.chance(b.duplicate) ? 1 : 0);
  for (int i = 0; i < copies; ++i) out.push_back(one_hop(a, random) + one_hop(b, random));
  return out;
}

}  // namespace shipworm::sim
