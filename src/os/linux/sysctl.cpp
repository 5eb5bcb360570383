#include "os/linux/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "os/linux/unique_fd.h"

namespace shipworm::os {
namespace {
std::string path_of(std::string key) {
  std::replace(key.begin(), key.end(), '.', '/');
  return "/proc/sys/" + key;
}
}  // namespace

Status write_sysctl(const std::string& key, const std::string& value) {
  const std::string doing = "setting " + key + " = " + value;
  UniqueFd fd(::open(path_of(key).c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(doing);
  const std::string line = value + "\n";
  const ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n < 0) return errno_error(doing);
  if (static_cast<std::size_t>(n) != line.size()) return OsError(EIO, doing + " (short write)");
  return {};
}

Result<std::string> read_sysctl(const std::string& key) {
  const std::string doing = "reading " + key;
  UniqueFd fd(::open(path_of(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(doing);
  char buf[256];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0) return errno_error(doing);
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status set_ipv6_forwarding(bool enabled) {
  return write_sysctl("net.ipv6.conf.all.forwarding", enabled ? "1" : "0");
}

Result<bool> ipv6_forwarding() {
  auto v = read_sysctl("net.ipv6.conf.all.forwarding");
  if (!v) return v.error();
  return *v == "1";
}

}  // namespace shipworm::os
