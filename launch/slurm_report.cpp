#include "launch/slurm_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/paths.h"
#include "base/shell.h"
#include "results/sqlite.h"

namespace torchsweep {

LauncherReport slurm_report(const nlohmann::json& state) {
  LauncherReport report;
  const std::string shard_dir = state.value("shard_dir", std::string());
  // Run uid -> status as the tasks' shards have it (ahead of the main database until merged).
  struct stat info {};
  const std::string dir = join_path(shard_dir, "shards");
  if (!shard_dir.empty() && ::stat(dir.c_str(), &info) == 0) {
    // The array's task-N.db, or an adaptive sweep's one shard.
    std::vector<std::string> shards;
    for (int64_t t = 0;; ++t) {
      const std::string path = join_path(dir, "task-" + std::to_string(t) + ".db");
      if (::stat(path.c_str(), &info) != 0) break;
      shards.push_back(path);
    }
    if (const std::string path = join_path(dir, "adaptive.db"); ::stat(path.c_str(), &info) == 0) shards.push_back(path);
    for (const auto& path : shards) {
      try {
        const TracelessRead read(path);  // status leaves no -wal or -shm beside a shard
        Database shard(path, read.mode());
        auto runs = shard.prepare("SELECT uid, status FROM runs");
        while (runs.step()) report.run_statuses[runs.get_text(0)] = runs.get_text(1);
      } catch (const std::exception&) {  // a shard being written right now: its main row stands
      }
    }
  }
  report.text = fmt::format("shards: {} ({} read)\n", dir, report.run_statuses.size());
  const nlohmann::json jobs = state.value("jobs", nlohmann::json::object());
  std::vector<std::string> ids = jobs.value("array", std::vector<std::string>{});
  if (jobs.contains("adaptive")) ids.push_back(jobs["adaptive"].get<std::string>());
  if (jobs.contains("merge")) ids.push_back(jobs["merge"].get<std::string>());
  const std::string list = fmt::format("{}", fmt::join(ids, ","));
  if (list.empty()) return report;
  const CommandResult queue = run_command({"squeue", "--noheader", "--jobs", list, "--format", "%.18i %.10T %.10M %R"});
  if (queue.status != 0)
    report.text += "squeue: not available here (" + list + ")\n";
  else if (queue.output.empty())
    report.text += "squeue: none of jobs " + list + " is queued or running\n";
  else
    report.text += "squeue:\n" + queue.output;
  return report;
}

}  // namespace torchsweep
