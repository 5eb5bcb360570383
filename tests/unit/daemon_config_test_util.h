// Helpers shared by the configuration tests.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config_file.h"

namespace shipworm::daemon::config_test {

// Every error of `r`, as printed.
inline std::vector<std::string> error_lines(const ConfigResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

// The only error of `text`, as printed.
inline std::string only_error(std::string_view text, std::optional<Role> role = std::nullopt) {
  const auto r = parse_config(text, "t.conf", role);
  EXPECT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(error_lines(r));
  EXPECT_FALSE(r.config.has_value());
  return r.errors.empty() ? "" : r.errors.front().to_string();
}

inline wire::Ipv4Address ip(const char* s) { return *wire::Ipv4Address::parse(s); }

}  // namespace shipworm::daemon::config_test
