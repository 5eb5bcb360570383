// Runs a piece of code in a forked child, optionally inside a brand-new network namespace
// (unshare(2) CLONE_NEWNET, network_namespaces(7)) with only `lo`, brought up.
//
// For unit tests and benchmarks that need the real kernel network stack (sockets, TUN,
// rtnetlink) without touching the machine's network: everything the child creates dies with
// it, so nothing needs cleaning up, and nothing the child sends can leave the namespace.
// The daemons do not use it.
#pragma once

#include <functional>
#include <string>

namespace shipworm::os {

struct ChildOutcome {
  enum class Kind {
    passed,       // body returned an empty string
    failed,       // body returned a failure text, threw, or the child died
    unsupported,  // the namespace could not be created (not root, no user namespaces...)
  };
  Kind kind = Kind::failed;
  std::string text;  // the body's failure text, or why it could not run
};

// Forks; the child (in a private netns if `private_network`) runs `body` and reports its
// result through a pipe. The parent waits for it. Call from a single-threaded process.
ChildOutcome run_in_child(const std::function<std::string()>& body, bool private_network = true);

}  // namespace shipworm::os
