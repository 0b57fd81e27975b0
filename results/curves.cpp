#include "results/curves.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/error.h"
#include "base/number_text.h"
#include "results/metric_packs.h"

namespace torchsweep {

namespace {

/// A run's points of one metric into `curve`: from its pack when it has one (an ended
/// run), else from its rows, through statements prepared once for all the runs (a curve
/// view reads 10,000 runs: preparing them per run costs more than reading a short curve).
void read_points(PackReader& packs, Statement& points, int64_t run_id, const std::string& key, Curve& curve) {
  if (packs.read(run_id, key, curve.steps, curve.values)) return;
  points.bind(1, run_id).bind(2, key);
  while (points.step()) {
    curve.steps.push_back(points.get_int(0));
    curve.values.push_back(points.is_null(1) ? std::nan("") : points.get_double(1));
  }
  points.reset();
}

/// The axis a run's metric is on (metric_keys.axis; Step when it is not recorded),
/// through a statement prepared once for all the runs, as read_points.
MetricAxis read_axis(Statement& axis, int64_t run_id, const std::string& key) {
  axis.bind(1, run_id).bind(2, key);
  const MetricAxis out = axis.step() && axis.get_text(0) == "epoch" ? MetricAxis::Epoch : MetricAxis::Step;
  axis.reset();
  return out;
}

}  // namespace

std::vector<Curve> load_curves(Database& db, const RunSelection& selection, const std::string& metric,
                               const std::vector<std::string>& by) {
  const auto runs = select_runs(db, selection);
  if (runs.empty()) throw InputError("--where: no run matches");
  check_params_exist(db, runs, by);
  std::vector<std::pair<std::vector<SqlValue>, Curve>> keyed;
  ParamLookup param(db);
  std::vector<std::vector<SqlValue>> keys;
  for (const auto& run : runs) {
    keys.emplace_back();
    for (const auto& k : by) keys.back().push_back(param(run.id, k));
  }
  // Each key's numbers with as many digits as tell its values apart (six, mostly): runs
  // with equal labels form one group.
  std::vector<int> digits(by.size(), kReadableDigits);
  for (size_t k = 0; k < by.size(); ++k) {
    std::set<double> values;
    for (const auto& key : keys)
      if (const auto* d = std::get_if<double>(&key[k]); d && !std::isnan(*d)) values.insert(*d);
    auto distinct_at = [&](int n) {
      std::set<std::string> texts;
      for (const double v : values) texts.insert(readable_number(v, n));
      return texts.size() == values.size();
    };
    while (digits[k] < 17 && !distinct_at(digits[k])) ++digits[k];
  }
  auto points = db.prepare("SELECT step, value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step");
  auto axis = db.prepare("SELECT axis FROM metric_keys WHERE run_id = ? AND key = ?");
  PackReader packs(db);
  for (size_t r = 0; r < runs.size(); ++r) {
    const auto& run = runs[r];
    Curve curve;
    curve.run_id = run.id;
    const std::vector<SqlValue>& key = keys[r];
    for (size_t k = 0; k < by.size(); ++k) {
      const auto* d = std::get_if<double>(&key[k]);
      curve.label += (curve.label.empty() ? "" : ", ") + by[k] + " = " +
                     (d ? readable_number(*d, digits[k]) : value_text(key[k]));
    }
    if (curve.label.empty()) curve.label = "run " + std::to_string(run.id);
    curve.axis = read_axis(axis, run.id, metric);
    curve.stopped = run.status == to_string(RunStatus::Stopped);
    read_points(packs, points, run.id, metric, curve);
    if (!curve.steps.empty()) keyed.emplace_back(key, std::move(curve));
  }
  if (keyed.empty()) throw InputError("--metric: no selected run logged '" + metric + "'");
  // One x axis per chart and table: steps and epochs do not mix.
  for (const auto& k : keyed) {
    const Curve& first = keyed.front().second;
    if (k.second.axis != first.axis)
      throw InputError("--metric: '" + metric + "' is per " + to_string(first.axis) + " in run " +
                       std::to_string(first.run_id) + " but per " + to_string(k.second.axis) + " in run " +
                       std::to_string(k.second.run_id) + "; select runs of one kind with --where or --runs");
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return std::lexicographical_compare(a.first.begin(), a.first.end(), b.first.begin(), b.first.end(), value_less);
  });
  std::vector<Curve> curves;
  for (auto& k : keyed) curves.push_back(std::move(k.second));
  return curves;
}

Table curves_table(const std::vector<Curve>& curves) {
  Table table;
  table.columns.push_back(to_string(curves.empty() ? MetricAxis::Step : curves.front().axis));
  std::set<int64_t> steps;
  for (const auto& c : curves) {
    table.columns.push_back(c.stopped && !c.steps.empty()
                                ? c.label + " (stopped at " + std::to_string(c.steps.back()) + ")"
                                : c.label);
    steps.insert(c.steps.begin(), c.steps.end());
  }
  std::vector<std::map<int64_t, double>> by_step(curves.size());
  for (size_t i = 0; i < curves.size(); ++i)
    for (size_t j = 0; j < curves[i].steps.size(); ++j) by_step[i][curves[i].steps[j]] = curves[i].values[j];
  for (int64_t step : steps) {
    std::vector<SqlValue> row = {step};
    for (const auto& m : by_step) {
      auto it = m.find(step);
      row.push_back(it == m.end() ? SqlValue(nullptr) : SqlValue(it->second));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace torchsweep
