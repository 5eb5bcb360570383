// Logging: line formats, journald detection, levels, syslog facility names, and the
// packet-path rate limiter driven by a fake clock.
#include <gtest/gtest.h>
#include <syslog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/log.h"

namespace shipworm::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(LogFormat, PlainLineHasLevelNameAndNoTimestamp) {
  EXPECT_EQ(format_log_line(LogLevel::warning, "peer table full", false),
            "warning: peer table full");
  EXPECT_EQ(format_log_line(LogLevel::error, "x", false), "error: x");
}

TEST(LogFormat, JournalLineHasSdDaemonPrefix) {
  // sd-daemon(3): SD_ERR "<3>" ... SD_DEBUG "<7>".
  EXPECT_EQ(format_log_line(LogLevel::error, "m", true), "<3>m");
  EXPECT_EQ(format_log_line(LogLevel::warning, "m", true), "<4>m");
  EXPECT_EQ(format_log_line(LogLevel::notice, "m", true), "<5>m");
  EXPECT_EQ(format_log_line(LogLevel::info, "m", true), "<6>m");
  EXPECT_EQ(format_log_line(LogLevel::debug, "m", true), "<7>m");
}

TEST(LogFormat, JournalStreamMustNameThisDeviceAndInode) {
  EXPECT_TRUE(journal_stream_matches("8:12345", 8, 12345));
  EXPECT_FALSE(journal_stream_matches("8:12345", 8, 12346));
  EXPECT_FALSE(journal_stream_matches("9:12345", 8, 12345));
  EXPECT_FALSE(journal_stream_matches("", 8, 12345));
  EXPECT_FALSE(journal_stream_matches("8", 8, 12345));
  EXPECT_FALSE(journal_stream_matches("8:12345x", 8, 12345));
  EXPECT_FALSE(journal_stream_matches(":12345", 0, 12345));
}

TEST(LogFormat, StderrIsNotTheJournalWithoutJournalStream) {
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "0:0", 1);
  EXPECT_FALSE(stderr_is_journal());  // fd 2 is never device 0, inode 0
  ::unsetenv("JOURNAL_STREAM");
}

TEST(LogLevels, ParseAndName) {
  EXPECT_EQ(parse_log_level("DEBUG"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("Notice"), LogLevel::notice);
  EXPECT_FALSE(parse_log_level("verbose").has_value());
  EXPECT_EQ(to_string(LogLevel::info), "info");
}

TEST(LogLevels, MiredoSyslogFacilities) {
  // miredo.conf(5): daemon (the default), local0 ... local7, kern and user.
  EXPECT_EQ(parse_syslog_facility("daemon"), LOG_DAEMON);
  EXPECT_EQ(parse_syslog_facility("LOCAL0"), LOG_LOCAL0);
  EXPECT_EQ(parse_syslog_facility("local7"), LOG_LOCAL7);
  EXPECT_EQ(parse_syslog_facility("kern"), LOG_KERN);
  EXPECT_EQ(parse_syslog_facility("user"), LOG_USER);
  EXPECT_FALSE(parse_syslog_facility("local8").has_value());
  EXPECT_FALSE(parse_syslog_facility("").has_value());
  EXPECT_EQ(syslog_facility_name(LOG_LOCAL3), "local3");
}

class CapturedLog : public ::testing::Test {
 protected:
  void SetUp() override { stream_ = open_memstream(&buf_, &size_); }
  void TearDown() override {
    if (stream_ != nullptr) std::fclose(stream_);
    std::free(buf_);
  }
  std::string text() {
    std::fflush(stream_);
    return std::string(buf_, size_);
  }
  LogOptions options(LogLevel level, bool journal) {
    LogOptions o;
    o.level = level;
    o.stream = stream_;
    o.journal = journal;
    return o;
  }
  char* buf_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* stream_ = nullptr;
};

TEST_F(CapturedLog, LevelFiltersLessSevereMessages) {
  Logger log(options(LogLevel::notice, false));
  log.debug("hidden {}", 1);
  log.info("hidden {}", 2);
  log.notice("qualified as {}", "2001:0:c633:6401::1");
  log.warning("w");
  log.error("e {}", 3);
  EXPECT_EQ(text(), "notice: qualified as 2001:0:c633:6401::1\nwarning: w\nerror: e 3\n");
  EXPECT_FALSE(log.enabled(LogLevel::info));
  log.set_level(LogLevel::debug);
  EXPECT_TRUE(log.enabled(LogLevel::debug));
}

TEST_F(CapturedLog, JournalModeWritesPrefixes) {
  Logger log(options(LogLevel::debug, true));
  log.debug("d");
  log.error("e");
  EXPECT_EQ(text(), "<7>d\n<3>e\n");
}

TEST_F(CapturedLog, LimitedLogReportsSuppressedCount) {
  Logger log(options(LogLevel::info, false));
  LogRateLimiter limiter(1, 10s);
  const Clock::time_point t0{};
  EXPECT_TRUE(log.limited(limiter, "bad-checksum", t0, LogLevel::warning, "drop {}", 1));
  EXPECT_FALSE(log.limited(limiter, "bad-checksum", t0 + 1s, LogLevel::warning, "drop {}", 2));
  EXPECT_FALSE(log.limited(limiter, "bad-checksum", t0 + 2s, LogLevel::warning, "drop {}", 3));
  EXPECT_TRUE(log.limited(limiter, "bad-checksum", t0 + 10s, LogLevel::warning, "drop {}", 4));
  EXPECT_TRUE(log.limited(limiter, "bad-checksum", t0 + 25s, LogLevel::warning, "drop {}", 5));
  // Below the level: neither written nor counted.
  EXPECT_FALSE(log.limited(limiter, "x", t0, LogLevel::debug, "never"));
  EXPECT_EQ(text(),
            "warning: drop 1\n"
            "warning: drop 4 (2 similar messages suppressed)\n"
            "warning: drop 5\n");
  EXPECT_EQ(limiter.total_suppressed(), 2u);
}

TEST(LogRateLimiter, AtMostBurstPerKeyPerInterval) {
  LogRateLimiter l(3, 60s);
  const Clock::time_point t0{};
  int emitted = 0;
  for (int i = 0; i < 10; ++i) emitted += l.check("a", t0 + std::chrono::seconds{i}).emit ? 1 : 0;
  EXPECT_EQ(emitted, 3);
  EXPECT_EQ(l.total_suppressed(), 7u);
  // Another key has its own budget.
  EXPECT_TRUE(l.check("b", t0 + 5s).emit);
  // One interval after the window opened, "a" may log again and learns of 7 suppressed.
  EXPECT_FALSE(l.check("a", t0 + 59s).emit);
  const auto d = l.check("a", t0 + 60s);
  EXPECT_TRUE(d.emit);
  EXPECT_EQ(d.suppressed, 8u);
  const auto d2 = l.check("a", t0 + 61s);
  EXPECT_TRUE(d2.emit);
  EXPECT_EQ(d2.suppressed, 0u);
}

TEST(LogRateLimiter, ZeroBurstSuppressesEverything) {
  LogRateLimiter l(0, 1s);
  EXPECT_FALSE(l.check("k", Clock::time_point{}).emit);
  EXPECT_FALSE(l.check("k", Clock::time_point{} + 5s).emit);
  EXPECT_EQ(l.total_suppressed(), 2u);
}

TEST(LogRateLimiter, KeyCountIsBoundedAndExpiredKeysAreReclaimed) {
  LogRateLimiter l(1, 10s, 4);
  const Clock::time_point t0{};
  for (int i = 0; i < 100; ++i) l.check("key" + std::to_string(i), t0);
  EXPECT_LE(l.keys(), 5u);  // 4 keys + the shared overflow bucket at most
  // Keys beyond the limit share one bucket: only the first of them was emitted.
  EXPECT_EQ(l.total_suppressed(), 100u - 4u - 1u);
  // After the windows expire, new keys get their own bucket again.
  EXPECT_TRUE(l.check("fresh", t0 + 20s).emit);
  EXPECT_LE(l.keys(), 5u);
}

}  // namespace
}  // namespace shipworm::daemon
