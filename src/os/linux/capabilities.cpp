#include "os/linux/capabilities.h"

#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace shipworm::os {
namespace {

struct CapFree {
  void operator()(cap_t c) const { cap_free(c); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

bool kept(const PrivilegeDrop& d, int cap) {
  return std::find(d.keep.begin(), d.keep.end(), cap) != d.keep.end();
}

std::string cap_label(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  std::string s = name != nullptr ? name : std::to_string(cap);
  cap_free(name);
  return s;
}

}  // namespace

Status drop_privileges(const PrivilegeDrop& drop) {
  const int last = static_cast<int>(cap_max_bits()) - 1;  // highest capability the kernel knows
  for (int cap : drop.keep) {
    if (cap < 0 || cap > last) {
      return OsError(EINVAL, "keeping capability " + std::to_string(cap) + " (unknown)");
    }
  }
  // 1. Bounding and ambient sets.
  for (int cap = 0; cap <= last; ++cap) {
    if (kept(drop, cap)) continue;
    if (CAP_IS_SUPPORTED(cap) && cap_drop_bound(static_cast<cap_value_t>(cap)) < 0) {
      return errno_error("dropping " + cap_label(cap) + " from the bounding set");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    return errno_error("clearing the ambient capability set");
  }

  // 2. User and groups, keeping the permitted set across setuid.
  if (drop.uid || drop.gid) {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return errno_error("setting PR_SET_KEEPCAPS");
    if (drop.gid) {
      const gid_t g = *drop.gid;
      if (setgroups(1, &g) < 0) return errno_error("setting supplementary groups");
      if (setresgid(g, g, g) < 0) return errno_error("switching to gid " + std::to_string(g));
    }
    if (drop.uid) {
      const uid_t u = *drop.uid;
      if (setresuid(u, u, u) < 0) return errno_error("switching to uid " + std::to_string(u));
    }
  }

  // 3. Exactly the kept set, permitted and effective.
  CapPtr caps(cap_init());  // all clear
  if (!caps) return errno_error("allocating a capability set");
  std::vector<cap_value_t> values(drop.keep.begin(), drop.keep.end());
  if (!values.empty()) {
    const int n = static_cast<int>(values.size());
    if (cap_set_flag(caps.get(), CAP_PERMITTED, n, values.data(), CAP_SET) < 0 ||
        cap_set_flag(caps.get(), CAP_EFFECTIVE, n, values.data(), CAP_SET) < 0) {
      return errno_error("building the capability set to keep");
    }
  }
  if (cap_set_proc(caps.get()) < 0) return errno_error("setting process capabilities");

  // 4.
  if ((drop.uid || drop.gid) && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    return errno_error("clearing PR_SET_KEEPCAPS");
  }
  if (drop.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    return errno_error("setting PR_SET_NO_NEW_PRIVS");
  }
  return {};
}

Result<UserIds> lookup_user(const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  const int e = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (e != 0) return OsError(e, "looking up user " + name);
  if (found == nullptr) return OsError(ENOENT, "looking up user " + name + " (no such user)");
  return UserIds{pw.pw_uid, pw.pw_gid};
}

Result<CapabilitySets> current_capabilities() {
  CapPtr caps(cap_get_proc());
  if (!caps) return errno_error("reading process capabilities");
  CapabilitySets out;
  const int last = static_cast<int>(cap_max_bits()) - 1;
  for (int cap = 0; cap <= last; ++cap) {
    const auto v = static_cast<cap_value_t>(cap);
    cap_flag_value_t f = CAP_CLEAR;
    if (cap_get_flag(caps.get(), v, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET) {
      out.effective.push_back(cap);
    }
    if (cap_get_flag(caps.get(), v, CAP_PERMITTED, &f) == 0 && f == CAP_SET) {
      out.permitted.push_back(cap);
    }
    if (cap_get_flag(caps.get(), v, CAP_INHERITABLE, &f) == 0 && f == CAP_SET) {
      out.inheritable.push_back(cap);
    }
    if (cap_get_bound(v) == 1) out.bounding.push_back(cap);
  }
  return out;
}

}  // namespace shipworm::os
