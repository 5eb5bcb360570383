// Logging for the daemon roles (to stderr/journald with levels, syslog optional), and a rate
// limiter for messages on the packet path: bad input from the network is normal, so it is
// counted by reason and logged at a limited rate (docs/architecture.md, "House rules").
//
// - stderr, no timestamps (journald and most supervisors add their own). When stderr is the
//   journal (JOURNAL_STREAM names stderr's device:inode, systemd.exec(5)), every line starts
//   with the sd-daemon(3) priority prefix "<N>" so journald files it at the right level;
//   otherwise a line reads "warning: message".
// - syslog(3) with the configured facility (Miredo's SyslogFacility), when enabled.
// - LogRateLimiter: at most N messages per key per interval, counting the suppressed ones.
//   Time is passed in; nothing here reads a clock.
#pragma once

#include <fmt/core.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace shipworm::daemon {

// Ordered from most to least severe; values equal syslog(3) priorities (LOG_ERR == 3 ...).
enum class LogLevel : int { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

std::string_view to_string(LogLevel level);
// "error", "warning" (also "warn"), "notice", "info", "debug"; case-insensitive.
std::optional<LogLevel> parse_log_level(std::string_view text);

// syslog(3) facilities by name: daemon, user, kern, local0..local7, and the other standard
// names (auth, authpriv, cron, ftp, lpr, mail, news, syslog, uucp). Case-insensitive.
// Returns the LOG_* value.
std::optional<int> parse_syslog_facility(std::string_view text);
std::string_view syslog_facility_name(int facility);  // "" if unknown

// One formatted line (without the newline) as written to stderr.
// journal: "<4>message"; otherwise "warning: message".
std::string format_log_line(LogLevel level, std::string_view message, bool journal);

// True when JOURNAL_STREAM ("DEV:INODE" in decimal, systemd.exec(5)) names the given
// device and inode, i.e. the stream it was compared with is connected to the journal.
bool journal_stream_matches(std::string_view journal_stream, dev_t dev, ino_t ino);
// The same test for the process's stderr (reads the environment and fstat(2)s fd 2).
bool stderr_is_journal();

struct LogOptions {
  LogLevel level = LogLevel::notice;  // messages less severe than this are dropped
  bool to_stream = true;              // write to `stream` (stderr by default)
  std::FILE* stream = stderr;
  std::optional<bool> journal;         // sd-daemon prefixes; unset: stderr_is_journal()
  std::optional<int> syslog_facility;  // set: also send to syslog(3) with this facility
  std::string ident = "shipworm";      // syslog identity
};

class LogRateLimiter;

class Logger {
 public:
  explicit Logger(LogOptions options = {});
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  [[nodiscard]] bool enabled(LogLevel level) const {
    return static_cast<int>(level) <= static_cast<int>(options_.level);
  }
  [[nodiscard]] LogLevel level() const { return options_.level; }
  void set_level(LogLevel level) { options_.level = level; }

  void log(LogLevel level, std::string_view message);

  template <typename... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) {
    logf(LogLevel::error, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warning(fmt::format_string<Args...> f, Args&&... args) {
    logf(LogLevel::warning, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void notice(fmt::format_string<Args...> f, Args&&... args) {
    logf(LogLevel::notice, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) {
    logf(LogLevel::info, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) {
    logf(LogLevel::debug, f, std::forward<Args>(args)...);
  }

  // Packet-path logging: asks `limiter` whether `key` may log at `now`. When it may, logs
  // the message, followed by " (N similar messages suppressed)" if some were. Returns
  // whether a line was written. The message is formatted only when it is written.
  template <typename... Args>
  bool limited(LogRateLimiter& limiter, std::string_view key,
               std::chrono::steady_clock::time_point now, LogLevel level,
               fmt::format_string<Args...> f, Args&&... args);

 private:
  template <typename... Args>
  void logf(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level)) log(level, fmt::format(f, std::forward<Args>(args)...));
  }

  LogOptions options_;
  bool journal_ = false;
  bool syslog_open_ = false;
};

// Fixed-window limiter: per key, at most `burst` messages in each `interval`. Memory is
// bounded by `max_keys`; once that many keys are live, new keys share one overflow bucket
// (key "") until expired windows are reclaimed.
class LogRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool emit = false;
    // When emit is true: how many messages of this key were suppressed since the last one
    // emitted (to be reported with this one). Zero when emit is false.
    std::uint64_t suppressed = 0;
  };

  LogRateLimiter(unsigned burst, Clock::duration interval, std::size_t max_keys = 1024);

  Decision check(std::string_view key, Clock::time_point now);

  [[nodiscard]] std::uint64_t total_suppressed() const { return total_suppressed_; }
  [[nodiscard]] std::size_t keys() const { return buckets_.size(); }

 private:
  struct Bucket {
    Clock::time_point window_start;
    unsigned count = 0;
    std::uint64_t suppressed = 0;
  };
  void reclaim(Clock::time_point now);

  // Heterogeneous lookup: checking a key does not allocate (only a new key does).
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  unsigned burst_;
  Clock::duration interval_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets_;
  std::uint64_t total_suppressed_ = 0;
};

template <typename... Args>
bool Logger::limited(LogRateLimiter& limiter, std::string_view key,
                     std::chrono::steady_clock::time_point now, LogLevel level,
                     fmt::format_string<Args...> f, Args&&... args) {
  if (!enabled(level)) return false;
  const auto d = limiter.check(key, now);
  if (!d.emit) return false;
  std::string msg = fmt::format(f, std::forward<Args>(args)...);
  if (d.suppressed > 0) {
    msg += fmt::format(" ({} similar message{} suppressed)", d.suppressed,
                       d.suppressed == 1 ? "" : "s");
  }
  log(level, msg);
  return true;
}

}  // namespace shipworm::daemon
