// `shipworm relay`: run a Teredo relay (RFC 4380 §5.4) or a host-specific relay
// (RFC 4380 §3.4, §5.4; docs/rfc-notes.md §3) in the foreground.
#include <memory>

#include "cli/command.h"
#include "daemon/relay_daemon.h"

namespace shipworm::cli {

Command add_relay_command(CLI::App& root) {
  struct Options {
    std::string config;
    std::string type, ifname, prefix, mtu, bind, port, table, queue, total, check_source, log_level;
    bool host = false;
    bool forwarding = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = root.add_subcommand(
      "relay",
      "Run a Teredo relay between Teredo clients and native IPv6 (or --host: for "
      "this host only)");
  app->footer(
      "The configuration file takes Miredo's miredo.conf relay directives unchanged\n"
      "(RelayType relay|cone|restricted, InterfaceName, Prefix, InterfaceMTU, BindAddress,\n"
      "BindPort, SyslogFacility) and shipworm's own (HostSpecificRelay, PeerTableSize, ...);\n"
      "flags override the file. IPv6 forwarding is the operator's job (as with Miredo) unless\n"
      "--ipv6-forwarding is given. SIGHUP reloads, SIGUSR1 logs counters, SIGTERM/SIGINT\n"
      "stop and remove the route and the interface. See docs/configuration.md.");
  app->add_option("-c,--config", o->config, "Configuration file (miredo.conf syntax)");
  app->add_option("--type", o->type,
                  "cone (or relay) or restricted: behind a non-cone NAT (RelayType)");
  app->add_flag(
      "--host", o->host,
      "Host-specific relay: 2001::/32 for this host's own traffic only (HostSpecificRelay)");
  app->add_option("--interface", o->ifname, "TUN interface name (InterfaceName; default teredo)");
  app->add_option("--prefix", o->prefix, "Teredo prefix routed to the interface (Prefix)");
  app->add_option("--mtu", o->mtu, "Interface MTU (InterfaceMTU; default 1280)");
  app->add_option("--bind", o->bind, "Local IPv4 address of the UDP socket (BindAddress)");
  app->add_option("--port", o->port, "UDP port (BindPort; default 0 = random)");
  app->add_option("--peer-table-size", o->table, "Peers kept at most (PeerTableSize)");
  app->add_option("--peer-queue-bytes", o->queue,
                  "Bytes queued per untrusted peer (PeerQueueBytes)");
  app->add_option("--total-queue-bytes", o->total, "Bytes queued in all (TotalQueueBytes)");
  app->add_option("--check-source", o->check_source,
                  "yes: accept only clients we sent to first, as Miredo (RelayCheckSource)");
  app->add_flag("--ipv6-forwarding", o->forwarding,
                "Set net.ipv6.conf.all.forwarding=1 at start (not with --host)");
  app->add_option("--log-level", o->log_level, "error, warning, notice, info or debug (LogLevel)");

  return Command{
      app, [o]() {
        daemon::RelayRunOptions run;
        if (!o->config.empty()) run.config_path = o->config;
        run.enable_forwarding = o->forwarding;
        const std::pair<const std::string*, std::pair<const char*, const char*>> flags[] = {
            {&o->type, {"RelayType", "--type"}},
            {&o->ifname, {"InterfaceName", "--interface"}},
            {&o->prefix, {"Prefix", "--prefix"}},
            {&o->mtu, {"InterfaceMTU", "--mtu"}},
            {&o->bind, {"BindAddress", "--bind"}},
            {&o->port, {"BindPort", "--port"}},
            {&o->table, {"PeerTableSize", "--peer-table-size"}},
            {&o->queue, {"PeerQueueBytes", "--peer-queue-bytes"}},
            {&o->total, {"TotalQueueBytes", "--total-queue-bytes"}},
            {&o->check_source, {"RelayCheckSource", "--check-source"}},
            {&o->log_level, {"LogLevel", "--log-level"}},
        };
        for (const auto& [value, names] : flags) {
          if (!value->empty()) run.overrides.push_back({names.first, *value, names.second});
        }
        if (o->host) run.overrides.push_back({"HostSpecificRelay", "yes", "--host"});
        return daemon::run_relay(run);
      }};
}

}  // namespace shipworm::cli
