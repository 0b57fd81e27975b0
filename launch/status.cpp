#include "launch/status.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "base/error.h"
#include "base/shell.h"
#include "launch/slurm_report.h"
#include "results/decision_views.h"
#include "results/metric_sink.h"
#include "results/run_queue.h"
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
  std::string name, created, launcher, launcher_state, spec_path, overrides;
};

/// How a `running` run whose process is gone is shown: it is `running` in the database
/// until the next worker marks it interrupted and continues it.
constexpr const char* kStale = "stale";

/// The command that continues a sweep's stale runs: its spec and overrides again into
/// the same database (runs whose holder is gone are then taken again).
std::string continue_command(const SweepRow& sweep, const std::string& db_path) {
  if (sweep.launcher != "local" || sweep.spec_path.empty())
    return "submit their tasks again (docs/cluster.md, \"After the array\")";
  std::string command = "torchsweep run " + shell_quote(sweep.spec_path);
  const auto overrides = nlohmann::json::parse(sweep.overrides, nullptr, /*allow_exceptions=*/false);
  if (overrides.is_array())
    for (const auto& text : overrides)
      if (text.is_string()) command += " " + shell_quote(text.get<std::string>());
  return "continue them with: " + command + " --db " + shell_quote(db_path);
}

std::vector<SweepRow> select_sweeps(Database& db, const std::string& sweep) {
  const auto [where, binds] = sweep_condition(sweep, "id");
  auto stmt = db.prepare(
      "SELECT id, name, created_at, launcher, coalesce(launcher_state, ''), coalesce(spec_path, ''), "
      "coalesce(overrides, '[]') FROM sweeps WHERE " + where + " ORDER BY id");
  for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<SweepRow> rows;
  while (stmt.step())
    rows.push_back({stmt.get_int(0), stmt.get_text(1), stmt.get_text(2), stmt.get_text(3), stmt.get_text(4),
                    stmt.get_text(5), stmt.get_text(6)});
  if (rows.empty())
    throw InputError(sweep.empty() ? db.path() + ": no sweeps recorded yet"
                                   : "status: no sweep '" + sweep + "' in " + db.path());
  return rows;
}

}  // namespace

void print_status(Database& db, const std::string& sweep, std::ostream& out) {
  const Holder self = this_process();
  for (const auto& s : select_sweeps(db, sweep)) {
    LauncherReport report;
    const auto reporter = launcher_reporters().find(s.launcher);
    if (reporter != launcher_reporters().end()) {
      const auto state = nlohmann::json::parse(s.launcher_state, nullptr, /*allow_exceptions=*/false);
      report = reporter->second(state.is_object() ? state : nlohmann::json::object());
    }
    // Runs recorded `running` whose holder is gone (killed with SIGKILL, a crash, a
    // reboot) are shown as stale, with the way to continue them.
    std::set<int64_t> stale;
    std::vector<std::string> stale_holders;
    auto running = db.prepare(
        "SELECT id, coalesce(host, ''), coalesce(pid, 0), coalesce(heartbeat_at, started_at, ''), uid FROM runs "
        "WHERE sweep_id = ? AND status = ? ORDER BY id");
    running.bind(1, s.id).bind(2, to_string(RunStatus::Running));
    while (running.step()) {
      if (report.run_statuses.count(running.get_text(4))) continue;  // the launcher knows better
      const Holder holder{running.get_text(1), running.get_int(2)};
      if (!holder_gone(holder, running.get_text(3), self, kDefaultStaleAfter)) continue;  // as the workers judge it
      stale.insert(running.get_int(0));
      const std::string who = fmt::format("{} pid {}", holder.host, holder.pid);
      if (std::find(stale_holders.begin(), stale_holders.end(), who) == stale_holders.end())
        stale_holders.push_back(who);
    }

    std::map<std::string, int64_t> counts;
    auto runs = db.prepare("SELECT id, uid, status FROM runs WHERE sweep_id = ?");
    runs.bind(1, s.id);
    int64_t total = 0;
    while (runs.step()) {
      auto it = report.run_statuses.find(runs.get_text(1));
      ++counts[it != report.run_statuses.end() ? it->second
               : stale.count(runs.get_int(0))  ? kStale
                                               : runs.get_text(2)];
      ++total;
    }
    out << fmt::format("sweep {} '{}' ({}, {}): {} run(s)", s.id, s.name, s.launcher, s.created, total);
    for (const RunStatus status : all_run_statuses()) {
      if (const int64_t n = counts[to_string(status)]) out << fmt::format(", {} {}", n, to_string(status));
      if (status == RunStatus::Running && counts[kStale]) out << fmt::format(", {} {}", counts[kStale], kStale);
    }
    out << "\n";

    Table active;
    active.columns = {"run", "status", "host", "pid", "attempts", "started", "heartbeat", "last step"};
    auto held = db.prepare(
        "SELECT r.id, r.status, r.host, r.pid, r.attempts, r.started_at, r.heartbeat_at, "
        "(SELECT max(step) FROM metrics m WHERE m.run_id = r.id AND m.key = 'train/loss') FROM runs r "
        "WHERE r.sweep_id = ?1 AND r.status IN (?2, ?3, ?4, ?5) ORDER BY r.id");
    // Paused runs wait at a rung of an adaptive sweep for its decision: in progress too.
    held.bind(1, s.id)
        .bind(2, to_string(RunStatus::Running))
        .bind(3, to_string(RunStatus::Paused))
        .bind(4, to_string(RunStatus::Interrupted))
        .bind(5, to_string(RunStatus::Failed));
    while (held.step()) {
      std::vector<SqlValue> row;
      for (int c = 0; c < 8; ++c) row.push_back(held.get(c));
      if (stale.count(held.get_int(0))) row[1] = std::string(kStale);
      active.rows.push_back(std::move(row));
    }
    if (!active.rows.empty()) render(active, TableFormat::Table, out);
    if (!stale.empty())
      out << fmt::format("{} run(s) stale: recorded running, but their process ({}) is gone without recording an "
                         "outcome; {}\n",
                         stale.size(), fmt::join(stale_holders, ", "), continue_command(s, db.path()));
    // An adaptive sweep: its rule, its rungs (who went on, who was stopped), its search.
    out << adaptive_status(db, s.id);
    out << report.text;
  }
}

}  // namespace torchsweep
