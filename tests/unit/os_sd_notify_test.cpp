// SdNotify against a real AF_UNIX datagram socket standing in for systemd.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "os/linux/sd_notify.h"
#include "os/linux/unique_fd.h"

namespace shipworm::os {
namespace {

TEST(SdNotify, NoOpWithoutNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(SdNotify::ready());
  EXPECT_FALSE(SdNotify::status("x"));
  EXPECT_FALSE(SdNotify::stopping());
}

class FakeSystemd : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shipworm-notify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/notify";
    sock_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    ASSERT_TRUE(sock_.valid());
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(bind(sock_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string next() {
    char buf[512];
    const ssize_t n = recv(sock_.get(), buf, sizeof buf, 0);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
  }
  std::string dir_, path_;
  UniqueFd sock_;
};

TEST_F(FakeSystemd, SendsEachState) {
  EXPECT_TRUE(SdNotify::ready());
  EXPECT_EQ(next(), "READY=1");
  EXPECT_TRUE(SdNotify::status("qualified\nvia 192.0.2.1"));
  EXPECT_EQ(next(), "STATUS=qualified via 192.0.2.1");
  EXPECT_TRUE(SdNotify::stopping());
  EXPECT_EQ(next(), "STOPPING=1");
  EXPECT_TRUE(SdNotify::reloading());
  const std::string r = next();
  EXPECT_EQ(r.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << r;
  EXPECT_NE(getenv("NOTIFY_SOCKET"), nullptr);  // left for the next message
}

}  // namespace
}  // namespace shipworm::os
