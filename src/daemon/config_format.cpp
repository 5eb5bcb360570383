// Text forms of configuration results: error lines and the effective settings. Each
// directive writes its own value (config_directives.cpp), so what `check-config` prints
// parses back to the same configuration.
#include <fmt/core.h>

#include "daemon/config_directives.h"
#include "daemon/config_file.h"

namespace shipworm::daemon {

std::string ConfigError::to_string() const {
  std::string out = source;
  if (line > 0) out += fmt::format(":{}", line);
  out += ": ";
  if (!directive.empty()) out += directive + ": ";
  return out + message;
}

std::string ListenAddress::to_string() const {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&address)) {
    return fmt::format("{}:{}", v4->to_string(), port);
  }
  return fmt::format("[{}]:{}", std::get<wire::Ipv6Address>(address).to_string(), port);
}

std::vector<std::string> effective_settings(const Config& config) {
  std::vector<std::string> out;
  // A directive writes nothing for a role that does not accept it.
  for (const auto& d : config_directives::directives()) d.format(config.settings, out);
  return out;
}

}  // namespace shipworm::daemon
