#include "results/run_views.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "base/error.h"
#include "results/annotations.h"
#include "results/decision_views.h"
#include "results/metric_sink.h"
#include "results/run_selection.h"

namespace torchsweep {

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
    auto run = db.prepare("SELECT steps, config_json FROM runs WHERE id = ? AND status = ?");
    run.bind(1, run_id).bind(2, to_string(RunStatus::Finished));
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
  std::string tags;
  for (const auto& tag : tags_of(db, run_id)) tags += (tags.empty() ? "" : ",") + tag;
  record.rows.push_back({"tags", tags.empty() ? SqlValue(nullptr) : SqlValue(tags)});
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
  // A run of an adaptive sweep: what was decided about it and the rungs it reached.
  Table decisions = run_decisions(db, run_id);
  if (!decisions.rows.empty()) sections.emplace_back("decisions", std::move(decisions));
  Table rungs = run_rungs(db, run_id);
  if (!rungs.rows.empty()) sections.emplace_back("rungs", std::move(rungs));
  return sections;
}

}  // namespace torchsweep
