// Times as the database records them: ISO 8601 in UTC with milliseconds, so that
// they sort and compare as text.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace torchsweep {

/// `at` as "2026-11-26T10:52:55.123Z".
std::string utc_iso(std::chrono::system_clock::time_point at);

/// The current time as utc_iso writes it.
std::string utc_now();

/// The time utc_iso wrote as `text` (milliseconds optional); nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_utc_iso(const std::string& text);

}  // namespace torchsweep
