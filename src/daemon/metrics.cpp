#include "daemon/metrics.h"

#include <fmt/format.h>

#include <cmath>

namespace shipworm::daemon {
namespace {

std::string escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return fmt::format("{}", v);
}

}  // namespace

std::string render_openmetrics(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const auto& f : families) {
    const char* type = f.type == MetricFamily::Type::kCounter ? "counter"
                       : f.type == MetricFamily::Type::kGauge ? "gauge"
                                                              : "info";
    out += fmt::format("# TYPE {} {}\n", f.name, type);
    if (!f.help.empty()) out += fmt::format("# HELP {} {}\n", f.name, escape(f.help));
    const char* suffix = f.type == MetricFamily::Type::kCounter ? "_total"
                         : f.type == MetricFamily::Type::kInfo  ? "_info"
                                                                : "";
    for (const auto& s : f.samples) {
      out += f.name;
      out += suffix;
      if (!s.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += fmt::format("{}=\"{}\"", s.labels[i].first, escape(s.labels[i].second));
        }
        out += '}';
      }
      out += ' ';
      out += number(s.value);
      out += '\n';
    }
  }
  out += "# EOF\n";
  return out;
}

std::string http_metrics_response(std::string_view head, const std::string& body) {
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  auto reply = [](std::string_view status, std::string_view type, std::string_view text) {
    return fmt::format(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        status, type, text.size(), text);
  };
  if (!line.starts_with("GET ")) return reply("405 Method Not Allowed", "text/plain", "GET only\n");
  std::string_view path = line.substr(4);
  path = path.substr(0, path.find(' '));
  if (path != "/metrics" && path != "/")
    return reply("404 Not Found", "text/plain", "try /metrics\n");
  return reply("200 OK", "application/openmetrics-text; version=1.0.0; charset=utf-8", body);
}

}  // namespace shipworm::daemon
