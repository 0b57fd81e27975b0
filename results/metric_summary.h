// One metric's row of the `summaries` table, computed as its points go by instead of
// by scanning the table afterwards. The recording sink keeps one per metric while it
// writes, so that a run's end costs nothing in proportion to its length; the values are
// those summary_select_sql() computes from the stored points (NaN standing for NULL).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace torchsweep {

class MetricSummary {
 public:
  /// `last_k`: how many of the last points mean_last_k averages (kSummaryLastK).
  explicit MetricSummary(int last_k);

  /// Takes the next point. Steps must increase; a step at or before the last one
  /// (a point replaced, or logged out of order) makes the summary inexact, and the
  /// caller computes it from the table instead.
  void add(int64_t step, double value);
  bool exact() const { return exact_; }

  // The summaries row. Values are NaN where the table has NULL (no finite points, or
  // NaN itself, which SQLite stores as NULL); steps are empty where it has NULL.
  int64_t count() const { return count_; }
  double first() const { return first_; }
  double last() const { return last_; }
  double min() const { return min_; }
  double max() const { return max_; }
  std::optional<int64_t> step_min() const { return step_min_; }
  std::optional<int64_t> step_max() const { return step_max_; }
  int64_t last_step() const { return last_step_; }
  int last_k() const { return last_k_; }
  /// The mean of the non-NULL values among the last k points, summed newest first as
  /// SQLite's avg() over `ORDER BY step DESC` does.
  double mean_last_k() const;
  /// The first step whose value is at most half the first value.
  std::optional<int64_t> step_half() const { return step_half_; }

 private:
  int last_k_;
  bool exact_ = true;
  int64_t count_ = 0;
  double first_ = 0, last_ = 0, min_, max_;
  std::optional<int64_t> step_min_, step_max_, step_half_;
  int64_t last_step_ = 0;
  std::vector<double> recent_;  // ring of the last k values
  size_t next_ = 0;             // where the next value goes in recent_
};

}  // namespace torchsweep
