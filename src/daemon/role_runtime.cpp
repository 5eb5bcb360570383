#include "daemon/role_runtime.h"

#include <csignal>
#include <variant>

#include "daemon/metrics.h"
#include "os/linux/capabilities.h"
#include "os/linux/sd_notify.h"

namespace shipworm::daemon {

ConfigResult load_role_config(const std::optional<std::string>& path, Role role,
                              std::span<const Override> overrides) {
  return path ? load_config_file(*path, role, overrides) : config_from_overrides(role, overrides);
}

void log_problems(const ConfigResult& r, Logger& log) {
  for (const auto& w : r.warnings) log.warning("{}", w.to_string());
  for (const auto& e : r.errors) log.error("{}", e.to_string());
}

LogOptions role_log_options(const CommonConfig& common, std::string_view ident) {
  LogOptions lo;
  lo.level = common.log_level;
  lo.syslog_facility = common.syslog_facility;
  lo.ident = std::string(ident);
  return lo;
}

void boot_role(const std::optional<std::string>& path, Role role,
               std::span<const Override> overrides, std::string_view ident, RoleBoot& out) {
  Logger boot;
  out.config = load_role_config(path, role, overrides);
  log_problems(out.config, boot);
  if (!out.config.ok()) {
    out.status = 2;
    return;
  }
  const CommonConfig& common = std::visit(
      [](const auto& c) -> const CommonConfig& { return c.common; }, out.config.config->settings);
  out.log.emplace(role_log_options(common, ident));
  auto loop = os::EventLoop::create();
  if (!loop) {
    out.log->error("{}", loop.error().message());
    out.status = 1;
    return;
  }
  out.loop = std::move(loop.value());
}

bool RoleEndpoints::open(os::EventLoop& loop, const CommonConfig& common,
                         const RoleQueries& queries, Logger& log) {
  if (!common.control_socket.empty()) {
    auto s = RequestServer::open_unix(loop, common.control_socket,
                                      [queries](std::string_view req) -> std::string {
                                        if (req == "status") return queries.status();
                                        if (req == "peers" && queries.peers) return queries.peers();
                                        if (req == "metrics") return queries.metrics();
                                        return "{\"error\": \"unknown request\"}\n";
                                      });
    if (!s) {
      log.error("{}", s.error().message());
      return false;
    }
    control = std::move(s.value());
  }
  if (common.metrics) {
    auto s = RequestServer::open_tcp(loop, *common.metrics, [queries](std::string_view head) {
      return http_metrics_response(head, queries.metrics());
    });
    if (!s) {
      log.error("{}", s.error().message());
      return false;
    }
    metrics = std::move(s.value());
    log.notice("metrics on http://{}/metrics", metrics->where());
  }
  return true;
}

int run_in_foreground(os::EventLoop& loop, Logger& log, const ForegroundRun& run) {
  os::PrivilegeDrop drop;
  drop.keep = run.keep_capabilities;
  if (const auto st = os::drop_privileges(drop); !st) {
    log.warning("could not drop privileges: {}", st.error().message());
  }
  (void)loop.on_signal(SIGHUP, [&run] { run.reload(); });
  (void)loop.on_signal(SIGUSR1, [&run] { run.log_counters(); });
  (void)loop.on_signal(SIGTERM, [&loop] { loop.stop(); });
  (void)loop.on_signal(SIGINT, [&loop] { loop.stop(); });
  if (run.started) run.started();
  const auto st = loop.run();
  os::SdNotify::stopping();
  run.log_counters();
  if (run.stopped) run.stopped();
  if (!st) {
    log.error("{}", st.error().message());
    return 1;
  }
  log.notice("stopped");
  return run.exit_code ? run.exit_code() : 0;
}

}  // namespace shipworm::daemon
