#include "cli/arguments.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "base/number_text.h"

namespace torchsweep {

namespace {

/// The text as a whole number, or false when it is none (or does not fit in 64 bits).
bool parse_whole(const std::string& text, int64_t& out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) return false;
  out = v;
  return true;
}

std::string in_quotes(const std::string& text) { return "'" + text + "'"; }

}  // namespace

CLI::Validator run_id_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t id = 0;
        if (!parse_whole(text, id) || id < 1) return "expected a run id, a positive integer, got " + in_quotes(text);
        return "";
      },
      "RUN_ID");
}

CLI::Validator whole_number_check(const std::string& what, int64_t min) {
  return CLI::Validator(
      [what, min](std::string& text) -> std::string {
        int64_t v = 0;
        const std::string range = min == 0 ? "0 or more" : std::to_string(min) + " or more";
        if (!parse_whole(text, v) || v < min) return "expected " + what + ", " + range + ", got " + in_quotes(text);
        return "";
      },
      "INT");
}

CLI::Validator number_check(const std::string& what, double min) {
  return CLI::Validator(
      [what, min](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double v = text.empty() ? std::nan("") : std::strtod(text.c_str(), &end);
        const bool number = !text.empty() && end == text.c_str() + text.size() && errno != ERANGE && std::isfinite(v);
        if (!number || v < min)
          return "expected " + what + ", " + readable_number(min) + " or more, got " + in_quotes(text);
        return "";
      },
      "NUMBER");
}

}  // namespace torchsweep
