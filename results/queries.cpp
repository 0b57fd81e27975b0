#include "results/queries.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "results/filter.h"
#include "results/schema.h"
#include "runner/error.h"

namespace torchsweep {

namespace {

bool is_integer_text(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string value_text(const SqlValue& v) { return format_cell(v, TableFormat::Table); }

/// Orders SQL values: numbers numerically, then text.
bool value_less(const SqlValue& a, const SqlValue& b) {
  auto number = [](const SqlValue& v, double& out) {
    if (const auto* i = std::get_if<int64_t>(&v)) return out = static_cast<double>(*i), true;
    if (const auto* d = std::get_if<double>(&v)) return out = *d, true;
    return false;
  };
  double x = 0, y = 0;
  const bool nx = number(a, x), ny = number(b, y);
  if (nx && ny) return x < y;
  if (nx != ny) return nx;
  return value_text(a) < value_text(b);
}

std::vector<std::pair<int64_t, double>> metric_points(Database& db, int64_t run_id, const std::string& key) {
  auto stmt = db.prepare("SELECT step, value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step");
  stmt.bind(1, run_id).bind(2, key);
  std::vector<std::pair<int64_t, double>> out;
  while (stmt.step())
    out.emplace_back(stmt.get_int(0), stmt.is_null(1) ? std::nan("") : stmt.get_double(1));
  return out;
}

/// Looks up parameter values of many runs with one prepared statement.
class ParamLookup {
 public:
  explicit ParamLookup(Database& db) : stmt_(db.prepare("SELECT value FROM params WHERE run_id = ? AND key = ?")) {}
  SqlValue operator()(int64_t run_id, const std::string& key) {
    stmt_.bind(1, run_id).bind(2, key);
    SqlValue out = stmt_.step() ? stmt_.get(0) : SqlValue(nullptr);
    stmt_.reset();
    return out;
  }

 private:
  Statement stmt_;
};

/// InputError when no selected run has one of the `--by` keys (a typo, most likely).
void check_params_exist(Database& db, const std::vector<RunInfo>& runs, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    auto any = db.prepare("SELECT 1 FROM params WHERE key = ? LIMIT 1");
    any.bind(1, key);
    bool found = false;
    if (any.step()) {  // present somewhere: check the selection
      ParamLookup lookup(db);
      for (const auto& run : runs)
        if (!std::holds_alternative<std::nullptr_t>(lookup(run.id, key))) {
          found = true;
          break;
        }
    }
    if (found) continue;
    std::vector<std::string> known;
    auto stmt = db.prepare("SELECT DISTINCT key FROM params WHERE run_id = ? ORDER BY key");
    stmt.bind(1, runs.front().id);
    while (stmt.step()) known.push_back(stmt.get_text(0));
    std::string message = "--by: no selected run has the parameter '" + key + "'";
    const std::string close = closest_match(key, known);
    if (!close.empty()) message += " (did you mean '" + close + "'?)";
    throw InputError(message + "; parameters: " + join(known));
  }
}

/// A run's summary of one metric: from `summaries` when the run has ended, else
/// computed from its points by the same SQL.
class SummaryLookup {
 public:
  struct Row {
    double first = 0, last = 0, min = 0, max = 0, mean_last_k = 0;
    int64_t last_step = 0;
    std::optional<int64_t> step_half;
  };
  explicit SummaryLookup(Database& db)
      : stored_(db.prepare("SELECT first, last, min, max, mean_last_k, last_step, step_half FROM summaries "
                           "WHERE run_id = ? AND key = ?")),
        live_(db.prepare("SELECT first, last, min, max, mean_last_k, last_step, step_half FROM (" +
                         summary_select_sql() + ")")) {}

  std::optional<Row> operator()(int64_t run_id, const std::string& key) {
    stored_.bind(1, run_id).bind(2, key);
    std::optional<Row> row = read(stored_);
    stored_.reset();
    if (row) return row;
    live_.bind(1, run_id).bind(2, static_cast<int64_t>(kSummaryLastK)).bind(3, key);
    row = read(live_);
    live_.reset();
    return row;
  }

 private:
  static std::optional<Row> read(Statement& stmt) {
    if (!stmt.step()) return std::nullopt;
    auto real = [&](int c) { return stmt.is_null(c) ? std::nan("") : stmt.get_double(c); };
    Row r{real(0), real(1), real(2), real(3), real(4), stmt.get_int(5), std::nullopt};
    if (!stmt.is_null(6)) r.step_half = stmt.get_int(6);
    return r;
  }
  Statement stored_;
  Statement live_;
};

}  // namespace

SqlValue param_value(Database& db, int64_t run_id, const std::string& key) {
  auto stmt = db.prepare("SELECT value FROM params WHERE run_id = ? AND key = ?");
  stmt.bind(1, run_id).bind(2, key);
  return stmt.step() ? stmt.get(0) : SqlValue(nullptr);
}

std::pair<std::string, std::vector<SqlValue>> sweep_condition(const std::string& sweep, const std::string& column) {
  // A sweep's name, or no name (the latest sweep), means the sweep a spec ran, not the
  // one-run sweeps `rerun` adds under the same name: those are seen by id or with "all".
  if (sweep.empty()) return {column + " = (SELECT max(id) FROM sweeps WHERE mode <> 'rerun')", {}};
  if (sweep == "all") return {"1", {}};
  if (is_integer_text(sweep)) {
    try {
      return {column + " = ?", {SqlValue(static_cast<int64_t>(std::stoll(sweep)))}};
    } catch (const std::out_of_range&) {
      throw InputError("--sweep: no sweep '" + sweep + "' in this database");
    }
  }
  return {column + " = (SELECT max(id) FROM sweeps WHERE name = ? AND mode <> 'rerun')", {SqlValue(sweep)}};
}

std::vector<RunInfo> select_runs(Database& db, const RunSelection& selection) {
  std::vector<std::string> metrics, params;
  if (!selection.where.empty()) {
    auto keys = db.prepare("SELECT key FROM summaries UNION SELECT key FROM metric_keys ORDER BY 1");
    while (keys.step()) metrics.push_back(keys.get_text(0));
    auto param_keys = db.prepare("SELECT DISTINCT key FROM params ORDER BY key");
    while (param_keys.step()) params.push_back(param_keys.get_text(0));
  }
  const SqlFilter filter = parse_filter(selection.where, metrics, &params);
  std::string where;
  std::vector<SqlValue> binds;
  if (!selection.run_ids.empty()) {
    where = "r.id IN (";
    for (size_t i = 0; i < selection.run_ids.size(); ++i) {
      where += i ? ", ?" : "?";
      binds.emplace_back(selection.run_ids[i]);
    }
    where += ")";
  } else {
    std::tie(where, binds) = sweep_condition(selection.sweep, "r.sweep_id");
  }
  auto stmt = db.prepare(
      "SELECT r.id, r.sweep_id, s.name, r.run_index, r.status, r.config_hash, r.swept_json, r.error, r.steps, "
      "r.wall_seconds FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE " +
      where + " AND " + filter.where + " ORDER BY r.id");
  binds.insert(binds.end(), filter.binds.begin(), filter.binds.end());
  for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<RunInfo> runs;
  while (stmt.step()) {
    RunInfo r;
    r.id = stmt.get_int(0);
    r.sweep_id = stmt.get_int(1);
    r.sweep_name = stmt.get_text(2);
    r.index = stmt.get_int(3);
    r.status = stmt.get_text(4);
    r.config_hash = stmt.get_text(5);
    r.swept = nlohmann::json::parse(stmt.get_text(6), nullptr, false);
    r.error = stmt.get_text(7);
    r.steps = stmt.get(8);
    r.wall_seconds = stmt.get(9);
    runs.push_back(std::move(r));
  }
  if (runs.empty()) {
    if (!selection.run_ids.empty()) throw InputError("no run with the id(s) given in this database");
    if (!selection.where.empty()) return runs;  // a filter may rightly match nothing
    if (selection.sweep.empty() || selection.sweep == "all") throw InputError("the database holds no runs yet");
    throw InputError("--sweep: no sweep '" + selection.sweep + "' in this database");
  }
  return runs;
}

Table list_runs(Database& db, const RunSelection& selection) {
  const auto runs = select_runs(db, selection);
  std::vector<std::string> swept_keys;
  for (const auto& run : runs)
    if (run.swept.is_object())
      for (const auto& item : run.swept.items())
        if (std::find(swept_keys.begin(), swept_keys.end(), item.key()) == swept_keys.end())
          swept_keys.push_back(item.key());
  Table table;
  table.columns = {"run", "sweep", "status"};
  for (const auto& k : swept_keys) table.columns.push_back(k);
  for (const auto& c : {"config_hash", "steps", "train/loss", "seconds"}) table.columns.push_back(c);
  ParamLookup param(db);
  SummaryLookup summary(db);
  for (const auto& run : runs) {
    std::vector<SqlValue> row = {run.id, run.sweep_name + " #" + std::to_string(run.sweep_id), run.status};
    for (const auto& k : swept_keys) row.push_back(param(run.id, k));
    const auto loss = summary(run.id, "train/loss");
    row.push_back(run.config_hash);
    row.push_back(run.steps);
    row.push_back(loss ? SqlValue(loss->last) : SqlValue(nullptr));
    row.push_back(run.wall_seconds);
    table.rows.push_back(std::move(row));
  }
  return table;
}

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

}  // namespace

Table compare_runs(Database& db, const CompareOptions& options) {
  if (options.agg != "last" && options.agg != "min" && options.agg != "max" && options.agg != "mean_last_k")
    throw InputError("--agg: expected last, min, max or mean_last_k, got \"" + options.agg + "\"");
  if (!options.goal.empty() && options.goal != "min" && options.goal != "max")
    throw InputError("--goal: expected min or max, got \"" + options.goal + "\"");
  const bool maximize =
      options.goal.empty() ? options.metric.find("acc") != std::string::npos : options.goal == "max";
  const auto runs = select_runs(db, options.runs);
  if (runs.empty()) throw InputError("--where: no run matches");
  check_params_exist(db, runs, options.by);

  using Key = std::vector<SqlValue>;
  auto key_less = [](const Key& a, const Key& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), value_less);
  };
  std::map<Key, std::vector<CurveStats>, decltype(key_less)> groups(key_less);
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
  }
  if (groups.empty()) throw InputError("--metric: no selected run logged '" + options.metric + "'");

  Table table;
  table.columns = options.by;
  table.columns.push_back("n");
  table.columns.push_back(options.metric + "@first");
  for (int64_t step : options.at) table.columns.push_back("@" + std::to_string(step));
  for (const auto& c : {"last", "min", "half_at", "last_step"}) table.columns.push_back(c);
  table.columns.push_back(options.agg + "_mean");
  table.columns.push_back(options.agg + "_std");
  table.columns.push_back("best");
  std::optional<double> best_value;
  size_t best_row = 0;
  for (const auto& [key, members] : groups) {
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

MetricAxis metric_axis(Database& db, int64_t run_id, const std::string& key) {
  auto stmt = db.prepare("SELECT axis FROM metric_keys WHERE run_id = ? AND key = ?");
  stmt.bind(1, run_id).bind(2, key);
  return stmt.step() && stmt.get_text(0) == "epoch" ? MetricAxis::Epoch : MetricAxis::Step;
}

std::vector<Curve> load_curves(Database& db, const RunSelection& selection, const std::string& metric,
                               const std::vector<std::string>& by) {
  const auto runs = select_runs(db, selection);
  if (runs.empty()) throw InputError("--where: no run matches");
  check_params_exist(db, runs, by);
  std::vector<std::pair<std::vector<SqlValue>, Curve>> keyed;
  ParamLookup param(db);
  for (const auto& run : runs) {
    Curve curve;
    curve.run_id = run.id;
    std::vector<SqlValue> key;
    for (const auto& k : by) {
      key.push_back(param(run.id, k));
      curve.label += (curve.label.empty() ? "" : ", ") + k + " = " + value_text(key.back());
    }
    if (curve.label.empty()) curve.label = "run " + std::to_string(run.id);
    curve.axis = metric_axis(db, run.id, metric);
    for (const auto& [step, value] : metric_points(db, run.id, metric)) {
      curve.steps.push_back(step);
      curve.values.push_back(value);
    }
    if (!curve.steps.empty()) keyed.emplace_back(std::move(key), std::move(curve));
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
    table.columns.push_back(c.label);
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

Table export_run(Database& db, int64_t run_id) {
  select_runs(db, RunSelection{"", {run_id}, ""});  // checks that the run exists
  Table table;
  std::vector<std::string> ordered;
  std::set<std::string> per_epoch;
  auto keys = db.prepare("SELECT key, axis FROM metric_keys WHERE run_id = ? ORDER BY position");
  keys.bind(1, run_id);
  while (keys.step()) {
    ordered.push_back(keys.get_text(0));
    if (keys.get_text(1) == "epoch") per_epoch.insert(keys.get_text(0));
  }
  // An `epoch` column only for a run that has rows on the epoch axis.
  table.columns = {"step"};
  if (!per_epoch.empty()) table.columns.push_back("epoch");
  std::map<std::string, size_t> column;
  for (const auto& key : ordered) {
    column[key] = table.columns.size();
    table.columns.push_back(key);
  }
  // Rows keyed by (step, kind, epoch): an epoch's row sits after the last step of its
  // epoch, before the row of the next step (which logs at the steps done before it).
  struct RowKey {
    int64_t step;   // steps done; an epoch row whose end is unknown goes after every step
    int kind;       // -1: an epoch row, 0: a step row
    int64_t epoch;
    bool operator<(const RowKey& o) const { return std::tie(step, kind, epoch) < std::tie(o.step, o.kind, o.epoch); }
  };
  // Where each epoch ended: the trainer logs it (train/steps, on the epoch axis); for a
  // run recorded before it did, a finished epoch budget gives it.
  std::map<int64_t, int64_t> epoch_end;
  auto ends = db.prepare("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'train/steps'");
  ends.bind(1, run_id);
  while (ends.step())
    if (!ends.is_null(1)) epoch_end[ends.get_int(0)] = static_cast<int64_t>(ends.get_double(1));
  if (epoch_end.empty()) {
    auto run = db.prepare("SELECT steps, config_json FROM runs WHERE id = ? AND status = 'finished'");
    run.bind(1, run_id);
    if (run.step() && !run.is_null(0) && !run.is_null(1)) {
      const auto config = nlohmann::json::parse(run.get_text(1), nullptr, /*allow_exceptions=*/false);
      const nlohmann::json epochs = config.is_object() ? config.value("train", nlohmann::json::object()).value("epochs", nlohmann::json())
                                                       : nlohmann::json();
      const int64_t total = run.get_int(0);
      if (epochs.is_number_integer() && epochs.get<int64_t>() > 0 && total % epochs.get<int64_t>() == 0)
        for (int64_t e = 1; e <= epochs.get<int64_t>(); ++e) epoch_end[e] = total / epochs.get<int64_t>() * e;
    }
  }
  auto points = db.prepare("SELECT step, key, value FROM metrics WHERE run_id = ? ORDER BY step, key");
  points.bind(1, run_id);
  std::map<RowKey, std::vector<SqlValue>> rows;
  while (points.step()) {
    const std::string key = points.get_text(1);
    if (!column.count(key)) {  // written by a tool that did not record key order
      column[key] = table.columns.size();
      table.columns.push_back(key);
      for (auto& kv : rows) kv.second.resize(table.columns.size(), nullptr);
    }
    const int64_t at = points.get_int(0);
    RowKey where{at, 0, 0};
    if (per_epoch.count(key)) {
      auto end = epoch_end.find(at);
      where = {end == epoch_end.end() ? std::numeric_limits<int64_t>::max() : end->second, -1, at};
    }
    auto& row = rows[where];
    if (row.empty()) {
      row.assign(table.columns.size(), nullptr);
      if (where.kind == 0) {
        row[0] = at;
      } else {
        row[1] = at;
        if (where.step != std::numeric_limits<int64_t>::max()) row[0] = where.step;
      }
    }
    row.resize(table.columns.size(), nullptr);
    row[column[key]] = points.get(2);
  }
  for (auto& kv : rows) {
    kv.second.resize(table.columns.size(), nullptr);
    table.rows.push_back(std::move(kv.second));
  }
  return table;
}

std::vector<std::pair<std::string, Table>> show_run(Database& db, int64_t run_id) {
  select_runs(db, RunSelection{"", {run_id}, ""});  // checks that the run exists
  std::vector<std::pair<std::string, Table>> sections;
  Table record;
  record.columns = {"field", "value"};
  auto stmt = db.prepare("SELECT * FROM runs WHERE id = ?");
  stmt.bind(1, run_id);
  if (stmt.step())
    for (int c = 0; c < stmt.columns(); ++c)
      if (stmt.column_name(c) != "config_json") record.rows.push_back({stmt.column_name(c), stmt.get(c)});
  sections.emplace_back("run", std::move(record));
  Table params;
  params.columns = {"param", "value"};
  auto p = db.prepare("SELECT key, value FROM params WHERE run_id = ? ORDER BY key");
  p.bind(1, run_id);
  while (p.step()) params.rows.push_back({p.get_text(0), p.get(1)});
  sections.emplace_back("params", std::move(params));
  Table summaries;
  summaries.columns = {"metric", "count", "first", "last", "min", "step_min", "max", "step_max", "mean_last_k"};
  auto s = db.prepare(
      "SELECT key, count, first, last, min, step_min, max, step_max, mean_last_k FROM summaries WHERE run_id = ? "
      "ORDER BY key");
  s.bind(1, run_id);
  while (s.step()) {
    std::vector<SqlValue> row;
    for (int c = 0; c < 9; ++c) row.push_back(s.get(c));
    summaries.rows.push_back(std::move(row));
  }
  sections.emplace_back("summaries", std::move(summaries));
  return sections;
}

Table run_sql(Database& db, const std::string& sql) {
  // The connection is read-only as well; query_only makes the refusal explicit.
  db.exec("PRAGMA query_only = ON");
  Table table;
  try {
    auto stmt = db.prepare(sql);
    for (int c = 0; c < stmt.columns(); ++c) table.columns.push_back(stmt.column_name(c));
    while (stmt.step()) {
      std::vector<SqlValue> row;
      for (int c = 0; c < stmt.columns(); ++c) row.push_back(stmt.get(c));
      table.rows.push_back(std::move(row));
    }
  } catch (const DatabaseError& e) {
    const int primary = e.code() & 0xff;
    if (primary == 8 /* SQLITE_READONLY */)
      throw InputError("results sql: the database is opened read-only, so writes are refused (" + std::string(e.what()) + ")");
    throw InputError(std::string("results sql: ") + e.what());
  }
  return table;
}

}  // namespace torchsweep
