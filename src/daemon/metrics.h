// OpenMetrics text exposition (https://openmetrics.io, the format Prometheus scrapes) for
// the daemons' counters: each role describes its families; this file renders them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shipworm::daemon {

struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;  // name -> value
  double value = 0;
};

struct MetricFamily {
  std::string name;  // without the _total suffix for counters
  enum class Type { kCounter, kGauge, kInfo } type = Type::kCounter;
  std::string help;
  std::vector<MetricSample> samples;
};

// The exposition text, ending with "# EOF\n". Label values are escaped (\\, \", \n).
std::string render_openmetrics(const std::vector<MetricFamily>& families);

// An HTTP/1.1 response for a metrics request head: 200 with the exposition for
// "GET /metrics" (and "GET /"), 404 for other paths, 405 for other methods.
std::string http_metrics_response(std::string_view request_head, const std::string& body);

}  // namespace shipworm::daemon
