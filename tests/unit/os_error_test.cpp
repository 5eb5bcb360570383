#include "os/linux/os_error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace shipworm::os {
namespace {

TEST(OsError, MessageSaysWhatAndWhy) {
  const OsError e(EEXIST, "adding 2001:0:c633:6401::1/32 to teredo");
  EXPECT_EQ(e.message(), "adding 2001:0:c633:6401::1/32 to teredo: File exists");
  EXPECT_EQ(e.error_code(), std::errc::file_exists);
  EXPECT_EQ(OsError(0, "short netlink reply").message(), "short netlink reply");
}

TEST(OsError, ResultAndStatus) {
  Result<int> good = 5;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  Result<int> bad = OsError(ENOENT, "opening x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ENOENT);
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status failed = OsError(EPERM, "doing y");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "doing y: Operation not permitted");
  EXPECT_EQ(IoResult{}.to_error("z").code(), 0);
}

}  // namespace
}  // namespace shipworm::os
