// A subcommand of the one `shipworm` binary: its CLI11 options, and what to run once parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace shipworm::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (network, daemon, ...)
inline constexpr int kExitUsage = 2;    // bad flags or arguments: nothing was done

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// A usage error raised after parsing (e.g. an argument that parses but makes no sense).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Command add_addr_command(CLI::App& root);
Command add_check_config_command(CLI::App& root);
Command add_server_command(CLI::App& root);
Command add_relay_command(CLI::App& root);
Command add_client_command(CLI::App& root);
Command add_status_command(CLI::App& root);
Command add_peers_command(CLI::App& root);
Command add_netcheck_command(CLI::App& root);

}  // namespace shipworm::cli
