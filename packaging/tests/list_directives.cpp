// Prints every configuration directive shipworm knows (daemon::known_directives()), one per
// line, for check_man_coverage.sh: the man page must describe each of them.
#include <cstdio>

#include "daemon/config_file.h"

int main() {
  for (const auto name : shipworm::daemon::known_directives()) {
    std::printf("%.*s\n", static_cast<int>(name.size()), name.data());
  }
  return 0;
}
