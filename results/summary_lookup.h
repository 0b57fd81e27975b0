// A run's summary of one metric (first, last, min, max, mean of the last k, the step
// where it halved): from the `summaries` table once the run has ended, else computed
// from its points by the same SQL, so a running run reads the same as a finished one.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "results/schema.h"
#include "results/sqlite.h"

namespace torchsweep {

class SummaryLookup {
 public:
  struct Row {
    double first = 0, last = 0, min = 0, max = 0, mean_last_k = 0;
    int64_t last_step = 0;
    std::optional<int64_t> step_half;
  };
  explicit SummaryLookup(Database& db)
      : stored_(db.prepare("SELECT first, last, min, max, mean_last_k, last_step, step_half FROM summaries "
                           "WHERE run_id = ? AND key = ?")),
        live_(db.prepare("SELECT first, last, min, max, mean_last_k, last_step, step_half FROM (" +
                         summary_select_sql() + ")")) {}

  std::optional<Row> operator()(int64_t run_id, const std::string& key) {
    stored_.bind(1, run_id).bind(2, key);
    std::optional<Row> row = read(stored_);
    stored_.reset();
    if (row) return row;
    live_.bind(1, run_id).bind(2, static_cast<int64_t>(kSummaryLastK)).bind(3, key);
    row = read(live_);
    live_.reset();
    return row;
  }

 private:
  static std::optional<Row> read(Statement& stmt) {
    if (!stmt.step()) return std::nullopt;
    auto real = [&](int c) { return stmt.is_null(c) ? std::nan("") : stmt.get_double(c); };
    Row r{real(0), real(1), real(2), real(3), real(4), stmt.get_int(5), std::nullopt};
    if (!stmt.is_null(6)) r.step_half = stmt.get_int(6);
    return r;
  }
  Statement stored_;
  Statement live_;
};

}  // namespace torchsweep
