// The client's Teredo server names: ServerAddress, ServerAddress2 and FallbackServer may be
// host names. They are resolved to IPv4 (Teredo runs over IPv4, RFC 4380 §5.2) at start,
// blocking (nothing else to do yet), and again on a short-lived thread whenever the address
// is lost or qualification fails: RFC 4380 gives no rule for DNS, and a name may have moved.
// When nothing resolves, the next attempt follows a backoff of 10 s doubling to 300 s.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/client_types.h"
#include "core/time.h"
#include "daemon/config_file.h"
#include "os/linux/unique_fd.h"

namespace shipworm::daemon {

// The servers that resolved, in configuration order without duplicates, and one message per
// name that did not.
struct Resolved {
  std::vector<core::ServerPair> servers;
  std::vector<std::string> errors;
};

// The IPv4 address of a name (its first one when it has several); a literal as is. On
// failure sets `error` ("cannot resolve server name 'x': ...") and returns nullopt.
std::optional<wire::Ipv4Address> resolve_one(const ServerName& name, std::string& error);

// ServerAddress (+ ServerAddress2, by default primary + 1), then each FallbackServer (+1).
// A primary that does not resolve drops its pair; a secondary that does not falls back to
// primary + 1 (with an error saying so).
Resolved resolve_servers(const ClientConfig& config);

// True if any server is given by name (so re-resolving may change something).
bool has_names(const ClientConfig& config);

// getaddrinfo(3) blocks (DNS timeouts are seconds): after start-up it runs on a short-lived
// thread that posts the result through an eventfd the event loop watches. The thread owns a
// shared_ptr to the state, so it may outlive the daemon at exit (it is detached).
class AsyncResolver {
 public:
  // Creates the eventfd; false (errno set) if that fails.
  bool open();
  // Readable when a result is ready.
  [[nodiscard]] int fd() const { return shared_->event.get(); }
  // A resolution is running (start() then does nothing).
  [[nodiscard]] bool busy() const { return busy_; }
  void start(const ClientConfig& config);
  // The result, once fd() is readable; nullopt before (or if already taken).
  std::optional<Resolved> take();

 private:
  struct Shared {
    std::mutex mutex;
    std::optional<Resolved> result;
    os::UniqueFd event;
  };
  std::shared_ptr<Shared> shared_;
  bool busy_ = false;
};

// When to resolve again after no server resolved: 10 s, doubling up to 300 s (the engine's
// RetryConfig defaults for qualification); a success resets it.
class ResolveRetry {
 public:
  static constexpr core::Duration kFirst = std::chrono::seconds(10);
  static constexpr core::Duration kMax = std::chrono::seconds(300);

  // Nothing resolved at `now`: schedules the next attempt and returns the wait.
  core::Duration failed(core::TimePoint now);
  // Something resolved: back to the first wait, nothing scheduled.
  void succeeded();
  [[nodiscard]] std::optional<core::TimePoint> at() const { return at_; }
  // True once when the scheduled attempt is due (it is then no longer scheduled).
  bool due(core::TimePoint now);

 private:
  core::Duration backoff_{};
  std::optional<core::TimePoint> at_;
};

}  // namespace shipworm::daemon
