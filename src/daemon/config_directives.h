// The directive table (internal to daemon/): every directive, in the order check-config
// prints them, and the look-ups the builder needs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/config_directive.h"

namespace shipworm::daemon::config_directives {

inline constexpr std::string_view kServerValid = "a host name or a global unicast IPv4 address";

std::span<const Directive> directives();
const Directive* find_directive(std::string_view name);  // case-insensitive; nullptr if unknown
// "unknown directive ... (valid: ...)", with the closest known name when there is one.
std::string unknown_message(std::string_view name);

// The role a RelayType value (any case) chooses; unset when it names none.
std::optional<Role> relay_type_role(std::string_view value);

}  // namespace shipworm::daemon::config_directives
