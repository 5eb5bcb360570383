// `shipworm check-config FILE [--role client|relay|server]`: parse and validate a
// configuration (Miredo's miredo.conf / miredo-server.conf, or ours) without running it.
#include <fmt/core.h>

#include <memory>
#include <string>

#include "cli/command.h"
#include "daemon/config_file.h"

namespace shipworm::cli {
namespace {

struct CheckConfigOptions {
  std::string file;
  std::string role;
};

int check_config(const CheckConfigOptions& o) {
  std::optional<daemon::Role> role;
  if (!o.role.empty()) {
    role = daemon::parse_role(o.role);
    if (!role) {
      throw UsageError(
          fmt::format("--role '{}' is not a role (valid: client, relay, server)", o.role));
    }
  }
  const auto result = daemon::load_config_file(o.file, role);
  for (const auto& w : result.warnings) fmt::print(stderr, "warning: {}\n", w.to_string());
  if (!result.ok()) {
    for (const auto& e : result.errors) fmt::print(stderr, "{}\n", e.to_string());
    return kExitUsage;
  }
  const auto& c = *result.config;
  fmt::print("{}: OK (role {}, {} directive{})\n", o.file, daemon::to_string(c.role),
             c.directive_count, c.directive_count == 1 ? "" : "s");
  fmt::print("# effective settings; role {} ({})\n", daemon::to_string(c.role), c.role_reason);
  for (const auto& line : daemon::effective_settings(c)) fmt::print("{}\n", line);
  return kExitOk;
}

}  // namespace

Command add_check_config_command(CLI::App& root) {
  auto opts = std::make_shared<CheckConfigOptions>();
  CLI::App* cmd = root.add_subcommand(
      "check-config",
      "Validate a configuration file (Miredo's miredo.conf/miredo-server.conf syntax) and print "
      "the effective settings; exit 2 with every error if it is invalid");
  cmd->add_option("FILE", opts->file, "The configuration file")->required();
  cmd->add_option("--role", opts->role,
                  "client, relay or server; default: from RelayType, or server if "
                  "ServerBindAddress is present");
  return Command{cmd, [opts]() { return check_config(*opts); }};
}

}  // namespace shipworm::cli
