// `shipworm client`: the Teredo client role (RFC 4380 §5.2, RFC 5991, RFC 6081) on Linux.
// Wires the sans-I/O core::ClientEngine to one UDP socket (the service port), a TUN device,
// the event loop, signals and systemd. No protocol logic lives here (the layers of
// docs/architecture.md). Its pieces, each in a file of its own:
//   - daemon/teredo_interface.h: the interface's addresses, MTU and routes (rtnetlink);
//   - daemon/server_resolver.h: the server names, resolved at start and after each loss;
//   - daemon/hook_runner.h: Miredo's hook script on each address change;
//   - daemon/client_report.h: status, peers, metrics and the SIGUSR1 log.
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
