// The JSON API of `torchsweep results serve`: one function per route, each answering
// from one read of the database through the query code the results commands use
// (run selection and its filter, curves, curve groups, sweep views). Parameters come
// from the request's query string; no text of theirs reaches SQL except through the
// filter parser (results/filter.h), which binds values. Routes in docs/cli.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>

#include "results/sqlite.h"

namespace torchsweep {

/// A request's query parameters (the first value of each name).
using ApiParams = std::map<std::string, std::string>;

/// The chart width a curve is thinned for when `width` is not given, in pixels.
constexpr size_t kDefaultChartWidth = 800;
/// The widest chart a request may ask for: past it, thinning would keep everything.
constexpr size_t kMaxChartWidth = 10000;

/// {"error": message}, and "column": N when the message points at a column of the
/// filter ("--where: column 14: ...").
nlohmann::json error_json(const std::string& message);

/// GET /api/sweeps: {"sweeps": [one object per sweep, the columns of `results sweeps`]}.
nlohmann::json sweeps_json(Database& db);

/// GET /api/runs?sweep=&where=&metric=: the selected runs (the latest sweep by
/// default) with their status, swept parameters and the metric's last, min and max,
/// one array per run under named columns: {"sweep", "metric", "metrics": [names],
/// "params": [swept keys], "columns": ["id", "sweep_id", "sweep", "index", "status",
/// "kind", "swept", "error", "steps", "wall_seconds", "last", "min", "max",
/// "last_step"], "rows": [[...], ...]}.
nlohmann::json runs_json(Database& db, const ApiParams& params);

/// GET /api/run?id=N: one run as `results show` shows it, and its resolved config:
/// {"run", "config", "sections": [{"title", "columns", "rows": [objects]}]}
/// (sections run, params, summaries, and decisions and rungs when it has any).
nlohmann::json run_json(Database& db, const ApiParams& params);

/// GET /api/curves?runs=1,2&metric=&width=&smooth=: each run's curve, smoothed over
/// all its points when smooth= (a weight below 1) asks for it (results/curve_smoothing.h),
/// then thinned to about two points per pixel keeping each interval's min and max
/// (results/curve_envelope.h): {"metric", "axis", "smooth", "curves": [{"run", "label",
/// "steps", "values", "stopped", "points"}]}. Without runs, the runs of sweep= and where=.
/// With x=epoch each curve also has "x": its points' positions in epochs (results/epoch_axis.h).
nlohmann::json curves_json(Database& db, const ApiParams& params);

/// GET /api/groups?sweep=&where=&metric=&by=optimizer.lr&width=&smooth=: runs grouped by
/// a parameter (each run smoothed first, as for curves), per step n, mean, sample std
/// (n - 1), min and max, thinned keeping the extremes of the mean and of both bands:
/// {"metric", "by", "axis", "smooth", "groups": [{"label",
/// "value", "runs", "steps", "n", "mean", "std", "min", "max"}]}; "x" as for curves.
nlohmann::json groups_json(Database& db, const ApiParams& params);

/// GET /api/updates?runs=1,2&after=19,-1&metric=: the points of each run after its
/// cursor (the last step the page has; -1 for none), and each run's status:
/// {"runs": [{"run", "status", "steps", "values"}]}.
nlohmann::json updates_json(Database& db, const ApiParams& params);

}  // namespace torchsweep
