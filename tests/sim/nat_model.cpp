#include "nat_model.h"

namespace shipworm::sim {

std::string_view to_string(NatKind k) {
  switch (k) {
    case NatKind::kFullCone:
      return "full-cone";
    case NatKind::kAddressRestricted:
      return "address-restricted";
    case NatKind::kPortRestricted:
      return "port-restricted";
    case NatKind::kSymmetric:
      return "symmetric";
    case NatKind::kPortPreservingSymmetric:
      return "port-preserving-symmetric";
    case NatKind::kSequentialSymmetric:
      return "sequential-symmetric";
  }
  return "?";
}

NatModel::NatModel(NatConfig config, SimRandom random)
    : config_(config), random_(std::move(random)) {
  next_sequential_ = static_cast<std::uint16_t>(random_.between(20000, 40000));
}

void NatModel::erase(std::map<Key, Mapping>::iterator it) {
  by_port_.erase(it->second.port);
  mappings_.erase(it);
}

std::optional<std::uint16_t> NatModel::allocate(const wire::Endpoint& inside,
                                                bool first_for_inside) {
  if (config_.kind == NatKind::kPortPreservingSymmetric && first_for_inside &&
      by_port_.count(inside.port) == 0) {
    return inside.port;
  }
  for (int tries = 0; tries < 65536; ++tries) {
    std::uint16_t p;
    if (config_.kind == NatKind::kSequentialSymmetric) {
      p = next_sequential_;
      next_sequential_ =
          static_cast<std::uint16_t>(next_sequential_ >= 65535 ? 1024 : next_sequential_ + 1);
    } else {
      p = static_cast<std::uint16_t>(random_.between(1024, 65535));
    }
    if (by_port_.count(p) == 0) return p;
  }
  return std::nullopt;
}

std::optional<wire::Endpoint> NatModel::outbound(const wire::Endpoint& inside,
                                                 const wire::Endpoint& remote,
                                                 core::TimePoint now) {
  const Key key{inside, is_symmetric(config_.kind) ? remote : wire::Endpoint{}};
  auto it = mappings_.find(key);
  if (it != mappings_.end() && !live(it->second, now)) {
    erase(it);
    it = mappings_.end();
  }
  if (it == mappings_.end()) {
    expire(now);
    if (mappings_.size() >= config_.max_mappings) return std::nullopt;
    bool first = true;
    for (const auto& [k, m] : mappings_) {
      if (k.inside == inside) first = false;
    }
    const auto port = allocate(inside, first);
    if (!port) return std::nullopt;
    it = mappings_.emplace(key, Mapping{*port, now, {}}).first;
    by_port_.emplace(*port, key);
  }
  it->second.last_out = now;
  it->second.contacted.insert(remote);
  return wire::Endpoint{config_.public_ip, it->second.port};
}

std::optional<wire::Endpoint> NatModel::inbound(const wire::Endpoint& remote, std::uint16_t port,
                                                core::TimePoint now) {
  const auto p = by_port_.find(port);
  if (p == by_port_.end()) return std::nullopt;
  const auto it = mappings_.find(p->second);
  if (!live(it->second, now)) {
    erase(it);
    return std::nullopt;
  }
  const Mapping& m = it->second;
  bool allowed = false;
  switch (config_.kind) {
    case NatKind::kFullCone:
      allowed = true;
      break;
    case NatKind::kAddressRestricted:
      for (const auto& c : m.contacted) allowed = allowed || c.address == remote.address;
      break;
    default:
      allowed = m.contacted.count(remote) > 0;
      break;
  }
  if (!allowed) return std::nullopt;
  return it->first.inside;
}

std::size_t NatModel::expire(core::TimePoint now) {
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    auto next = std::next(it);
    if (!live(it->second, now)) erase(it);
    it = next;
  }
  return mappings_.size();
}

}  // namespace shipworm::sim
