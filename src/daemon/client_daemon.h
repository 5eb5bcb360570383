// `shipworm client`: the Teredo client role (RFC 4380 §5.2, RFC 5991, RFC 6081) on Linux.
// Wires the sans-I/O core::ClientEngine to one UDP socket (the service port), a TUN device
// configured through rtnetlink, the event loop, a hook script, signals and systemd. No
// protocol logic lives here (design.md §1).
//
// The interface, as Miredo's client-hook sets it up (so a Miredo user sees the same thing):
//   - the Teredo address as a /32: the kernel's prefix route for it is the 2001::/32 route
//     (other Teredo clients are reached through the tunnel, directly or by bubbles);
//   - fe80::ffff:ffff:ffff/64, the link-local address the RSs carry (RFC 4380 §5.2.1);
//   - MTU 1280, or the one the server's RA advertises;
//   - ::/0 dev IFACE metric 1029: a last-resort default, so native IPv6 wins (§5.5).
// The old address goes when the mapping changes; the address and the default route go when
// the server is lost, and everything goes at exit (the TUN device is not persistent).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config_file.h"
#include "daemon/log.h"

namespace shipworm::daemon {

struct ClientRunOptions {
  std::optional<std::string> config_path;  // -c FILE
  std::vector<Override> overrides;         // command-line flags
};

// Runs in the foreground until SIGTERM/SIGINT. SIGHUP re-reads the configuration and applies
// what can change without losing the address (log level, hook script); SIGUSR1 logs the
// counters. Returns the process exit status: 0 after a clean stop, 1 if the client could not
// start or stopped because of a symmetric NAT (SymmetricNat stop), 2 for a bad configuration.
int run_client(const ClientRunOptions& options);

}  // namespace shipworm::daemon
