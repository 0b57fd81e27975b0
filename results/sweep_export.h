// Many runs exported at once, for analysis elsewhere (pandas, R, a spreadsheet):
// long — one row per metric point of every selected run —, or wide — one row per run,
// every parameter its own typed column, the usual summaries beside them (the
// `runs_wide` view of docs/results-schema.md, with its JSON spread into columns).
#pragma once

#include "results/run_selection.h"
#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// run, sweep, key, axis, step, value: every point of the selected runs, in run, key
/// (as first logged) and step order.
Table export_points(Database& db, const RunSelection& selection);

/// One row per selected run: run, sweep, status, seed, steps, wall_seconds, tags, note,
/// then every parameter any of them has (sorted; empty where a run lacks it), then
/// train/loss, train/loss.min, val/loss, val/acc, val/acc.max, test/loss, test/acc,
/// test/acc.max (the last value, and the extreme where named).
Table export_wide(Database& db, const RunSelection& selection);

}  // namespace torchsweep
