#include "results/sweep_export.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace torchsweep {

namespace {

/// A JSON value from SQLite's json_group_object as a cell, its type kept.
SqlValue cell(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return static_cast<int64_t>(value.get<bool>());
  if (value.is_null()) return nullptr;
  return value.dump();
}

}  // namespace

Table export_points(Database& db, const RunSelection& selection) {
  const auto runs = select_runs(db, selection);
  Table table;
  table.columns = {"run", "sweep", "key", "axis", "step", "value"};
  auto points = db.prepare(
      "SELECT k.key, k.axis, m.step, m.value FROM metric_keys k JOIN metrics m ON m.run_id = k.run_id AND m.key = k.key "
      "WHERE k.run_id = ? ORDER BY k.position, m.step");
  for (const auto& run : runs) {
    points.bind(1, run.id);
    while (points.step())
      table.rows.push_back({run.id, run.sweep_name, points.get_text(0), points.get_text(1), points.get_int(2),
                            points.get(3)});
    points.reset();
  }
  return table;
}

Table export_wide(Database& db, const RunSelection& selection) {
  const auto runs = select_runs(db, selection);
  const std::vector<std::string> record = {"run_id", "sweep", "status", "seed", "steps", "wall_seconds", "tags", "note"};
  const std::vector<std::string> summaries = {"train/loss", "train/loss.min", "val/loss",  "val/acc",
                                              "val/acc.max", "test/loss",     "test/acc", "test/acc.max"};
  std::string columns;
  for (const auto& c : record) columns += "\"" + c + "\", ";
  for (const auto& c : summaries) columns += "\"" + c + "\", ";
  auto row_of = db.prepare("SELECT " + columns + "params FROM runs_wide WHERE run_id = ?");
  std::vector<std::vector<SqlValue>> fixed;
  std::vector<nlohmann::json> params;
  std::set<std::string> keys;
  for (const auto& run : runs) {
    row_of.bind(1, run.id);
    if (!row_of.step()) continue;
    std::vector<SqlValue> values;
    for (int c = 0; c < row_of.columns() - 1; ++c) values.push_back(row_of.get(c));
    fixed.push_back(std::move(values));
    const int last = row_of.columns() - 1;
    params.push_back(row_of.is_null(last) ? nlohmann::json::object() : nlohmann::json::parse(row_of.get_text(last)));
    for (const auto& item : params.back().items()) keys.insert(item.key());
    row_of.reset();
  }
  Table table;
  table.columns = record;
  table.columns.front() = "run";
  table.columns.insert(table.columns.end(), keys.begin(), keys.end());
  table.columns.insert(table.columns.end(), summaries.begin(), summaries.end());
  for (size_t i = 0; i < fixed.size(); ++i) {
    std::vector<SqlValue> row(fixed[i].begin(), fixed[i].begin() + static_cast<long>(record.size()));
    for (const auto& key : keys) row.push_back(params[i].contains(key) ? cell(params[i][key]) : SqlValue(nullptr));
    row.insert(row.end(), fixed[i].begin() + static_cast<long>(record.size()), fixed[i].end());
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace torchsweep
