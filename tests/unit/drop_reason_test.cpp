#include "wire/drop_reason.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace shipworm::wire {
namespace {

TEST(DropReason, EveryReasonHasADistinctSnakeCaseName) {
  std::set<std::string_view> names;
  for (int i = 0; i < static_cast<int>(DropReason::kCount); ++i) {
    const auto name = to_string(static_cast<DropReason>(i));
    SCOPED_TRACE(std::string(name));
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown");
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    EXPECT_TRUE(names.insert(name).second);
  }
  EXPECT_EQ(to_string(DropReason::kCount), "unknown");
}

}  // namespace
}  // namespace shipworm::wire
