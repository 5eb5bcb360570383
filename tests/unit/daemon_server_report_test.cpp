// The server's reports (daemon/server_report.h): status, metrics and the SIGUSR1 log from
// one snapshot agree on the drops, with the AF_XDP path's codec drops summed under the
// socket path's names.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/server_report.h"

namespace shipworm::daemon {
namespace {

TEST(ServerReport, StatusMetricsAndLogAgreeOnDropsIncludingXdpAndSendFailures) {
  ServerConfig config;
  ServerSnapshot s;
  s.config = &config;
  s.counters.datagrams = 20;
  s.counters.malformed[0] = 2;
  s.counters.dropped[0] = 3;
  s.frame_malformed[0] = 4;  // the same codec reason, seen on the AF_XDP path
  s.truncated = 1;
  s.send_failures = 5;
  const std::uint64_t expected = 2 + 3 + 4 + 1 + 5;
  const std::string codec(wire::to_string(static_cast<wire::DropReason>(0)));

  const auto status = nlohmann::json::parse(server_status_json(s));
  EXPECT_EQ(status["counters"]["dropped"].get<std::uint64_t>(), expected);
  EXPECT_EQ(status["drops"][codec].get<std::uint64_t>(), 6U);
  EXPECT_EQ(status["drops"]["send_failed"].get<std::uint64_t>(), 5U);
  EXPECT_EQ(status["drops"].size(), 4U);

  const std::string metrics = server_metrics_text(s);
  EXPECT_NE(metrics.find("shipworm_drops_total{reason=\"" + codec + "\"} 6\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shipworm_drops_total{reason=\"send_failed\"} 5\n"), std::string::npos);

  const auto log = server_log_lines(s);
  ASSERT_EQ(log.size(), 1U + 4U);
  EXPECT_NE(log[0].find("dropped " + std::to_string(expected)), std::string::npos) << log[0];
  EXPECT_EQ(log[1], "  dropped " + codec + ": 6");
  EXPECT_EQ(log[4], "  dropped send_failed: 5");
}

}  // namespace
}  // namespace shipworm::daemon
