#include "daemon/log.h"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace shipworm::daemon {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct FacilityName {
  std::string_view name;
  int value;
};

constexpr std::array<FacilityName, 19> kFacilities{{
    {"daemon", LOG_DAEMON},     {"user", LOG_USER},     {"kern", LOG_KERN},
    {"local0", LOG_LOCAL0},     {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3},     {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6},     {"local7", LOG_LOCAL7}, {"auth", LOG_AUTH},
    {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},     {"ftp", LOG_FTP},
    {"lpr", LOG_LPR},           {"mail", LOG_MAIL},     {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG},
}};

template <typename T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "error";
    case LogLevel::warning:
      return "warning";
    case LogLevel::notice:
      return "notice";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "?";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (auto l :
       {LogLevel::error, LogLevel::warning, LogLevel::notice, LogLevel::info, LogLevel::debug}) {
    if (iequals(text, to_string(l))) return l;
  }
  if (iequals(text, "warn")) return LogLevel::warning;
  return std::nullopt;
}

std::optional<int> parse_syslog_facility(std::string_view text) {
  for (const auto& f : kFacilities) {
    if (iequals(text, f.name)) return f.value;
  }
  return std::nullopt;
}

std::string_view syslog_facility_name(int facility) {
  for (const auto& f : kFacilities) {
    if (f.value == facility) return f.name;
  }
  return {};
}

std::string format_log_line(LogLevel level, std::string_view message, bool journal) {
  if (journal) return fmt::format("<{}>{}", static_cast<int>(level), message);
  return fmt::format("{}: {}", to_string(level), message);
}

bool journal_stream_matches(std::string_view journal_stream, dev_t dev, ino_t ino) {
  const auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  std::uint64_t d = 0;
  std::uint64_t i = 0;
  if (!parse_decimal(journal_stream.substr(0, colon), d) ||
      !parse_decimal(journal_stream.substr(colon + 1), i)) {
    return false;
  }
  return d == static_cast<std::uint64_t>(dev) && i == static_cast<std::uint64_t>(ino);
}

bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream_matches(env, st.st_dev, st.st_ino);
}

Logger::Logger(LogOptions options) : options_(std::move(options)) {
  journal_ = options_.journal.value_or(options_.to_stream && options_.stream == stderr &&
                                       stderr_is_journal());
  if (options_.syslog_facility) {
    openlog(options_.ident.c_str(), LOG_PID | LOG_NDELAY, *options_.syslog_facility);
    syslog_open_ = true;
  }
}

Logger::~Logger() {
  if (syslog_open_) closelog();
}

void Logger::log(LogLevel level, std::string_view message) {
  if (!enabled(level)) return;
  if (options_.to_stream && options_.stream != nullptr) {
    std::string line = format_log_line(level, message, journal_);
    line += '\n';
    // One fwrite per line so that concurrent writers do not interleave within a line.
    std::fwrite(line.data(), 1, line.size(), options_.stream);
    std::fflush(options_.stream);
  }
  if (syslog_open_) {
    const std::string copy(message);
    syslog(static_cast<int>(level), "%s", copy.c_str());
  }
}

LogRateLimiter::LogRateLimiter(unsigned burst, Clock::duration interval, std::size_t max_keys)
    : burst_(burst), interval_(interval), max_keys_(max_keys == 0 ? 1 : max_keys) {}

void LogRateLimiter::reclaim(Clock::time_point now) {
  // Forget keys whose window has expired with nothing left to report.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.window_start >= interval_ && it->second.suppressed == 0) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

LogRateLimiter::Decision LogRateLimiter::check(std::string_view key, Clock::time_point now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) reclaim(now);
    const std::string_view k = buckets_.size() >= max_keys_ ? std::string_view{} : key;
    it = buckets_.find(k);
    if (it == buckets_.end()) it = buckets_.emplace(std::string(k), Bucket{now, 0, 0}).first;
  }
  Bucket& b = it->second;
  if (now - b.window_start >= interval_) {
    b.window_start = now;
    b.count = 0;
  }
  if (b.count < burst_) {
    ++b.count;
    const auto suppressed = std::exchange(b.suppressed, 0);
    return {true, suppressed};
  }
  ++b.suppressed;
  ++total_suppressed_;
  return {false, 0};
}

}  // namespace shipworm::daemon
