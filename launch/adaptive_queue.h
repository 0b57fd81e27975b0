// Which run a worker of an adaptive sweep trains next, and how far. An adaptive sweep
// decides as it goes (docs/adaptive-sweeps.md): ASHA and Hyperband train runs up to a
// rung, where they wait (paused) until they are promoted or stopped; a model-based
// search proposes new runs from the finished ones. Each of these decisions is taken
// inside the write transaction that claims the run, from what the database holds at
// that moment, and recorded in it (results/decision_log.h): two workers never decide
// on a rung at once, and none decides on data another has not yet written.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "results/run_queue.h"
#include "results/store.h"
#include "sweep/early_stopping.h"
#include "sweep/sweep.h"

namespace torchsweep {

/// What an adaptive sweep decides by, as recorded with it (sweeps.adaptive).
struct AdaptiveSweep {
  int64_t sweep_id = 0;
  EarlyStopping early_stop;
  /// The model-based search that proposes runs (tpe, bayes) as recorded; null when the
  /// sweep's runs are all known at its start.
  nlohmann::json search;
  /// The spec's seed: the order in which ASHA takes new runs is drawn from it.
  uint64_t seed = 0;
  /// A sweep run again from the database: its runs end as their originals did, by the
  /// original's decisions (launch/decision_replay.h), which decides nothing anew.
  bool replay = false;

  /// Whether anything is decided as the sweep goes.
  bool adaptive() const { return pauses() || judges_points() || proposes(); }
  /// ASHA and Hyperband: runs wait at rungs.
  bool pauses() const;
  /// Median, patience and W&B's hyperband: a run is judged as its points come in.
  bool judges_points() const;
  bool proposes() const { return search.is_object() && !search.empty(); }
};

/// What a plan decides by as its sweep goes, as recorded with the sweep
/// (NewSweep::adaptive_json): {"early_stop": {...}, "search": {"mode": "tpe", ...},
/// "seed": 1}; "{}" for a sweep that decides nothing.
std::string adaptive_record(const SweepPlan& plan);

/// The sweep's settings (nothing adaptive for a sweep recorded without them).
AdaptiveSweep read_adaptive_sweep(Database& db, int64_t sweep_id);

/// What a worker of an adaptive sweep does next.
struct NextWork {
  std::optional<ClaimedRun> run;  ///< the run to train, now marked running
  int64_t pause_at = 0;           ///< train it up to here (its next rung); 0: to the end
  MetricAxis pause_axis = MetricAxis::Epoch;
  std::string why;                ///< for a promoted run: the decision, in words
  bool wait = false;              ///< nothing to take now, but runs of the sweep still train
};

/// In one write transaction: promotes the run ASHA promotes next (the highest rung
/// first), else takes the sweep's next waiting run, else proposes one (a search under
/// its cap); when none of these exists and no run of the sweep trains any more, stops
/// the runs still paused at their rungs. Returns what to train, or to wait, or nothing.
NextWork claim_adaptive(Store& store, const AdaptiveSweep& sweep, const Holder& holder);

/// The adaptive sweeps (not replays) with runs waiting, paused or cut short: what a
/// worker of every sweep takes through claim_adaptive once no other run waits.
std::vector<int64_t> adaptive_sweeps_with_work(Database& db);

/// Where a run taken for any reason (a waiting run, one continued after its process
/// died) pauses next: its next rung, from the promotions it has had; 0: its end.
int64_t pause_target(Database& db, const AdaptiveSweep& sweep, int64_t run_id, int64_t run_index);

}  // namespace torchsweep
