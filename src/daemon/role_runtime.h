// What the three role daemons (client, relay, server) share around their engines: reading
// the configuration at start, the role's logger, the control socket and metrics listener,
// and the foreground run (capability drop, signals, systemd notifications, exit status).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config_file.h"
#include "daemon/control_server.h"
#include "daemon/log.h"
#include "os/linux/event_loop.h"

namespace shipworm::daemon {

// The configuration for `role`: the file when one is given (flags override its values),
// else the flags alone.
ConfigResult load_role_config(const std::optional<std::string>& path, Role role,
                              std::span<const Override> overrides);

// Every warning and error of a configuration, one line each (FILE:LINE: DIRECTIVE: ...).
void log_problems(const ConfigResult& r, Logger& log);

// The role's logger: its level, syslog facility and ident ("shipworm-server").
LogOptions role_log_options(const CommonConfig& common, std::string_view ident);

// The start of every role: the configuration (problems logged; `status` 2 if it is
// refused), the role's logger and the event loop (`status` 1 if it cannot be created).
// ok() when all three are there.
struct RoleBoot {
  ConfigResult config;
  std::optional<Logger> log;
  std::unique_ptr<os::EventLoop> loop;
  int status = 0;

  [[nodiscard]] bool ok() const { return status == 0; }
};
// `boot` receives `out`, so that neither the logger nor the loop has to move.
void boot_role(const std::optional<std::string>& path, Role role,
               std::span<const Override> overrides, std::string_view ident, RoleBoot& out);

// The answers a role daemon gives on its control socket and metrics listener.
struct RoleQueries {
  std::function<std::string()> status;   // "status": JSON
  std::function<std::string()> peers;    // "peers": JSON; empty for a role without peers
  std::function<std::string()> metrics;  // "metrics" and GET /metrics: OpenMetrics text
};

// The control socket (`shipworm status|peers`) and the metrics listener that `common`
// asks for. Each is replaced only when it opens; false (logged) if one could not.
struct RoleEndpoints {
  std::unique_ptr<RequestServer> control;
  std::unique_ptr<RequestServer> metrics;

  bool open(os::EventLoop& loop, const CommonConfig& common, const RoleQueries& queries,
            Logger& log);
};

// The foreground run, once everything privileged is open.
struct ForegroundRun {
  std::vector<int> keep_capabilities;  // CAP_* kept after the drop
  std::function<void()> reload;        // SIGHUP
  std::function<void()> log_counters;  // SIGUSR1, and once more at exit
  std::function<void()> started;       // signals wired, loop about to run (sd_notify ...)
  std::function<void()> stopped;       // after the loop, before the last log line
  std::function<int()> exit_code;      // after a clean stop; empty = 0
};

// Drops privileges, wires SIGHUP/SIGUSR1/SIGTERM/SIGINT, runs the loop until SIGTERM or
// SIGINT; returns 1 if the loop failed, else exit_code().
int run_in_foreground(os::EventLoop& loop, Logger& log, const ForegroundRun& run);

}  // namespace shipworm::daemon
