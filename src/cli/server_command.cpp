// `shipworm server`: run the Teredo server role in the foreground (RFC 4380 §5.3).
#include <memory>

#include "cli/command.h"
#include "daemon/server_daemon.h"

namespace shipworm::cli {

Command add_server_command(CLI::App& root) {
  struct Options {
    std::string config;
    std::string bind, bind2, prefix, mtu, max_icmp, rate_rs, rate_fwd, log_level, xdp;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand(
      "server", "Run a Teredo server (stateless, two consecutive public IPv4 addresses)");
  app->footer(
      "The configuration file takes Miredo's miredo-server.conf directives unchanged\n"
      "(ServerBindAddress, ServerBindAddress2, Prefix, InterfaceMTU, SyslogFacility) and\n"
      "shipworm's own; flags override the file. SIGHUP reloads, SIGUSR1 logs counters,\n"
      "SIGTERM/SIGINT stop. See docs/configuration.md and 'shipworm check-config'.");
  app->add_option("-c,--config", o->config, "Configuration file (miredo-server.conf syntax)");
  app->add_option("--bind", o->bind, "Primary server address (ServerBindAddress)");
  app->add_option("--bind2", o->bind2, "Secondary address (ServerBindAddress2; default primary+1)");
  app->add_option("--prefix", o->prefix, "Teredo service prefix (Prefix; default 2001::/32)");
  app->add_option("--mtu", o->mtu, "MTU advertised to clients (InterfaceMTU; default 1280)");
  app->add_option("--max-icmp-payload", o->max_icmp,
                  "Largest relayed non-bubble ICMPv6 payload; 65467 = no cap (MaxIcmpPayload)");
  app->add_option("--rate-limit-rs", o->rate_rs,
                  "Router Solicitations answered per second per source IPv4 (RateLimitRs)");
  app->add_option("--rate-limit-forward", o->rate_fwd,
                  "Packets forwarded per second per source IPv4 (RateLimitForward)");
  app->add_option("--log-level", o->log_level, "error, warning, notice, info or debug (LogLevel)");
  app->add_option("--xdp", o->xdp,
                  "Answer on this interface through AF_XDP, or none (XdpInterface; default none)");

  return Command{
      app, [o]() {
        daemon::ServerRunOptions run;
        if (!o->config.empty()) run.config_path = o->config;
        const std::pair<const std::string*, std::pair<const char*, const char*>> flags[] = {
            {&o->bind, {"ServerBindAddress", "--bind"}},
            {&o->bind2, {"ServerBindAddress2", "--bind2"}},
            {&o->prefix, {"Prefix", "--prefix"}},
            {&o->mtu, {"InterfaceMTU", "--mtu"}},
            {&o->max_icmp, {"MaxIcmpPayload", "--max-icmp-payload"}},
            {&o->rate_rs, {"RateLimitRs", "--rate-limit-rs"}},
            {&o->rate_fwd, {"RateLimitForward", "--rate-limit-forward"}},
            {&o->log_level, {"LogLevel", "--log-level"}},
            {&o->xdp, {"XdpInterface", "--xdp"}},
        };
        for (const auto& [value, names] : flags) {
          if (!value->empty()) run.overrides.push_back({names.first, *value, names.second});
        }
        return daemon::run_server(run);
      }};
}

}  // namespace shipworm::cli
