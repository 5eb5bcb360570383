#include "core/client_types.h"

#include "wire/constants.h"

namespace shipworm::core {

wire::Endpoint ServerPair::primary_endpoint() const { return {primary, wire::kTeredoPort}; }
wire::Endpoint ServerPair::secondary_endpoint() const { return {secondary, wire::kTeredoPort}; }
std::string ServerPair::to_string() const {
  return primary.to_string() + "/" + secondary.to_string();
}

std::string_view to_string(NatType t) {
  switch (t) {
    case NatType::kUnknown:
      return "unknown";
    case NatType::kNone:
      return "none";
    case NatType::kConeOrRestricted:
      return "cone-or-restricted";
    case NatType::kSymmetric:
      return "symmetric";
    case NatType::kBlocked:
      return "blocked";
  }
  return "unknown";
}

std::string_view to_string(ClientState s) {
  switch (s) {
    case ClientState::kInitial:
      return "initial";
    case ClientState::kStarting:
      return "starting";
    case ClientState::kQualified:
      return "qualified";
    case ClientState::kOffline:
      return "offline";
  }
  return "unknown";
}

std::string_view to_string(NetworkTrigger t) {
  switch (t) {
    case NetworkTrigger::kNetwork:
      return "network";
    case NetworkTrigger::kDeadMapping:
      return "dead_mapping";
    case NetworkTrigger::kResume:
      return "resume";
    case NetworkTrigger::kRefresh:
      return "refresh";
    case NetworkTrigger::kCount:
      break;
  }
  return "unknown";
}

std::string_view to_string(ClientDrop d) {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(ClientDrop::kCount)>
      kNames = {
#define SHIPWORM_X(name, text) text,
          SHIPWORM_CLIENT_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      };
  const auto i = static_cast<std::size_t>(d);
  return i < kNames.size() ? kNames[i] : std::string_view{"unknown"};
}

std::uint64_t ClientCounters::total_dropped() const {
  std::uint64_t n = 0;
  for (auto v : malformed) n += v;
  for (auto v : dropped) n += v;
  return n;
}

}  // namespace shipworm::core
