// What an adaptive sweep decided, read back: one run's decisions and the rungs it
// reached (results show), a sweep's rung levels — how many runs reached each, the
// cutoff, who went on and who was stopped (results rungs, status) — and the lines
// `status` prints about a sweep's rule and search. The rows are written by
// results/decision_log (decisions) and the launcher (rungs); see docs/results-schema.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// One run's decisions in the order taken: seq, action, rule, metric, axis, at, rung,
/// value, threshold, note, decided_at (no rows for a run nothing was decided about).
Table run_decisions(Database& db, int64_t run_id);

/// The rungs one run reached, lowest first: rung, at, value, reached_at.
Table run_rungs(Database& db, int64_t run_id);

/// One rung level of a sweep: the runs that reached rung `rung` at `at` (a Hyperband
/// sweep has a level per bracket and rung), or, for a rule without rungs (median,
/// patience), the runs it judged at `at`.
struct RungLevel {
  int64_t sweep_id = 0;
  std::optional<int64_t> rung;  ///< none for a rule without rungs
  std::string axis;             ///< step | epoch ("" when nothing says)
  int64_t at = 0;
  /// The runs that reached it (a `rungs` row, or a decision there), ascending.
  std::vector<int64_t> reached;
  /// By the last decision taken about each run there: promoted (or let continue), stopped.
  std::vector<int64_t> promoted, stopped;
  /// Reached, no decision there yet, and paused: waiting for the level's decision.
  std::vector<int64_t> paused;
  /// The threshold of the last decision taken there that had one: the cutoff a run had to beat.
  std::optional<double> cutoff;
  /// The best value a run reached there (the rule's goal: minimize unless it says maximize).
  std::optional<double> best;
};

/// The rung levels of a sweep: by rung (levels without one last), then by `at`. Empty
/// for a sweep that decided nothing.
std::vector<RungLevel> rung_levels(Database& db, int64_t sweep_id);

/// The rung levels of the sweeps `sweep` names ("" latest, "all", an id or a name), one
/// row each: (sweep, when several,) rung, axis, at, reached, promoted, stopped, paused,
/// cutoff, best, and the ids of the promoted and stopped runs. InputError when no sweep
/// matches.
Table rungs_table(Database& db, const std::string& sweep);

/// What `status` says of an adaptive sweep: its rule and settings, a line per rung
/// level, and its search with how many runs it proposed; "" for a sweep that is not
/// adaptive and decided nothing.
std::string adaptive_status(Database& db, int64_t sweep_id);

}  // namespace torchsweep
