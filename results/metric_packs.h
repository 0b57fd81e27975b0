// Each finished run's curves packed into one row per metric (`metric_packs`), so that a
// chart over 10,000 runs reads 10,000 rows instead of 10 million. `metrics` stays the
// record, one row per point, that SQL and the exports read; a pack is a copy of a run's
// rows of one metric, written when the run ends (with its summaries, in the same
// transaction) and dropped when it runs again. A pack is used only while it agrees with
// the run's summary (count and last step), so a pack that has fallen behind its rows
// is never read: the rows are.
//
// Layout (documented in docs/results-schema.md, readable with numpy.frombuffer):
// `vals` holds the values as little-endian float64, NaN where `metrics.value` is NULL;
// the steps are first_step + i·step_stride when they are that regular (every step
// logged, or every k-th), and otherwise little-endian int64 in `steps`, with
// step_stride NULL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// (Re)writes the packs of every metric the run logged, from its `metrics` rows.
void pack_run_metrics(Database& db, int64_t run_id);

/// Drops the run's packs: its rows are about to change.
void drop_run_packs(Database& db, int64_t run_id);

/// Reads packs through one prepared statement, for as many runs as a chart needs.
class PackReader {
 public:
  explicit PackReader(Database& db);

  /// The run's points of `key` appended to `steps` and `values` (NaN where NULL), when
  /// it has a pack that agrees with its summary; false (and nothing appended)
  /// otherwise: read the rows.
  bool read(int64_t run_id, const std::string& key, std::vector<int64_t>& steps, std::vector<double>& values);

 private:
  Statement pack_;
};

}  // namespace torchsweep
