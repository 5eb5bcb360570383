// What a configuration directive is (internal to daemon/): its name, the roles that accept
// it, what is valid, how its value is parsed into the role's configuration and how the
// effective value is written back (check-config). config_directives.cpp holds the table;
// the helpers here build its entries from a value codec and the field that keeps the value.
#pragma once

#include <fmt/core.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/config_file.h"
#include "daemon/config_values.h"

namespace shipworm::daemon::config_directives {

using config_values::Parsed;
using config_values::Problem;

enum : unsigned { kClient = 1, kRelay = 2, kServer = 4, kAll = 7 };

unsigned role_bit(Role r);
std::string roles_text(unsigned mask);  // "client, relay"

// The configuration of the role being built.
using Settings = decltype(Config::settings);  // ClientConfig, RelayConfig or ServerConfig
using Lines = std::vector<std::string>;

struct Directive {
  std::string_view name;    // canonical spelling; matched case-insensitively
  unsigned roles = 0;       // kClient | kRelay | kServer
  std::string_view valid;   // the "(valid: ...)" of its errors
  bool repeatable = false;  // each line adds a value (otherwise once per file)
  // Parses `text` (not empty) into `settings`, of a role in `roles`; nothing is stored when
  // the text is not valid.
  std::function<std::optional<Problem>(Settings&, std::string_view text)> parse;
  // Appends the effective setting's lines ("Name value", or "#Name (meaning)" when unset).
  std::function<void(const Settings&, Lines&)> format;
  // Repeatable only: forgets the values, so that command-line flags replace the file's.
  std::function<void(Settings&)> clear;
};

// A value's text form both ways: `format(parse(text))` is the canonical spelling of `text`.
template <typename T>
struct Codec {
  std::function<Parsed<T>(std::string_view)> parse;
  std::function<std::string(const T&)> format;
};

template <typename T>
struct Choice {
  std::string_view keyword;
  T value;
};

// A value given by a keyword (case-insensitive). Several keywords may mean one value; the
// first of them is the one written back. An unknown keyword is "'TEXT' is not WHAT".
template <typename T>
Codec<T> enum_choice(std::string_view what, std::vector<Choice<T>> choices) {
  return {[what, choices](std::string_view text) -> Parsed<T> {
            for (const auto& c : choices) {
              if (config_values::iequals(text, c.keyword)) return c.value;
            }
            return Problem{fmt::format("'{}' is not {}", text, what)};
          },
          [choices](const T& value) {
            for (const auto& c : choices) {
              if (c.value == value) return std::string(c.keyword);
            }
            return std::string("?");
          }};
}

// --- Entries whose value lives in one field of each role's configuration ---
// `field` is a generic accessor, `[](auto& c) -> auto& { return c.bind_port; }`, called only
// with the configurations of the roles in `Roles`.

template <typename C>
inline constexpr unsigned kRoleOf = std::is_same_v<C, ClientConfig>   ? kClient
                                    : std::is_same_v<C, RelayConfig>  ? kRelay
                                    : std::is_same_v<C, ServerConfig> ? kServer
                                                                      : 0;

// Calls f(config) when `settings` holds the configuration of a role in `Roles`.
template <unsigned Roles, typename S, typename F>
void for_roles(S& settings, F&& f) {
  std::visit(
      [&](auto& c) {
        if constexpr ((Roles & kRoleOf<std::remove_cvref_t<decltype(c)>>) != 0) f(c);
      },
      settings);
}

inline std::string line(std::string_view name, std::string_view value) {
  return fmt::format("{} {}", name, value);
}

// Parses a value with `codec` and stores it with `store(field(config), value)`.
template <unsigned Roles, typename T, typename Field, typename Store>
auto parser(Codec<T> codec, Field field, Store store) {
  return [codec, field, store](Settings& s, std::string_view text) -> std::optional<Problem> {
    auto p = codec.parse(text);
    if (auto* e = std::get_if<Problem>(&p)) return std::move(*e);
    for_roles<Roles>(s, [&](auto& c) { store(field(c), std::get<T>(std::move(p))); });
    return std::nullopt;
  };
}

inline constexpr auto kAssign = [](auto& slot, auto&& value) {
  slot = std::forward<decltype(value)>(value);
};

// A value that always has one (a default when unset): "Name value".
template <unsigned Roles, typename T, typename Field>
Directive setting(std::string_view name, std::string_view valid, Codec<T> codec, Field field) {
  return {name,
          Roles,
          valid,
          false,
          parser<Roles>(codec, field, kAssign),
          [name, codec, field](const Settings& s, Lines& out) {
            for_roles<Roles>(
                s, [&](const auto& c) { out.push_back(line(name, codec.format(field(c)))); });
          },
          {}};
}

// A value that may be unset (a std::optional field): unset, it is shown as "#Name (unset)".
template <unsigned Roles, typename T, typename Field>
Directive optional_setting(std::string_view name, std::string_view valid, Codec<T> codec,
                           Field field, std::string_view unset) {
  return {name,
          Roles,
          valid,
          false,
          parser<Roles>(codec, field, kAssign),
          [name, codec, field, unset](const Settings& s, Lines& out) {
            for_roles<Roles>(s, [&](const auto& c) {
              const auto& value = field(c);
              out.push_back(value ? line(name, codec.format(*value))
                                  : fmt::format("#{} ({})", name, unset));
            });
          },
          {}};
}

// A repeatable directive (a std::vector field): each line adds a value, shown one line each.
template <unsigned Roles, typename T, typename Field>
Directive list_setting(std::string_view name, std::string_view valid, Codec<T> codec, Field field) {
  return {name,
          Roles,
          valid,
          true,
          parser<Roles>(codec, field,
                        [](auto& list, auto&& value) {
                          list.push_back(std::forward<decltype(value)>(value));
                        }),
          [name, codec, field](const Settings& s, Lines& out) {
            for_roles<Roles>(s, [&](const auto& c) {
              for (const auto& v : field(c)) out.push_back(line(name, codec.format(v)));
            });
          },
          [field](Settings& s) { for_roles<Roles>(s, [&](auto& c) { field(c).clear(); }); }};
}

}  // namespace shipworm::daemon::config_directives
