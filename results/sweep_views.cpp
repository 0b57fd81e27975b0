#include "results/sweep_views.h"

#include <nlohmann/json.hpp>

#include <string>

#include "base/shell.h"
#include "results/metric_sink.h"

namespace torchsweep {

std::string overrides_text(const std::string& overrides_json) {
  const auto list = nlohmann::json::parse(overrides_json, nullptr, /*allow_exceptions=*/false);
  if (!list.is_array()) return overrides_json;  // not written by torchsweep: shown as it is
  std::string text;
  for (const auto& item : list) {
    // Quoted as a shell needs it, so that the line can be pasted after `torchsweep run SPEC`.
    text += (text.empty() ? "" : " ") + shell_quote(item.is_string() ? item.get<std::string>() : item.dump());
  }
  return text;
}

Table list_sweeps(Database& db) {
  // One count column per status, each bound (statuses are named in one place only).
  const auto& statuses = all_run_statuses();
  std::string counts;
  for (size_t i = 0; i < statuses.size(); ++i)
    counts += ", coalesce(sum(r.status = ?" + std::to_string(i + 1) + "), 0)";
  auto stmt = db.prepare("SELECT s.id, s.name, s.mode, s.launcher, s.created_at, count(r.id)" + counts +
                         ", sum(r.wall_seconds), s.spec_path, s.overrides FROM sweeps s LEFT JOIN runs r ON r.sweep_id = s.id "
                         "GROUP BY s.id ORDER BY s.id");
  for (size_t i = 0; i < statuses.size(); ++i) stmt.bind(static_cast<int>(i + 1), std::string(to_string(statuses[i])));
  Table table;
  table.columns = {"sweep", "name", "mode", "launcher", "created", "runs"};
  for (const auto status : statuses) table.columns.push_back(to_string(status));
  table.columns.push_back("seconds");
  table.columns.push_back("spec");
  table.columns.push_back("overrides");
  table.durations = {"seconds"};
  const int overrides = stmt.columns() - 1;
  while (stmt.step()) {
    std::vector<SqlValue> row;
    for (int c = 0; c < overrides; ++c) row.push_back(stmt.get(c));
    row.emplace_back(overrides_text(stmt.get_text(overrides)));
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace torchsweep
