#include "base/number_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>

namespace torchsweep {

namespace {

/// Significant digits in a number's text ("0.00125" → 3, "1.5e-07" → 2, "120.5" → 4).
int significant_digits(const std::string& text) {
  int count = 0;
  bool leading = true;
  for (const char c : text) {
    if (c == 'e' || c == 'E') break;
    if (!std::isdigit(static_cast<unsigned char>(c))) continue;
    if (leading && c == '0') continue;
    leading = false;
    ++count;
  }
  return count;
}

}  // namespace

std::string readable_number(double value, int digits) {
  if (std::isnan(value)) return "nan";  // whatever its sign bit: printf's "-nan" means nothing to a reader
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";  // -0 too
  digits = std::clamp(digits, 1, 17);
  // Whole numbers as integers, up to where doubles stop holding every integer exactly.
  if (std::trunc(value) == value && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<int64_t>(value));
  const std::string shortest = fmt::format("{}", value);
  if (significant_digits(shortest) <= digits) return shortest;
  // Rounded: the shortest text of the rounded value (%g's trailing zeros dropped).
  const std::string rounded = fmt::format("{:.{}g}", value, digits);
  const double back = std::strtod(rounded.c_str(), nullptr);
  if (std::trunc(back) == back && std::fabs(back) < 1e15) return fmt::format("{}", static_cast<int64_t>(back));
  return fmt::format("{}", back);
}

std::string readable_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  if (seconds == 0) return "0 s";
  if (seconds < 0.9995) return fmt::format("{} ms", readable_number(seconds * 1000, 3));
  if (seconds < 59.95) return fmt::format("{} s", readable_number(seconds, 3));
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  const int64_t m = (s + 30) / 60;  // whole minutes from here on
  if (m < 24 * 60) return fmt::format("{}h{:02}m", m / 60, m % 60);
  const int64_t h = (m + 30) / 60;
  return fmt::format("{}d{:02}h", h / 24, h % 24);
}

}  // namespace torchsweep
