// `shipworm netcheck`: diagnose the Teredo path step by step, changing nothing.
#include <fmt/core.h>

#include <memory>

#include "cli/command.h"
#include "daemon/config_file.h"
#include "daemon/netcheck.h"

namespace shipworm::cli {

Command add_netcheck_command(CLI::App& root) {
  struct Options {
    std::string config, server, server2, bind, target;
    long port = -1;
    int tries = 3;
    int probe_port = 3545;
    double timeout = 2.0;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand(
      "netcheck",
      "Diagnose the Teredo path step by step (server, NAT mapping and filtering, native IPv6, "
      "relay) without changing the system");
  app->add_option("-c,--config", o->config, "Client configuration (ServerAddress, BindAddress...)");
  app->add_option("--server", o->server, "Teredo server (IPv4 or name); overrides the file");
  app->add_option("--server2", o->server2, "The server's secondary address (default primary+1)");
  app->add_option("--bind", o->bind, "Local IPv4 address to send from");
  app->add_option("--port", o->port, "Local UDP port (default: a random one)");
  app->add_option("--target", o->target, "A native IPv6 host for the relay test (ping test)");
  app->add_option("--probe-port", o->probe_port,
                  "The server's FilteringProbePort (shipworm servers; default 3545)")
      ->check(CLI::Range(1, 65535));
  app->add_option("--tries", o->tries, "Tries per step (default 3)")->check(CLI::Range(1, 10));
  app->add_option("--timeout", o->timeout, "Seconds to wait per try (default 2)")
      ->check(CLI::Range(0.1, 30.0));
  app->add_flag("--json", o->json, "Print one JSON object");
  return Command{app, [o]() {
                   daemon::NetcheckOptions n;
                   if (!o->config.empty()) {
                     auto r = daemon::load_config_file(o->config, daemon::Role::client);
                     if (!r.ok()) {
                       for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
                       return kExitUsage;
                     }
                     const auto* c = r.config->client();
                     n.server = c->server.name;
                     if (c->server2 && c->server2->address) n.server2 = c->server2->address;
                     n.bind_address = c->bind_address;
                     n.bind_port = c->bind_port;
                   }
                   if (!o->server.empty()) n.server = o->server;
                   if (n.server.empty())
                     throw UsageError("give --server or -c FILE with ServerAddress");
                   if (!o->server2.empty()) {
                     n.server2 = wire::Ipv4Address::parse(o->server2);
                     if (!n.server2)
                       throw UsageError("--server2 '" + o->server2 + "' is not an IPv4 address");
                   }
                   if (!o->bind.empty()) {
                     n.bind_address = wire::Ipv4Address::parse(o->bind);
                     if (!n.bind_address)
                       throw UsageError("--bind '" + o->bind + "' is not an IPv4 address");
                   }
                   if (o->port >= 0) {
                     if (o->port > 65535) throw UsageError("--port must be 0-65535");
                     n.bind_port = static_cast<std::uint16_t>(o->port);
                   }
                   if (!o->target.empty()) {
                     n.target = wire::Ipv6Address::parse(o->target);
                     if (!n.target)
                       throw UsageError("--target '" + o->target + "' is not an IPv6 address");
                   }
                   n.tries = o->tries;
                   n.probe_port = static_cast<std::uint16_t>(o->probe_port);
                   n.timeout_seconds = o->timeout;
                   n.json = o->json;
                   return daemon::run_netcheck(n);
                 }};
}

}  // namespace shipworm::cli
