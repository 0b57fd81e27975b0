// Checks of numbers given on the command line, with one message form for every command:
// `run: expected a run id, a positive integer, got 'abc'`, `--limit: expected a number
// of rows, 0 or more, got '-1'`, instead of CLI11's "Could not convert" or a range with
// a bound of 300 digits. CLI11 runs a check on the text before converting it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace torchsweep {

/// A run id: a positive integer that fits in 64 bits.
CLI::Validator run_id_check();

/// A whole number >= `min`, described to the user as `what` ("a number of rows").
CLI::Validator whole_number_check(const std::string& what, int64_t min);

/// A finite number >= `min` (e.g. seconds), described to the user as `what`.
CLI::Validator number_check(const std::string& what, double min);

}  // namespace torchsweep
