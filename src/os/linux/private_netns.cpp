#include "os/linux/private_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "os/linux/netlink.h"
#include "os/linux/unique_fd.h"

namespace shipworm::os {
namespace {

constexpr int kUnsupported = 77;  // the automake "skip" exit code

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void child(int out, const std::function<std::string()>& body, bool private_network) {
  if (private_network) {
    if (unshare(CLONE_NEWNET) < 0) {
      write_all(out, std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno));
      _exit(kUnsupported);
    }
    auto nl = Netlink::open();
    Status up = nl ? nl->set_link_up(1) : Status(nl.error());  // lo is always ifindex 1
    if (!up) {
      write_all(out, up.error().message());
      _exit(1);
    }
  }
  std::string result;
  try {
    result = body();
  } catch (const std::exception& e) {
    result = std::string("exception: ") + e.what();
  } catch (...) {
    result = "unknown exception";
  }
  write_all(out, result);
  _exit(result.empty() ? 0 : 1);  // no atexit handlers, no gtest teardown in the child
}

}  // namespace

ChildOutcome run_in_child(const std::function<std::string()>& body, bool private_network) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return {ChildOutcome::Kind::failed, "pipe2 failed"};
  UniqueFd rd(fds[0]);
  UniqueFd wr(fds[1]);
  const pid_t pid = fork();
  if (pid < 0) return {ChildOutcome::Kind::failed, std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    rd.reset();
    child(wr.get(), body, private_network);
  }
  wr.reset();
  std::string text;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return {ChildOutcome::Kind::failed,
            "child killed by signal " + std::to_string(WTERMSIG(status)) + ": " + text};
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  if (code == kUnsupported) return {ChildOutcome::Kind::unsupported, text};
  if (code == 0 && text.empty()) return {ChildOutcome::Kind::passed, {}};
  return {ChildOutcome::Kind::failed, text.empty() ? "exit code " + std::to_string(code) : text};
}

}  // namespace shipworm::os
