// Runs the shipworm binary built with the tests (SHIPWORM_BINARY, set by the test target)
// and captures what it prints (stdout and stderr) and its exit status.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace shipworm::test {

struct Run {
  int status = -1;  // the exit status, -1 if it did not exit normally
  std::string out;  // stdout and stderr, interleaved
};

inline Run run_shipworm(const std::string& args) {
  Run r;
  const std::string cmd = std::string(SHIPWORM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace shipworm::test
