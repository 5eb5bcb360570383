// The lexer of configuration files (the miredo.conf(5) syntax described in config_file.h):
// lines, comments, the one-word value and the lexical errors. It knows no directive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shipworm::daemon::config_lexer {

struct Line {
  int number = 0;
  std::string name;   // as written
  std::string value;  // "" when absent
  std::string lex_error;
};

struct Lexed {
  std::vector<Line> lines;
  int line_count = 0;
};

// Splits `text` into directive lines; blank lines and comments are skipped. A line whose
// syntax is wrong has `lex_error` set to the whole "what is wrong (valid: ...)" message.
Lexed lex(std::string_view text);

}  // namespace shipworm::daemon::config_lexer
