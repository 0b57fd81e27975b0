// Numbers as people read them: one form for every number torchsweep prints for a
// person (run lines, tables, legends, titles), so that a value reads the same wherever
// it appears. Machine output (CSV, JSON, the database) keeps full precision elsewhere.
#pragma once

#include <string>

namespace torchsweep {

/// Significant digits a person is shown at most: enough to tell drawn values and
/// losses apart at a glance (0.238629, not 0.23862864348220497).
constexpr int kReadableDigits = 6;

/// The shortest text that reads back as the same double, rounded to at most `digits`
/// significant digits when it needs more (a drawn value); whole numbers below 10^15 as
/// integers (1000, not 1000.0 or 1e+03); "nan", "inf" and "-inf" (never "-nan"); 0 for
/// -0. `digits` is clamped to 1..17.
std::string readable_number(double value, int digits = kReadableDigits);

/// A duration sized for a person: "0 s", "840 ms", "12.3 s", "4m05s", "1h02m", "3d04h".
/// Negative and non-finite durations read "-".
std::string readable_duration(double seconds);

}  // namespace torchsweep
