#include "launch/status.h"

#include <fmt/format.h>

#include "base/error.h"
#include "launch/slurm_report.h"
#include "results/metric_sink.h"
#include "results/run_selection.h"
#include "results/table.h"

namespace torchsweep {

namespace {

/// The launchers that know more about their sweeps than the database does; a new
/// launcher with state of its own adds its report here.
using LauncherReporter = LauncherReport (*)(const nlohmann::json& state);
const std::map<std::string, LauncherReporter>& launcher_reporters() {
  static const std::map<std::string, LauncherReporter> reporters = {{"slurm", &slurm_report}};
  return reporters;
}

struct SweepRow {
  int64_t id = 0;
  std::string name, created, launcher, launcher_state;
};

std::vector<SweepRow> select_sweeps(Database& db, const std::string& sweep) {
  const auto [where, binds] = sweep_condition(sweep, "id");
  auto stmt = db.prepare("SELECT id, name, created_at, launcher, launcher_state FROM sweeps WHERE " + where +
                         " ORDER BY id");
  for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<SweepRow> rows;
  while (stmt.step())
    rows.push_back({stmt.get_int(0), stmt.get_text(1), stmt.get_text(2), stmt.get_text(3), stmt.get_text(4)});
  if (rows.empty())
    throw InputError(sweep.empty() ? db.path() + ": no sweeps recorded yet"
                                   : "status: no sweep '" + sweep + "' in " + db.path());
  return rows;
}

}  // namespace

void print_status(Database& db, const std::string& sweep, std::ostream& out) {
  for (const auto& s : select_sweeps(db, sweep)) {
    LauncherReport report;
    const auto reporter = launcher_reporters().find(s.launcher);
    if (reporter != launcher_reporters().end()) {
      const auto state = nlohmann::json::parse(s.launcher_state, nullptr, /*allow_exceptions=*/false);
      report = reporter->second(state.is_object() ? state : nlohmann::json::object());
    }
    std::map<std::string, int64_t> counts;
    auto runs = db.prepare("SELECT uid, status FROM runs WHERE sweep_id = ?");
    runs.bind(1, s.id);
    int64_t total = 0;
    while (runs.step()) {
      auto it = report.run_statuses.find(runs.get_text(0));
      ++counts[it != report.run_statuses.end() ? it->second : runs.get_text(1)];
      ++total;
    }
    out << fmt::format("sweep {} '{}' ({}, {}): {} run(s)", s.id, s.name, s.launcher, s.created, total);
    for (const RunStatus status : all_run_statuses())
      if (const int64_t n = counts[to_string(status)]) out << fmt::format(", {} {}", n, to_string(status));
    out << "\n";

    Table active;
    active.columns = {"run", "status", "host", "pid", "attempts", "started", "heartbeat", "last step"};
    auto held = db.prepare(
        "SELECT r.id, r.status, r.host, r.pid, r.attempts, r.started_at, r.heartbeat_at, "
        "(SELECT max(step) FROM metrics m WHERE m.run_id = r.id AND m.key = 'train/loss') FROM runs r "
        "WHERE r.sweep_id = ?1 AND r.status IN (?2, ?3, ?4) ORDER BY r.id");
    held.bind(1, s.id)
        .bind(2, to_string(RunStatus::Running))
        .bind(3, to_string(RunStatus::Interrupted))
        .bind(4, to_string(RunStatus::Failed));
    while (held.step()) {
      std::vector<SqlValue> row;
      for (int c = 0; c < 8; ++c) row.push_back(held.get(c));
      active.rows.push_back(std::move(row));
    }
    if (!active.rows.empty()) render(active, TableFormat::Table, out);
    out << report.text;
  }
}

}  // namespace torchsweep
