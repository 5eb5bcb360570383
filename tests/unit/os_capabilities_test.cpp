// Privilege drop, in a forked child (capabilities are per process; the test runner keeps
// its own). The child also gets a private network namespace so that proving CAP_NET_ADMIN
// still works (creating a TUN device) touches nothing real. Needs root; skipped otherwise.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "child_test_util.h"
#include "os/linux/capabilities.h"
#include "os/linux/private_netns.h"
#include "os/linux/tun_device.h"

namespace shipworm::os {
namespace {

std::string list(const std::vector<int>& v) {
  std::string s;
  for (int c : v) s += std::to_string(c) + " ";
  return s;
}

TEST(Capabilities, KeepNetAdminOnlyAsUnprivilegedUser) {
  RUN_IN_CHILD_AS_ROOT("drop capabilities", []() -> std::string {
    auto nobody = lookup_user("nobody");
    CHILD_CHECK(nobody.ok(), nobody.ok() ? "" : nobody.error().message());
    const Status s =
        drop_privileges({.keep = {CAP_NET_ADMIN}, .uid = nobody->uid, .gid = nobody->gid});
    CHILD_CHECK(s.ok(), s.ok() ? "" : s.error().message());
    CHILD_CHECK(getuid() == nobody->uid && geteuid() == nobody->uid, "uid");
    CHILD_CHECK(getgid() == nobody->gid && getegid() == nobody->gid, "gid");
    CHILD_CHECK(getgroups(0, nullptr) <= 1, "supplementary groups");
    auto caps = current_capabilities();
    CHILD_CHECK(caps.ok(), "reading caps");
    const std::vector<int> only = {CAP_NET_ADMIN};
    CHILD_CHECK(caps->effective == only, "effective: " + list(caps->effective));
    CHILD_CHECK(caps->permitted == only, "permitted: " + list(caps->permitted));
    CHILD_CHECK(caps->inheritable.empty(), "inheritable: " + list(caps->inheritable));
    CHILD_CHECK(caps->bounding == only, "bounding: " + list(caps->bounding));
    CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs");
    CHILD_CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0, "keepcaps left on");
    // CAP_NET_ADMIN really works: creating a TUN device needs it.
    auto tun = TunDevice::open({.name = "captest"});
    CHILD_CHECK(tun.ok(), tun.ok() ? "" : tun.error().message());
    // And nothing else: switching back to root is refused.
    CHILD_CHECK(setuid(0) != 0, "setuid(0) succeeded");
    return {};
  });
}

TEST(Capabilities, DropEverythingStayingRoot) {
  RUN_IN_CHILD_AS_ROOT("drop capabilities", []() -> std::string {
    const Status s = drop_privileges({});
    CHILD_CHECK(s.ok(), s.ok() ? "" : s.error().message());
    auto caps = current_capabilities();
    CHILD_CHECK(caps.ok(), "reading caps");
    CHILD_CHECK(caps->effective.empty() && caps->permitted.empty() && caps->bounding.empty(),
                "effective: " + list(caps->effective) + " bounding: " + list(caps->bounding));
    auto tun = TunDevice::open({.name = "captest"});
    CHILD_CHECK(!tun.ok() && tun.error().code() == EPERM, "TUN creation must be refused");
    return {};
  });
}

TEST(Capabilities, UnknownCapabilityIsRejected) {
  RUN_IN_CHILD_AS_ROOT("drop capabilities", []() -> std::string {
    const Status s = drop_privileges({.keep = {4000}});
    CHILD_CHECK(!s.ok() && s.error().code() == EINVAL, "accepted capability 4000");
    return {};
  });
}

TEST(Capabilities, LookupUnknownUserFails) {
  auto u = lookup_user("no-such-user-shipworm");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message().find("no-such-user-shipworm"), std::string::npos);
}

}  // namespace
}  // namespace shipworm::os
