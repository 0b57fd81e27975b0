#include "results/run_selection.h"

#include <algorithm>

#include "base/error.h"
#include "results/filter.h"
#include "results/summary_lookup.h"

namespace torchsweep {

namespace {

bool is_integer_text(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string value_text(const SqlValue& v) { return format_cell(v, TableFormat::Table); }

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

FilterNames database_names(Database& db) {
  // Each name the filter holds is looked up by key: summaries and params have an index
  // on it, so a filter costs the same whether runs log 2 metrics or 31. metric_keys
  // (a running run's metrics, before it has summaries) is scanned only for a name the
  // summaries lack.
  FilterNames names;
  names.is_metric = [&db](const std::string& name) {
    for (const char* sql : {"SELECT 1 FROM summaries WHERE key = ? LIMIT 1", "SELECT 1 FROM metric_keys WHERE key = ? LIMIT 1"}) {
      auto stmt = db.prepare(sql);
      stmt.bind(1, name);
      if (stmt.step()) return true;
    }
    return false;
  };
  names.is_param = [&db](const std::string& name) {
    auto stmt = db.prepare("SELECT 1 FROM params WHERE key = ? LIMIT 1");
    stmt.bind(1, name);
    return stmt.step();
  };
  names.metrics = [&db] {
    std::vector<std::string> out;
    auto keys = db.prepare("SELECT key FROM summaries UNION SELECT key FROM metric_keys ORDER BY 1");
    while (keys.step()) out.push_back(keys.get_text(0));
    return out;
  };
  names.params = [&db] {
    std::vector<std::string> out;
    auto keys = db.prepare("SELECT DISTINCT key FROM params ORDER BY key");
    while (keys.step()) out.push_back(keys.get_text(0));
    return out;
  };
  return names;
}

std::vector<RunInfo> select_runs(Database& db, const RunSelection& selection) {
  const SqlFilter filter = parse_filter(selection.where, database_names(db));
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
  binds.insert(binds.end(), filter.binds.begin(), filter.binds.end());
  // Runs of other kinds stay out only where the caller asked for training runs and the
  // user named neither run ids nor `kind`.
  const bool training_only = selection.training_only && selection.run_ids.empty() &&
                             std::find(filter.columns.begin(), filter.columns.end(), "kind") == filter.columns.end();
  auto query = [&](bool only_training) {
    auto stmt = db.prepare(
        "SELECT r.id, r.sweep_id, s.name, r.run_index, r.status, r.config_hash, r.swept_json, r.error, r.steps, "
        "r.wall_seconds, r.kind FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE " +
        where + " AND " + filter.where + (only_training ? " AND r.kind = 'train'" : "") + " ORDER BY r.id");
    for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
    std::vector<RunInfo> found;
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
      r.kind = stmt.get_text(10);
      found.push_back(std::move(r));
    }
    return found;
  };
  std::vector<RunInfo> runs = query(training_only);
  if (runs.empty() && training_only && !query(false).empty())
    throw InputError("the selected runs are all lr-find runs, which are left out here unless asked for: "
                     "--where 'kind = lr_find'");
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
  // Which runs are not training runs (an lr-find) shows only where some are not.
  const bool kinds = std::any_of(runs.begin(), runs.end(), [](const RunInfo& r) { return r.kind != "train"; });
  Table table;
  table.columns = {"run", "sweep", "status"};
  if (kinds) table.columns.push_back("kind");
  for (const auto& k : swept_keys) table.columns.push_back(k);
  for (const auto& c : {"config_hash", "steps", "train/loss", "seconds"}) table.columns.push_back(c);
  table.durations = {"seconds"};
  ParamLookup param(db);
  SummaryLookup summary(db);
  for (const auto& run : runs) {
    std::vector<SqlValue> row = {run.id, run.sweep_name + " #" + std::to_string(run.sweep_id), run.status};
    if (kinds) row.emplace_back(run.kind);
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

}  // namespace torchsweep
