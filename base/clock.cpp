#include "base/clock.h"

#include <cstdio>
#include <ctime>

namespace torchsweep {

std::string utc_iso(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(millis));
  return out;
}

std::string utc_now() { return utc_iso(std::chrono::system_clock::now()); }

std::optional<std::chrono::system_clock::time_point> parse_utc_iso(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  int used = 0;
  const int fields = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used);
  if (fields != 6) return std::nullopt;
  const char* rest = text.c_str() + used;
  if (*rest == '.') {
    int digits = 0;
    if (std::sscanf(rest, ".%3d%n", &millis, &digits) != 1 || digits != 4) return std::nullopt;
    rest += digits;
  }
  if (std::string(rest) != "Z") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t seconds = timegm(&tm);
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

}  // namespace torchsweep
