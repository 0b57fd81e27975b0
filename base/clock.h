// Times as the database records them: ISO 8601 in UTC with milliseconds, so that
// they sort and compare as text.
#pragma once

#include <chrono>
#include <string>

namespace torchsweep {

/// `at` as "2026-11-26T10:52:55.123Z".
std::string utc_iso(std::chrono::system_clock::time_point at);

/// The current time as utc_iso writes it.
std::string utc_now();

}  // namespace torchsweep
