#include "daemon/config_lexer.h"

#include <fmt/core.h>

namespace shipworm::daemon::config_lexer {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view take_word(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && !is_blank(s[n])) ++n;
  const auto word = s.substr(0, n);
  s = trim(s.substr(n));
  return word;
}

}  // namespace

Lexed lex(std::string_view text) {
  Lexed out;
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    auto rest = trim(raw);
    if (rest.empty() || rest.front() == '#') continue;
    Line l;
    l.number = number;
    l.name = std::string(take_word(rest));
    if (raw.find('\0') != std::string_view::npos) {
      l.lex_error = "the line contains a NUL byte (valid: text)";
    }
    if (!rest.empty()) {
      const auto value = take_word(rest);
      l.value = std::string(value);
      if (value.front() == '"' || value.front() == '\'') {
        l.lex_error = fmt::format(
            "quoted values are not part of the miredo.conf syntax (valid: the value without "
            "quotes, e.g. {} {})",
            l.name,
            trim(std::string_view(value).substr(1, value.size() >= 2 ? value.size() - 2 : 0)));
      } else if (!rest.empty() && rest.front() != '#') {
        l.lex_error = fmt::format(
            "extra text '{}' after the value '{}' (valid: one value per directive; a comment "
            "starts with ' #')",
            rest, value);
      }
    }
    out.lines.push_back(std::move(l));
  }
  out.line_count = number;
  return out;
}

}  // namespace shipworm::daemon::config_lexer
