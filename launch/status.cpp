#include "launch/status.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <map>

#include "base/error.h"
#include "launch/slurm.h"
#include "results/run_selection.h"
#include "results/table.h"

namespace torchsweep {

namespace {

struct SweepRow {
  int64_t id = 0;
  std::string name, created, launcher, shard_dir, jobs;
};

std::vector<SweepRow> select_sweeps(Database& db, const std::string& sweep) {
  const auto [where, binds] = sweep_condition(sweep, "id");
  auto stmt = db.prepare("SELECT id, name, created_at, launcher, coalesce(shard_dir, ''), coalesce(slurm_jobs, '') "
                         "FROM sweeps WHERE " + where + " ORDER BY id");
  for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<SweepRow> rows;
  while (stmt.step())
    rows.push_back({stmt.get_int(0), stmt.get_text(1), stmt.get_text(2), stmt.get_text(3), stmt.get_text(4),
                    stmt.get_text(5)});
  if (rows.empty())
    throw InputError(sweep.empty() ? db.path() + ": no sweeps recorded yet"
                                   : "status: no sweep '" + sweep + "' in " + db.path());
  return rows;
}

/// Run uid → status as the Slurm tasks' shards have it (ahead of the main database until merged).
std::map<std::string, std::string> shard_statuses(const std::string& shard_dir) {
  std::map<std::string, std::string> out;
  struct stat info {};
  const std::string dir = shard_dir + "/shards";
  if (shard_dir.empty() || ::stat(dir.c_str(), &info) != 0) return out;
  for (int64_t t = 0;; ++t) {
    const std::string path = dir + "/task-" + std::to_string(t) + ".db";
    if (::stat(path.c_str(), &info) != 0) break;
    try {
      Database shard(path, Database::Mode::ReadOnly);
      auto runs = shard.prepare("SELECT uid, status FROM runs");
      while (runs.step()) out[runs.get_text(0)] = runs.get_text(1);
    } catch (const std::exception&) {  // a shard being written right now: its main row stands
    }
  }
  return out;
}

}  // namespace

void print_status(Database& db, const std::string& sweep, std::ostream& out) {
  for (const auto& s : select_sweeps(db, sweep)) {
    const auto shards = shard_statuses(s.shard_dir);
    std::map<std::string, int64_t> counts;
    auto runs = db.prepare("SELECT uid, status FROM runs WHERE sweep_id = ?");
    runs.bind(1, s.id);
    int64_t total = 0;
    while (runs.step()) {
      auto it = shards.find(runs.get_text(0));
      ++counts[it != shards.end() ? it->second : runs.get_text(1)];
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
        "WHERE r.sweep_id = ? AND r.status IN ('running', 'interrupted', 'failed') ORDER BY r.id");
    held.bind(1, s.id);
    while (held.step()) {
      std::vector<SqlValue> row;
      for (int c = 0; c < 8; ++c) row.push_back(held.get(c));
      active.rows.push_back(std::move(row));
    }
    if (!active.rows.empty()) render(active, TableFormat::Table, out);

    if (s.launcher == "slurm") {
      out << "shards: " << s.shard_dir << "/shards (" << shards.size() << " read)\n";
      const auto jobs = nlohmann::json::parse(s.jobs.empty() ? "{}" : s.jobs);
      std::vector<std::string> ids = jobs.value("array", std::vector<std::string>{});
      if (jobs.contains("merge")) ids.push_back(jobs["merge"].get<std::string>());
      std::string list;
      for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
      if (!list.empty()) {
        const CommandResult queue = run_command({"squeue", "--noheader", "--jobs", list, "--format", "%.18i %.10T %.10M %R"});
        if (queue.status == 0)
          out << (queue.output.empty() ? "squeue: none of jobs " + list + " is queued or running\n"
                                       : "squeue:\n" + queue.output);
        else
          out << "squeue: not available here (" << list << ")\n";
      }
    }
  }
}

}  // namespace torchsweep
