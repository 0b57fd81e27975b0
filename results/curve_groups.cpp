#include "results/curve_groups.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "base/error.h"

namespace torchsweep {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Fills the group's per-step aggregate from its runs.
void aggregate(CurveGroup& group) {
  // Every step any run logged, ascending: runs of one sweep mostly share their steps,
  // so each run is then walked once against this union (no map of steps to values;
  // 10,000 runs × 1,000 steps is 10 million points).
  std::vector<int64_t> steps;
  for (const auto& run : group.runs) {
    // Most runs add no step: checking that costs one pass, merging a copy and a buffer.
    if (std::includes(steps.begin(), steps.end(), run.steps.begin(), run.steps.end())) continue;
    const auto middle = steps.size();
    steps.insert(steps.end(), run.steps.begin(), run.steps.end());
    std::inplace_merge(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(middle), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  }
  const size_t m = steps.size();
  std::vector<int64_t> count(m, 0);
  std::vector<double> sum(m, 0), low(m, kNaN), high(m, kNaN);
  // The position in `steps` of each run's j-th point (a run's steps ascend).
  auto for_each_point = [&](auto&& visit) {
    for (const auto& run : group.runs) {
      size_t at = 0;
      for (size_t j = 0; j < run.steps.size(); ++j) {
        while (steps[at] != run.steps[j]) ++at;
        visit(at, run.values[j]);
      }
    }
  };
  // Sums in the order of the runs, as the mean's definition reads them.
  for_each_point([&](size_t at, double v) {
    if (std::isnan(v)) return;  // a NaN point is no value
    ++count[at];
    sum[at] += v;
    low[at] = count[at] == 1 ? v : std::min(low[at], v);
    high[at] = count[at] == 1 ? v : std::max(high[at], v);
  });
  std::vector<double> mean(m, kNaN), squares(m, 0);
  for (size_t i = 0; i < m; ++i)
    if (count[i] > 0) mean[i] = sum[i] / static_cast<double>(count[i]);
  for_each_point([&](size_t at, double v) {
    if (!std::isnan(v)) squares[at] += (v - mean[at]) * (v - mean[at]);
  });
  group.steps = std::move(steps);
  group.n = count;
  group.mean = std::move(mean);
  group.min = std::move(low);
  group.max = std::move(high);
  group.stddev.assign(m, kNaN);
  for (size_t i = 0; i < m; ++i)
    if (count[i] >= 2) group.stddev[i] = std::sqrt(squares[i] / static_cast<double>(count[i] - 1));
}

/// A double cell, or null where the value is undefined.
SqlValue cell(double v) { return std::isnan(v) ? SqlValue(nullptr) : SqlValue(v); }

}  // namespace

Band parse_band(const std::string& text) {
  if (text == "minmax") return Band::MinMax;
  if (text == "std") return Band::Std;
  if (text == "none") return Band::None;
  throw InputError("--band: expected minmax, std or none, got \"" + text + "\"");
}

double CurveGroup::lower(size_t i, Band band) const {
  if (band == Band::MinMax) return min[i];
  if (band == Band::Std) return mean[i] - stddev[i];
  return kNaN;
}

double CurveGroup::upper(size_t i, Band band) const {
  if (band == Band::MinMax) return max[i];
  if (band == Band::Std) return mean[i] + stddev[i];
  return kNaN;
}

std::vector<CurveGroup> group_curves(std::vector<Curve> curves) {
  std::vector<CurveGroup> groups;
  std::map<std::string, size_t> index;
  for (auto& curve : curves) {
    const auto [it, added] = index.emplace(curve.label, groups.size());
    if (added) {
      groups.emplace_back();
      groups.back().label = curve.label;
      groups.back().axis = curve.axis;
    }
    groups[it->second].runs.push_back(std::move(curve));
  }
  for (auto& group : groups) aggregate(group);
  return groups;
}

bool has_repeats(const std::vector<CurveGroup>& groups) {
  return std::any_of(groups.begin(), groups.end(), [](const CurveGroup& g) { return g.runs.size() > 1; });
}

void check_downsample(const Downsample& options) {
  if (options.every < 1)
    throw InputError("--every: expected an integer >= 1 (keep every Nth step), got " + std::to_string(options.every));
  if (options.points && *options.points < 2)
    throw InputError("--points: expected an integer >= 2 (the first and last steps are always kept), got " +
                     std::to_string(*options.points));
}

std::vector<size_t> downsample_indices(size_t count, const Downsample& options) {
  check_downsample(options);
  std::vector<size_t> kept;
  const auto every = static_cast<size_t>(options.every);
  for (size_t i = 0; i < count; i += every) kept.push_back(i);
  if (count > 0 && kept.back() != count - 1) kept.push_back(count - 1);  // the last value matters most
  const auto points = static_cast<size_t>(options.points.value_or(0));
  if (!options.points || kept.size() <= points) return kept;
  // Evenly spaced positions k (m - 1) / (points - 1), rounded: 0 and m - 1 are among them,
  // and with fewer points than m they are all distinct.
  const size_t m = kept.size();
  std::vector<size_t> out;
  for (size_t k = 0; k < points; ++k) out.push_back(kept[(k * (m - 1) + (points - 1) / 2) / (points - 1)]);
  return out;
}

Curve downsample(const Curve& curve, const Downsample& options) {
  Curve out;
  out.run_id = curve.run_id;
  out.label = curve.label;
  out.axis = curve.axis;
  out.stopped = curve.stopped;
  for (size_t i : downsample_indices(curve.steps.size(), options)) {
    out.steps.push_back(curve.steps[i]);
    out.values.push_back(curve.values[i]);
  }
  return out;
}

CurveGroup downsample(const CurveGroup& group, const Downsample& options) {
  CurveGroup out;
  out.label = group.label;
  out.axis = group.axis;
  for (const auto& run : group.runs) out.runs.push_back(downsample(run, options));
  for (size_t i : downsample_indices(group.steps.size(), options)) {
    out.steps.push_back(group.steps[i]);
    out.n.push_back(group.n[i]);
    out.mean.push_back(group.mean[i]);
    out.min.push_back(group.min[i]);
    out.max.push_back(group.max[i]);
    out.stddev.push_back(group.stddev[i]);
  }
  return out;
}

Table groups_table(const std::vector<CurveGroup>& groups, std::optional<Band> band) {
  if (band == Band::None || (!band && !has_repeats(groups))) {
    std::vector<Curve> runs;
    for (const auto& group : groups) runs.insert(runs.end(), group.runs.begin(), group.runs.end());
    return curves_table(runs);
  }
  Table table;
  table.columns.push_back(to_string(groups.empty() ? MetricAxis::Step : groups.front().axis));
  for (const auto& group : groups) {
    // Runs stopped early leave the mean where they stop: the column says how many.
    const auto stopped = std::count_if(group.runs.begin(), group.runs.end(), [](const Curve& c) { return c.stopped; });
    table.columns.push_back(group.label + " mean" +
                            (stopped ? " (" + std::to_string(stopped) + " of " + std::to_string(group.runs.size()) +
                                           " stopped)"
                                     : std::string()));
    if (band == Band::MinMax) {
      table.columns.push_back(group.label + " min");
      table.columns.push_back(group.label + " max");
    } else if (band == Band::Std) {
      table.columns.push_back(group.label + " -std");
      table.columns.push_back(group.label + " +std");
    }
  }
  // One row per step of any group; each group's index of that step, if it has it.
  std::map<int64_t, std::vector<std::optional<size_t>>> rows;
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t i = 0; i < groups[g].steps.size(); ++i) {
      auto& row = rows[groups[g].steps[i]];
      row.resize(groups.size());
      row[g] = i;
    }
  for (auto& [step, where] : rows) {
    where.resize(groups.size());
    std::vector<SqlValue> row = {step};
    for (size_t g = 0; g < groups.size(); ++g) {
      const auto& i = where[g];
      row.push_back(i ? cell(groups[g].mean[*i]) : SqlValue(nullptr));
      if (band == Band::MinMax || band == Band::Std) {
        row.push_back(i ? cell(groups[g].lower(*i, *band)) : SqlValue(nullptr));
        row.push_back(i ? cell(groups[g].upper(*i, *band)) : SqlValue(nullptr));
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace torchsweep
