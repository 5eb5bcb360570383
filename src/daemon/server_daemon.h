// `shipworm server`: the Teredo server role (RFC 4380 §5.3) on Linux. Wires the sans-I/O
// core::ServerEngine to two UDP sockets (the primary and secondary addresses, port 3544),
// a raw IPv6 socket (the ping test toward native hosts), the event loop, signals and
// systemd. No protocol logic lives here: that is core::ServerEngine (the layers of
// docs/architecture.md). Reports: daemon/server_report.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config_file.h"
#include "daemon/log.h"

namespace shipworm::daemon {

struct ServerRunOptions {
  std::optional<std::string> config_path;  // -c FILE
  std::vector<Override> overrides;         // command-line flags
};

// Runs in the foreground until SIGTERM/SIGINT. SIGHUP re-reads the configuration and applies
// it without dropping service (new sockets are opened before old ones close). Returns the
// process exit status: 0 after a clean stop, 1 if the service could not start, 2 for a bad
// configuration (every problem printed as FILE:LINE: DIRECTIVE: ...).
int run_server(const ServerRunOptions& options);

}  // namespace shipworm::daemon
