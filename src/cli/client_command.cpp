// `shipworm client`: run the Teredo client role in the foreground (RFC 4380 §5.2).
#include <memory>

#include "cli/command.h"
#include "daemon/client_daemon.h"

namespace shipworm::cli {

Command add_client_command(CLI::App& root) {
  struct Options {
    std::string config;
    std::string server, server2, interface, bind, port, refresh, hook, symmetric, log_level;
    std::vector<std::string> fallback;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand(
      "client", "Run a Teredo client: global IPv6 through an IPv4 NAT (interface 'teredo')");
  app->footer(
      "The configuration file takes Miredo's miredo.conf client directives unchanged\n"
      "(RelayType client, ServerAddress, ServerAddress2, InterfaceName, BindAddress,\n"
      "BindPort, SyslogFacility) and shipworm's own (FallbackServer, RefreshInterval,\n"
      "PeerTableSize, HookScript, SymmetricNat, ...); flags override the file.\n"
      "SIGHUP reloads LogLevel and HookScript, SIGUSR1 logs counters, SIGTERM/SIGINT stop.\n"
      "Needs CAP_NET_ADMIN (TUN device, addresses, routes); keeps only that after setup.\n"
      "See docs/configuration.md and 'shipworm check-config'.");
  app->add_option("-c,--config", o->config, "Configuration file (miredo.conf syntax)");
  app->add_option("--server", o->server,
                  "Teredo server, IPv4 address or host name (ServerAddress)");
  app->add_option("--server2", o->server2,
                  "The server's secondary address (ServerAddress2; default primary+1)");
  app->add_option("--fallback-server", o->fallback,
                  "Another server to fail over to, repeatable (FallbackServer)");
  app->add_option("--interface", o->interface,
                  "Tunnel interface name (InterfaceName; default teredo)");
  app->add_option("--bind", o->bind, "Local IPv4 address of the service port (BindAddress)");
  app->add_option("--port", o->port, "Local UDP service port, 0 = random (BindPort)");
  app->add_option("--refresh-interval", o->refresh,
                  "Seconds between server refreshes, 10..300 (RefreshInterval; default 30)");
  app->add_option("--hook", o->hook, "Script run on each address change, or none (HookScript)");
  app->add_option("--symmetric-nat", o->symmetric,
                  "Behind a symmetric NAT: keep (RFC 6081) or stop (RFC 4380) (SymmetricNat)");
  app->add_option("--log-level", o->log_level, "error, warning, notice, info or debug (LogLevel)");

  return Command{
      app, [o]() {
        daemon::ClientRunOptions run;
        if (!o->config.empty()) run.config_path = o->config;
        const std::pair<const std::string*, std::pair<const char*, const char*>> flags[] = {
            {&o->server, {"ServerAddress", "--server"}},
            {&o->server2, {"ServerAddress2", "--server2"}},
            {&o->interface, {"InterfaceName", "--interface"}},
            {&o->bind, {"BindAddress", "--bind"}},
            {&o->port, {"BindPort", "--port"}},
            {&o->refresh, {"RefreshInterval", "--refresh-interval"}},
            {&o->hook, {"HookScript", "--hook"}},
            {&o->symmetric, {"SymmetricNat", "--symmetric-nat"}},
            {&o->log_level, {"LogLevel", "--log-level"}},
        };
        for (const auto& [value, names] : flags) {
          if (!value->empty()) run.overrides.push_back({names.first, *value, names.second});
        }
        for (const auto& f : o->fallback) {
          run.overrides.push_back({"FallbackServer", f, "--fallback-server"});
        }
        return daemon::run_client(run);
      }};
}

}  // namespace shipworm::cli
