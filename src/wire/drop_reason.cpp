#include "wire/drop_reason.h"

#include <array>

namespace shipworm::wire {

std::string_view to_string(DropReason r) {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(DropReason::kCount)>
      kNames = {
#define SHIPWORM_X(name, text) text,
          SHIPWORM_WIRE_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      };
  const auto i = static_cast<std::size_t>(r);
  return i < kNames.size() ? kNames[i] : std::string_view{"unknown"};
}

}  // namespace shipworm::wire
