#include "results/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "base/error.h"
#include "results/schema.h"
#include "results/summary_lookup.h"

namespace torchsweep {

namespace {

/// What compare shows of one run's curve.
struct CurveStats {
  SummaryLookup::Row summary;
  std::vector<double> at;  ///< NaN where the step was not logged

  double aggregate(const std::string& agg) const {
    if (agg == "min") return summary.min;
    if (agg == "max") return summary.max;
    if (agg == "mean_last_k") return summary.mean_last_k;
    return summary.last;
  }
};

/// Mean of the finite-or-infinite values, ignoring NaN; null when none.
SqlValue mean_of(const std::vector<double>& values) {
  double sum = 0;
  int count = 0;
  for (double v : values)
    if (!std::isnan(v)) sum += v, ++count;
  return count ? SqlValue(sum / count) : SqlValue(nullptr);
}

/// A step shared by every run of the group, else the mean (null when none has one).
SqlValue common_step(const std::vector<std::optional<int64_t>>& steps) {
  std::vector<double> values;
  bool same = true;
  for (const auto& s : steps) {
    if (!s) return SqlValue(nullptr);
    values.push_back(static_cast<double>(*s));
    same = same && *s == *steps.front();
  }
  return same ? SqlValue(*steps.front()) : mean_of(values);
}

/// Sample standard deviation (n - 1); null for fewer than two values.
SqlValue std_of(const std::vector<double>& values) {
  std::vector<double> finite;
  for (double v : values)
    if (!std::isnan(v)) finite.push_back(v);
  if (finite.size() < 2) return SqlValue(nullptr);
  double mean = 0;
  for (double v : finite) mean += v / static_cast<double>(finite.size());
  double ss = 0;
  for (double v : finite) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(finite.size() - 1));
}

/// Where compare_runs puts each column. fit_comparison picks columns by these
/// positions, not by name: a `--by` key may be named like a column ("n", "min",
/// "best"), and a repeated `--at` step names two columns alike.
struct ComparisonColumns {
  size_t keys;   ///< the `--by` keys come first
  size_t steps;  ///< one column per `--at` step

  size_t n() const { return keys; }
  size_t first() const { return keys + 1; }
  size_t at(size_t i) const { return keys + 2 + i; }
  size_t last() const { return keys + 2 + steps; }
  size_t min() const { return last() + 1; }
  size_t half_at() const { return last() + 2; }
  size_t last_step() const { return last() + 3; }
  size_t agg_mean() const { return last() + 4; }
  size_t agg_std() const { return last() + 5; }
  size_t best() const { return last() + 6; }
  size_t count() const { return last() + 7; }

  /// The column names, in these positions.
  std::vector<std::string> names(const CompareOptions& options) const {
    std::vector<std::string> out(count());
    std::copy(options.by.begin(), options.by.end(), out.begin());
    out[n()] = "n";
    out[first()] = options.metric + "@first";
    for (size_t i = 0; i < steps; ++i) out[at(i)] = "@" + std::to_string(options.at[i]);
    out[last()] = "last";
    out[min()] = "min";
    out[half_at()] = "half_at";
    out[last_step()] = "last_step";
    out[agg_mean()] = options.agg + "_mean";
    out[agg_std()] = options.agg + "_std";
    out[best()] = "best";
    return out;
  }
};

}  // namespace

Table compare_runs(Database& db, const CompareOptions& options, std::vector<RunGroup>* groups_out) {
  if (options.agg != "last" && options.agg != "min" && options.agg != "max" && options.agg != "mean_last_k")
    throw InputError("--agg: expected last, min, max or mean_last_k, got \"" + options.agg + "\"");
  if (!options.goal.empty() && options.goal != "min" && options.goal != "max")
    throw InputError("--goal: expected min or max, got \"" + options.goal + "\"");
  const bool maximize =
      options.goal.empty() ? options.metric.find("acc") != std::string::npos : options.goal == "max";
  // An lr-find's run is not one of the configurations compared (its rate grows as it
  // trains): left out unless asked for by id or by `kind`.
  RunSelection selection = options.runs;
  selection.training_only = true;
  const auto runs = select_runs(db, selection);
  if (runs.empty()) throw InputError("--where: no run matches");
  check_params_exist(db, runs, options.by);

  using Key = std::vector<SqlValue>;
  auto key_less = [](const Key& a, const Key& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), value_less);
  };
  std::map<Key, std::vector<CurveStats>, decltype(key_less)> groups(key_less);
  std::map<Key, std::vector<int64_t>, decltype(key_less)> group_runs(key_less);
  ParamLookup param(db);
  SummaryLookup summary(db);
  auto at_stmt = db.prepare("SELECT value FROM metrics WHERE run_id = ? AND key = ? AND step = ?");
  for (const auto& run : runs) {
    const auto row = summary(run.id, options.metric);
    if (!row) continue;
    CurveStats stats{*row, {}};
    for (int64_t step : options.at) {
      at_stmt.bind(1, run.id).bind(2, options.metric).bind(3, step);
      stats.at.push_back(at_stmt.step() && !at_stmt.is_null(0) ? at_stmt.get_double(0) : std::nan(""));
      at_stmt.reset();
    }
    Key key;
    for (const auto& k : options.by) key.push_back(param(run.id, k));
    groups[key].push_back(std::move(stats));
    group_runs[key].push_back(run.id);
  }
  if (groups.empty()) throw InputError("--metric: no selected run logged '" + options.metric + "'");

  Table table;
  table.columns = ComparisonColumns{options.by.size(), options.at.size()}.names(options);
  std::optional<double> best_value;
  size_t best_row = 0;
  for (const auto& [key, members] : groups) {
    if (groups_out) {
      RunGroup group;
      for (size_t i = 0; i < key.size(); ++i)
        group.label += (i ? ", " : "") + options.by[i] + " = " + value_text(key[i]);
      group.run_ids = group_runs[key];
      groups_out->push_back(std::move(group));
    }
    std::vector<SqlValue> row(key.begin(), key.end());
    row.emplace_back(static_cast<int64_t>(members.size()));
    auto column = [&](auto field) {
      std::vector<double> values;
      for (const auto& m : members) values.push_back(field(m));
      return mean_of(values);
    };
    row.push_back(column([](const CurveStats& m) { return m.summary.first; }));
    for (size_t i = 0; i < options.at.size(); ++i) row.push_back(column([i](const CurveStats& m) { return m.at[i]; }));
    row.push_back(column([](const CurveStats& m) { return m.summary.last; }));
    row.push_back(column([](const CurveStats& m) { return m.summary.min; }));
    std::vector<std::optional<int64_t>> half, last;
    for (const auto& m : members) {
      half.push_back(m.summary.step_half);
      last.push_back(m.summary.last_step);
    }
    row.push_back(common_step(half));
    row.push_back(common_step(last));
    std::vector<double> aggregated;
    for (const auto& m : members) aggregated.push_back(m.aggregate(options.agg));
    const SqlValue mean = mean_of(aggregated);
    row.push_back(mean);
    row.push_back(std_of(aggregated));
    row.emplace_back("");
    if (const auto* v = std::get_if<double>(&mean)) {
      if (!best_value || (maximize ? *v > *best_value : *v < *best_value)) {
        best_value = *v;
        best_row = table.rows.size();
      }
    }
    table.rows.push_back(std::move(row));
  }
  if (best_value) table.rows[best_row].back() = std::string("*");
  return table;
}

Table fit_comparison(const Table& full, const CompareOptions& options, size_t width) {
  const ComparisonColumns at{options.by.size(), options.at.size()};
  if (full.columns.size() != at.count()) return full;  // not compare_runs' table for these options
  std::vector<size_t> keep;
  for (size_t c = 0; c <= at.n(); ++c) keep.push_back(c);  // the keys and n
  for (const size_t c : {at.agg_mean(), at.agg_std(), at.best()}) keep.push_back(c);
  // What else fits, most telling first.
  std::vector<size_t> optional;
  for (size_t i = 0; i < options.at.size(); ++i) optional.push_back(at.at(i));
  if (options.agg != "min") optional.push_back(at.min());
  optional.push_back(at.first());
  optional.push_back(at.half_at());
  optional.push_back(at.last_step());
  if (options.agg != "last") optional.push_back(at.last());
  auto in_order = [&](std::vector<size_t> columns) {
    std::sort(columns.begin(), columns.end());
    columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
    return select_columns(full, columns);
  };
  for (const size_t c : optional) {
    keep.push_back(c);
    if (rendered_width(in_order(keep)) > width) keep.pop_back();
  }
  return in_order(keep);
}

}  // namespace torchsweep
