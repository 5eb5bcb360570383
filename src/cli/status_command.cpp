// `shipworm status` and `shipworm peers`: ask a running daemon over its control socket.
#include <fmt/core.h>
#include <sys/stat.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "daemon/control_server.h"

namespace shipworm::cli {
namespace {

struct StatusOptions {
  std::string control;
  std::string role;
  bool json = false;
};

// --control, else the role's default socket, else the first default socket that exists.
std::string find_socket(const StatusOptions& o) {
  if (!o.control.empty()) return o.control;
  if (!o.role.empty()) {
    const auto role = daemon::parse_role(o.role);
    if (!role) throw UsageError(fmt::format("--role '{}' is not client, relay or server", o.role));
    return daemon::default_control_socket(*role);
  }
  std::string tried;
  for (auto role : {daemon::Role::client, daemon::Role::relay, daemon::Role::server}) {
    std::string path = daemon::default_control_socket(role);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return path;
    tried += (tried.empty() ? "" : ", ") + path;
  }
  throw std::runtime_error(
      fmt::format("no shipworm daemon is running (no control socket at {}; "
                  "use --control PATH for another location)",
                  tried));
}

void print_value(const nlohmann::ordered_json& v, int indent);

void print_object(const nlohmann::ordered_json& obj, int indent) {
  std::size_t width = 0;
  for (const auto& [k, v] : obj.items()) width = std::max(width, k.size());
  for (const auto& [k, v] : obj.items()) {
    if (v.is_object() || (v.is_array() && !v.empty() && v.front().is_object())) {
      fmt::print("{:{}}{}:\n", "", indent, k);
      print_value(v, indent + 2);
    } else {
      fmt::print("{:{}}{:<{}}  ", "", indent, k + ":", width + 1);
      print_value(v, 0);
    }
  }
}

void print_value(const nlohmann::ordered_json& v, int indent) {
  if (v.is_object()) {
    if (v.empty()) fmt::print("{:{}}(none)\n", "", indent);
    print_object(v, indent);
  } else if (v.is_array()) {
    if (!v.empty() && v.front().is_object()) {
      for (const auto& item : v) {
        print_object(item, indent);
        fmt::print("\n");
      }
    } else {
      std::string line;
      for (const auto& item : v)
        line +=
            (line.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>() : item.dump());
      fmt::print("{}\n", line.empty() ? "(none)" : line);
    }
  } else if (v.is_string()) {
    fmt::print("{}\n", v.get<std::string>());
  } else {
    fmt::print("{}\n", v.dump());
  }
}

int ask(const StatusOptions& o, const char* request) {
  const std::string path = find_socket(o);
  auto answer = daemon::control_request(path, request);
  if (!answer) {
    throw std::runtime_error(
        fmt::format("no answer from a shipworm daemon: {}", answer.error().message()));
  }
  const auto j = nlohmann::ordered_json::parse(answer.value(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("the daemon's answer is not JSON: " + path);
  if (j.contains("error")) {
    throw std::runtime_error(fmt::format("the daemon at {} says: {}", path, j["error"].dump()));
  }
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    print_value(j, 0);
  }
  return kExitOk;
}

Command add(CLI::App& root, const char* name, const char* help, const char* request) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* app = root.add_subcommand(name, help);
  app->add_option("--control", o->control,
                  "Control socket of the daemon (default: /run/shipworm/<role>.sock)");
  app->add_option("--role", o->role, "client, relay or server: use that role's default socket");
  app->add_flag("--json", o->json, "Print the daemon's JSON answer");
  return Command{app, [o, request]() { return ask(*o, request); }};
}

}  // namespace

Command add_status_command(CLI::App& root) {
  return add(root, "status",
             "Show a running daemon's role, state and cause, addresses, NAT type and counters",
             "status");
}

Command add_peers_command(CLI::App& root) {
  return add(root, "peers", "List a running client's or relay's peers", "peers");
}

}  // namespace shipworm::cli
