// shipworm: one binary, one subcommand per role or tool (docs/architecture.md).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <vector>

#include "cli/command.h"

#ifndef SHIPWORM_VERSION
#define SHIPWORM_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace shipworm::cli;
  CLI::App app{"shipworm: Teredo (RFC 4380, 5991, 6081) IPv6 over UDP/IPv4 through NATs",
               "shipworm"};
  app.set_version_flag("--version", "shipworm " SHIPWORM_VERSION);
  app.require_subcommand(1);

  std::vector<Command> commands;
  commands.push_back(add_addr_command(app));
  commands.push_back(add_check_config_command(app));
  commands.push_back(add_server_command(app));
  commands.push_back(add_relay_command(app));
  commands.push_back(add_client_command(app));
  commands.push_back(add_status_command(app));
  commands.push_back(add_peers_command(app));
  commands.push_back(add_netcheck_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "shipworm: error: {} (see 'shipworm --help')\n", e.what());
    return kExitUsage;
  }

  try {
    for (const auto& c : commands) {
      if (c.app->parsed()) return c.run();
    }
  } catch (const UsageError& e) {
    fmt::print(stderr, "shipworm: error: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "shipworm: {}\n", e.what());
    return kExitFailure;
  }
  return kExitUsage;
}
