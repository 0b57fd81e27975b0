#include "cli/serve_api.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "base/error.h"
#include "base/number_text.h"
#include "cli/command.h"
#include "results/curve_envelope.h"
#include "results/curve_groups.h"
#include "results/curve_smoothing.h"
#include "results/epoch_axis.h"
#include "results/curves.h"
#include "results/metric_sink.h"
#include "results/run_selection.h"
#include "results/run_views.h"
#include "results/summary_lookup.h"
#include "results/sweep_views.h"
#include "results/table.h"

namespace torchsweep {

namespace {

using nlohmann::json;

std::string param(const ApiParams& params, const std::string& name, const std::string& fallback = "") {
  const auto it = params.find(name);
  return it == params.end() || it->second.empty() ? fallback : it->second;
}

json value_json(const SqlValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? json(*d) : json(nullptr);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

/// NaN and infinities as null: JSON has no word for them.
json number_json(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json numbers_json(const std::vector<double>& values) {
  json out = json::array();
  for (const double v : values) out.push_back(number_json(v));
  return out;
}

/// `width=` as a number of pixels, within bounds.
size_t chart_width(const ApiParams& params) {
  const std::string text = param(params, "width");
  if (text.empty()) return kDefaultChartWidth;
  const auto values = parse_integers("width", text);
  if (values.size() != 1 || values[0] < 1 || values[0] > static_cast<int64_t>(kMaxChartWidth))
    throw InputError("width: expected a number of pixels from 1 to " + std::to_string(kMaxChartWidth) + ", got " +
                     text);
  return static_cast<size_t>(values[0]);
}

/// `smooth=` as a weight of the debiased moving average, from 0 (none) to 0.999.
double smoothing_weight(const ApiParams& params) {
  const std::string text = param(params, "smooth");
  if (text.empty()) return 0;
  char* end = nullptr;
  const double w = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(w >= 0 && w <= kMaxSmoothingWeight))
    throw InputError("smooth: expected a weight from 0 (none) to " + readable_number(kMaxSmoothingWeight) +
                     ", got " + text);
  return w;
}

/// The curves of a request, each smoothed over all its points (before any thinning
/// or grouping) when `smooth=` asks for it.
std::vector<Curve> smoothed_curves(Database& db, const RunSelection& selection, const std::string& metric,
                                   const std::vector<std::string>& by, double weight) {
  auto curves = load_curves(db, selection, metric, by);
  if (weight > 0)
    for (auto& curve : curves) curve.values = debiased_ema(curve.values, weight);
  return curves;
}

/// `x=`: step (default) or epoch.
bool epoch_x(const ApiParams& params) {
  const std::string x = param(params, "x", "step");
  if (x != "step" && x != "epoch") throw InputError("x: expected step or epoch, got " + x);
  return x == "epoch";
}

/// The positions on the epoch axis of `steps` of a run's curve on `axis`: an epoch
/// curve's own epochs, a step curve's steps placed by the run's epoch ends.
json epochs_json(Database& db, int64_t run_id, MetricAxis axis, const std::vector<int64_t>& steps) {
  json out = json::array();
  if (axis == MetricAxis::Epoch) {
    for (const int64_t e : steps) out.push_back(e);
    return out;
  }
  const auto ends = epoch_ends(db, run_id);
  if (ends.empty())
    throw InputError("x: run " + std::to_string(run_id) +
                     " wrote no epoch rows (a step budget that evaluates only at its end): draw it against steps");
  for (const int64_t step : steps) out.push_back(epoch_of_step(ends, step));
  return out;
}

RunSelection selection_of(const ApiParams& params) {
  RunSelection selection{param(params, "sweep"), parse_integers("runs", param(params, "runs")),
                         param(params, "where")};
  selection.training_only = true;
  return selection;
}

const char* axis_name(MetricAxis axis) { return axis == MetricAxis::Epoch ? "epoch" : "step"; }

}  // namespace

json error_json(const std::string& message) {
  json out{{"error", message}};
  static const std::regex column("column ([0-9]+):");
  std::smatch match;
  if (std::regex_search(message, match, column)) out["column"] = std::stoll(match[1]);
  return out;
}

json sweeps_json(Database& db) {
  // The table `results sweeps` prints, in its JSON rendering: one object per sweep.
  std::ostringstream text;
  render(list_sweeps(db), TableFormat::Json, text);
  return {{"sweeps", json::parse(text.str())}};
}

json runs_json(Database& db, const ApiParams& params) {
  const std::string metric = param(params, "metric", "train/loss");
  auto runs = select_runs(db, selection_of(params));
  json out{{"metric", metric}, {"sweep", runs.empty() ? json(nullptr) : json(runs.front().sweep_id)}};
  std::set<std::string> keys;
  SummaryLookup summary(db);
  json rows = json::array();
  // The runs' ids as one JSON array, for the one query over their metric names below.
  json ids = json::array();
  for (auto& run : runs) {
    ids.push_back(run.id);
    for (const auto& item : run.swept.items()) keys.insert(item.key());
    const auto s = summary(run.id, metric);
    // One array per run, in the order of kRunColumns: 10,000 runs as objects cost more
    // to build and free than SQLite takes to read them.
    json row = json::array({run.id, run.sweep_id, run.sweep_name, run.index, run.status, run.kind,
                            std::move(run.swept), run.error, value_json(run.steps), value_json(run.wall_seconds),
                            s ? number_json(s->last) : json(nullptr), s ? number_json(s->min) : json(nullptr),
                            s ? number_json(s->max) : json(nullptr), s ? json(s->last_step) : json(nullptr)});
    rows.push_back(std::move(row));
  }
  out["params"] = json(std::vector<std::string>(keys.begin(), keys.end()));
  out["columns"] = {"id",    "sweep_id", "sweep", "index",        "status", "kind", "swept",
                    "error", "steps",    "wall_seconds", "last", "min",    "max",  "last_step"};
  out["rows"] = std::move(rows);
  // The metrics these runs logged, for the page's choice of metric: one query, which
  // SQLite answers without handing every run's 31 names to us one row at a time.
  std::vector<std::string> metrics;
  auto keys_of = db.prepare(
      "SELECT DISTINCT key FROM metric_keys WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY key");
  keys_of.bind(1, ids.dump());
  while (keys_of.step()) metrics.push_back(keys_of.get_text(0));
  out["metrics"] = json(std::move(metrics));
  return out;
}

json run_json(Database& db, const ApiParams& params) {
  const auto ids = parse_integers("id", param(params, "id"));
  if (ids.size() != 1) throw InputError("id: expected one run id, got '" + param(params, "id") + "'");
  json sections = json::array();
  for (const auto& [title, table] : show_run(db, ids[0])) {
    // Each section as `results show RUN --format json` renders it: one object per row.
    std::ostringstream text;
    render(table, TableFormat::Json, text);
    sections.push_back({{"title", title}, {"columns", table.columns}, {"rows", json::parse(text.str())}});
  }
  std::string config = "{}";
  auto stmt = db.prepare("SELECT config_json FROM runs WHERE id = ?");
  stmt.bind(1, ids[0]);
  if (stmt.step()) config = stmt.get_text(0);
  return {{"run", ids[0]}, {"config", json::parse(config)}, {"sections", std::move(sections)}};
}

json curves_json(Database& db, const ApiParams& params) {
  const std::string metric = param(params, "metric", "train/loss");
  const size_t width = chart_width(params);
  const double smooth = smoothing_weight(params);
  const bool by_epoch = epoch_x(params);
  const auto curves = smoothed_curves(db, selection_of(params), metric, {}, smooth);
  json out{{"metric", metric},
           {"axis", by_epoch ? "epoch" : curves.empty() ? "step" : axis_name(curves.front().axis)},
           {"smooth", smooth}};
  json list = json::array();
  for (const auto& curve : curves) {
    const auto kept = envelope_indices(curve.values, width);
    json item{{"run", curve.run_id},
              {"label", curve.label},
              {"stopped", curve.stopped},
              {"points", curve.steps.size()},
              {"steps", pick(curve.steps, kept)},
              {"values", numbers_json(pick(curve.values, kept))}};
    if (by_epoch) item["x"] = epochs_json(db, curve.run_id, curve.axis, pick(curve.steps, kept));
    list.push_back(std::move(item));
  }
  out["curves"] = std::move(list);
  return out;
}

json groups_json(Database& db, const ApiParams& params) {
  const std::string metric = param(params, "metric", "train/loss");
  const std::string by = param(params, "by", "optimizer.lr");
  const size_t width = chart_width(params);
  const double smooth = smoothing_weight(params);
  const bool by_epoch = epoch_x(params);
  const auto groups = group_curves(smoothed_curves(db, selection_of(params), metric, {by}, smooth));
  json out{{"metric", metric},
           {"by", by},
           {"axis", by_epoch ? "epoch" : groups.empty() ? "step" : axis_name(groups.front().axis)},
           {"smooth", smooth}};
  ParamLookup lookup(db);
  json list = json::array();
  for (const auto& group : groups) {
    std::vector<double> lower, upper;
    for (size_t i = 0; i < group.steps.size(); ++i) {
      lower.push_back(group.lower(i, Band::Std));
      upper.push_back(group.upper(i, Band::Std));
    }
    const auto kept = envelope_union({&group.mean, &group.min, &group.max, &lower, &upper}, width);
    json ids = json::array();
    for (const auto& run : group.runs) ids.push_back(run.run_id);
    json item{{"label", group.label},
              {"value", group.runs.empty() ? json(nullptr) : value_json(lookup(group.runs.front().run_id, by))},
              {"runs", std::move(ids)},
              {"steps", pick(group.steps, kept)},
              {"n", pick(group.n, kept)},
              {"mean", numbers_json(pick(group.mean, kept))},
              {"std", numbers_json(pick(group.stddev, kept))},
              {"min", numbers_json(pick(group.min, kept))},
              {"max", numbers_json(pick(group.max, kept))}};
    // A group's runs share their data set, and so their epoch ends: its first run places it.
    if (by_epoch && !group.runs.empty())
      item["x"] = epochs_json(db, group.runs.front().run_id, group.axis, pick(group.steps, kept));
    list.push_back(std::move(item));
  }
  out["groups"] = std::move(list);
  return out;
}

json updates_json(Database& db, const ApiParams& params) {
  const std::string metric = param(params, "metric", "train/loss");
  const auto runs = parse_integers("runs", param(params, "runs"));
  const auto after = parse_integers("after", param(params, "after"));
  if (after.size() != runs.size())
    throw InputError("after: expected one cursor per run (" + std::to_string(runs.size()) + "), got " +
                     std::to_string(after.size()));
  auto points = db.prepare("SELECT step, value FROM metrics WHERE run_id = ? AND key = ? AND step > ? ORDER BY step");
  auto status = db.prepare("SELECT status FROM runs WHERE id = ?");
  json list = json::array();
  for (size_t r = 0; r < runs.size(); ++r) {
    json steps = json::array(), values = json::array();
    points.bind(1, runs[r]).bind(2, metric).bind(3, after[r]);
    while (points.step()) {
      steps.push_back(points.get_int(0));
      values.push_back(points.is_null(1) ? json(nullptr) : number_json(points.get_double(1)));
    }
    points.reset();
    status.bind(1, runs[r]);
    const json state = status.step() ? json(status.get_text(0)) : json(nullptr);
    status.reset();
    list.push_back({{"run", runs[r]}, {"status", state}, {"steps", std::move(steps)}, {"values", std::move(values)}});
  }
  return {{"metric", metric}, {"runs", std::move(list)}};
}

}  // namespace torchsweep
