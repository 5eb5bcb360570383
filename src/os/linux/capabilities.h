// Dropping privileges once the daemon has what it needs (capabilities(7), libcap).
//
// A relay or client needs CAP_NET_ADMIN only for setup (TUN, addresses, routes) and for
// reacting to address changes later; a server needs nothing after binding port 3544. The
// daemon opens everything as root, then calls drop_privileges() keeping exactly what the
// role still uses. Order matters, and is:
//  1. drop every other capability from the bounding set (needs CAP_SETPCAP, so first), and
//     clear the ambient set, so nothing can come back through execve;
//  2. with PR_SET_KEEPCAPS, setgroups/setgid/setuid to the unprivileged user if asked
//     (setuid from 0 would otherwise clear the permitted set);
//  3. set permitted = effective = the kept set, inheritable empty (cap_set_proc);
//  4. PR_SET_KEEPCAPS back to 0, and PR_SET_NO_NEW_PRIVS so no later execve can gain
//     privileges (prctl(2)).
// Privilege separation in the style of Miredo (a privileged helper for route changes) is a
// daemon/ decision built on the same call.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "os/linux/os_error.h"

namespace shipworm::os {

struct PrivilegeDrop {
  std::vector<int> keep;                    // capability numbers, e.g. CAP_NET_ADMIN; empty = none
  std::optional<uid_t> uid = std::nullopt;  // switch user (and clear supplementary groups) if set
  std::optional<gid_t> gid = std::nullopt;  // switch group if set
  bool no_new_privs = true;
};

// Applies `drop` to the calling process (all threads: must run before starting threads).
Status drop_privileges(const PrivilegeDrop& drop);

struct UserIds {
  uid_t uid;
  gid_t gid;
};
// getpwnam_r(3): the uid and primary gid of a user name ("nobody", "shipworm").
Result<UserIds> lookup_user(const std::string& name);

// The capability numbers in this process's effective / permitted / bounding sets.
struct CapabilitySets {
  std::vector<int> effective;
  std::vector<int> permitted;
  std::vector<int> inheritable;
  std::vector<int> bounding;
};
Result<CapabilitySets> current_capabilities();

}  // namespace shipworm::os
