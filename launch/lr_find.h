// `torchsweep lr-find SPEC`: the learning-rate range test (train/lr_finder.h) on the
// spec's first run, recorded as a sweep of its own (sweeps.mode 'lr_find') holding one
// run of kind 'lr_find' (runs.kind), through the same store and sink as every run; and
// the views of its result for a terminal.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "results/store.h"
#include "sweep/sweep.h"
#include "train/lr_finder.h"

namespace torchsweep {

struct LrFindRunOptions {
  /// The test's rates, steps and stop.
  LrFindOptions test;
  /// Recorded with the run.
  std::string command_line;
  /// Intra-op threads when the spec leaves train.threads at 0 (0: the machine's cores).
  int64_t threads = 0;
  /// Also told everything the database is told (a progress display); null for none.
  MetricSink* watcher = nullptr;
};

/// What was recorded and found.
struct LrFindRecord {
  int64_t sweep_id = 0;
  int64_t run_id = 0;
  nlohmann::json config;  ///< the run's recorded config (with its lr_find block)
  LrFindOutcome outcome;
};

/// The config the test runs: the plan's first run's resolved config, with an `lr_find`
/// block saying how it ran ({start, end, steps, stop_factor}).
nlohmann::json lr_find_config(const SweepPlan& plan, const LrFindOptions& test);

/// Records the sweep and its one run, claims the run (so that no worker takes it),
/// runs the test into the store and returns what it found. The spec hash it records is
/// "lr_find:" + the run's config hash, so `run` on the same spec never continues it.
LrFindRecord record_lr_find(const SweepPlan& plan, Store& store, const LrFindRunOptions& options);

/// The line to paste into a spec's sweep.parameters:
/// "optimizer.lr: {distribution: log_uniform, low: 0.001, high: 0.1}"; "" without a range.
std::string lr_find_range_line(const LrFindResult& result);

/// A text chart of the smoothed loss (*) against the rate on a log axis, `width` ×
/// `height` characters of plot area plus axes, with the suggestions marked where they
/// lie on the curve: V valley, S steep, M the rate at the minimum (`minimum` × 10).
/// Points whose loss is not finite are left out; "" when fewer than two remain.
std::string lr_find_text_plot(const LrFindResult& result, int width = 64, int height = 14);

}  // namespace torchsweep
