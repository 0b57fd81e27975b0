#include "launch/slurm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>

#include "base/error.h"
#include "base/paths.h"
#include "launch/local_launcher.h"
#include "train/fused_trainer.h"

namespace torchsweep {


namespace {

std::string job_name(const std::string& name) {
  std::string out = "torchsweep-";
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out;
}

std::string common_directives(const SlurmOptions& options) {
  std::string out;
  if (!options.partition.empty()) out += "#SBATCH --partition=" + options.partition + "\n";
  if (!options.time.empty()) out += "#SBATCH --time=" + options.time + "\n";
  for (const auto& arg : options.sbatch_args) out += "#SBATCH " + arg + "\n";
  return out;
}

int64_t cluster_max_array_size() {
  const CommandResult config = run_command({"scontrol", "show", "config"});
  std::smatch match;
  static const std::regex line(R"(MaxArraySize\s*=\s*(\d+))");
  if (config.status == 0 && std::regex_search(config.output, match, line)) return std::stoll(match[1]);
  return 1001;  // Slurm's default
}

std::string sbatch(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult r = run_command(argv);
  std::string id = r.output.substr(0, r.output.find_first_of(";\n"));
  if (r.status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw RuntimeFailure("sbatch failed (" + std::to_string(r.status) + "): " + r.output);
  return id;
}

void write_file(const std::string& path, const std::string& text, bool executable) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) throw RuntimeFailure(path + ": cannot write");
  }
  if (executable) add_execute_permission(path);
}

}  // namespace

std::string slurm_array_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                               const SlurmOptions& options) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# torchsweep sweep '{}': array task N trains the runs of shards/task-N.db (one run, or a\n"
                   "# group that trains as one fused model) into it.\n", name);
  s += "# Submitted by `torchsweep submit`; re-submit failed tasks with sbatch --array=LIST.\n";
  s += "#SBATCH --job-name=" + job_name(name) + "\n";
  s += "#SBATCH --output=" + sweep_dir + "/logs/task-%A_%a.out\n";
  s += "#SBATCH --open-mode=append\n";
  s += "#SBATCH --requeue\n";
  s += fmt::format("#SBATCH --signal=B:USR1@{}\n", options.signal_seconds);
  if (options.gpus_per_task > 0) s += fmt::format("#SBATCH --gpus-per-task={}\n", options.gpus_per_task);
  if (options.cpus_per_task > 0) s += fmt::format("#SBATCH --cpus-per-task={}\n", options.cpus_per_task);
  s += common_directives(options);
  s += "set -u\n";
  s += "sweep_dir=" + shell_quote(sweep_dir) + "\n";
  s += "torchsweep=" + shell_quote(executable) + "\n";
  s += "task=$(( ${TORCHSWEEP_TASK_OFFSET:-0} + SLURM_ARRAY_TASK_ID ))\n";
  s += "\"$torchsweep\" worker --exclusive --db \"$sweep_dir/shards/task-$task.db\" \\\n"
       "  --artifacts \"$sweep_dir/artifacts/task-$task\" --threads \"${SLURM_CPUS_PER_TASK:-$(nproc)}\" &\n";
  s += "child=$!\n";
  s += "# USR1 (ahead of the time limit, or scancel --signal=USR1 --batch): checkpoint, stop, requeue.\n";
  s += "# TERM (scancel, preemption): checkpoint and stop.\n";
  s += "requeue=0\n";
  s += "trap 'requeue=1; kill -TERM \"$child\" 2>/dev/null' USR1\n";
  s += "trap 'kill -TERM \"$child\" 2>/dev/null' TERM\n";
  s += "wait \"$child\"; status=$?\n";
  s += "while kill -0 \"$child\" 2>/dev/null; do wait \"$child\"; status=$?; done\n";
  s += "if [ \"$requeue\" = 1 ]; then\n";
  s += "  echo \"torchsweep: task $task checkpointed; requeueing job $SLURM_JOB_ID\"\n";
  s += "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n";
  s += "fi\n";
  s += "exit \"$status\"\n";
  return s;
}

std::string slurm_merge_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                               const std::string& db_path, const SlurmOptions& options) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# torchsweep sweep '{}': merges the tasks' shards into the main database.\n", name);
  s += "#SBATCH --job-name=" + job_name(name) + "-merge\n";
  s += "#SBATCH --output=" + sweep_dir + "/logs/merge-%j.out\n";
  s += common_directives(options);
  s += "set -eu\n";
  s += shell_quote(executable) + " results merge " + shell_quote(sweep_dir + "/shards") + " --into " +
       shell_quote(db_path) + "\n";
  return s;
}

std::vector<std::pair<int64_t, int64_t>> slurm_array_chunks(int64_t tasks, int64_t max_array_size) {
  std::vector<std::pair<int64_t, int64_t>> chunks;
  const int64_t size = std::max<int64_t>(1, max_array_size);
  for (int64_t first = 0; first < tasks; first += size) chunks.emplace_back(first, std::min(size, tasks - first));
  return chunks;
}

SlurmSubmission submit_slurm(const SweepPlan& plan, const std::string& db_path, std::ostream& out,
                             const SlurmOptions& options) {
  // An adaptive sweep decides from every run's values as they come in, and a Slurm
  // array's tasks each write a shard of their own that no other task reads.
  if (plan.early_stop.enabled() || !plan.search.space.empty())
    throw InputError(plan.spec_path + ": " +
                     (plan.early_stop.enabled() ? "sweep.early_stop (" + std::string(to_string(plan.early_stop.rule)) + ")"
                                                : "sweep.mode " + plan.mode) +
                     " decides as its runs train, from all of their values; submit --slurm trains each run into a "
                     "shard of its own and cannot run it: use `torchsweep run --workers N` on one machine");
  const std::string executable =
      options.executable.empty() ? executable_path() : absolute_path(options.executable);
  const std::string db = absolute_path(db_path);
  const std::string root = db.substr(0, db.size() - (db.size() > 3 && db.compare(db.size() - 3, 3, ".db") == 0 ? 3 : 0)) +
                           "-slurm";
  // One task per run, or per group of runs that train as one fused model.
  std::vector<nlohmann::json> configs;
  for (const auto& run : plan.runs) configs.push_back(run.config);
  const auto groups = fusion_groups(configs, plan.fuse);
  const auto tasks = static_cast<int64_t>(groups.size());
  SlurmSubmission submission;
  if (options.dry_run) {
    const std::string dir = root + "/sweep-ID";
    out << fmt::format("# {} task(s); the sweep's folder is {}/sweep-ID once recorded\n", tasks, root);
    out << "# --- array.sh\n" << slurm_array_script(plan.name, dir, executable, options);
    out << "# --- merge.sh (afterany: the array)\n" << slurm_merge_script(plan.name, dir, executable, db, options);
    return submission;
  }
  const int64_t max_array = options.max_array_size > 0 ? options.max_array_size : cluster_max_array_size();

  auto store = Store::open(db, Store::Check::Pages);
  NewSweep sweep{plan.name, plan.spec_text, plan.spec_hash, plan.spec_path, nlohmann::json(plan.overrides).dump(),
                 plan.mode, "slurm", ""};
  const std::vector<NewRun> runs = new_runs(plan);
  const auto [sweep_id, ids] = store->create_sweep(sweep, runs);
  submission.sweep_id = sweep_id;
  auto uid = store->db().prepare("SELECT uid FROM sweeps WHERE id = ?");
  uid.bind(1, sweep_id);
  uid.step();
  sweep.uid = uid.get_text(0);
  const auto recorded = store->sweep_runs(sweep_id);

  const std::string dir = join_path(root, "sweep-" + std::to_string(sweep_id));
  submission.sweep_dir = dir;
  for (const char* sub : {"shards", "logs", "artifacts"}) create_directories(join_path(dir, sub));
  // One shard per task, holding the sweep and its runs under the main database's uids.
  for (int64_t t = 0; t < tasks; ++t) {
    std::vector<NewRun> shard_runs;
    for (const size_t i : groups[static_cast<size_t>(t)]) {
      shard_runs.push_back(runs[i]);
      shard_runs.back().uid = recorded[i].uid;
    }
    Store::open(join_path(dir, "shards/task-" + std::to_string(t) + ".db"))->create_sweep(sweep, shard_runs);
  }
  const std::string array_script = join_path(dir, "array.sh"), merge_script = join_path(dir, "merge.sh");
  write_file(array_script, slurm_array_script(plan.name, dir, executable, options), true);
  write_file(merge_script, slurm_merge_script(plan.name, dir, executable, db, options), true);

  for (const auto& [first, count] : slurm_array_chunks(tasks, max_array)) {
    std::string array = fmt::format("--array=0-{}", count - 1);
    if (options.array_parallelism > 0) array += fmt::format("%{}", options.array_parallelism);
    submission.array_jobs.push_back(
        sbatch({array, fmt::format("--export=ALL,TORCHSWEEP_TASK_OFFSET={}", first), array_script}));
  }
  std::string dependency = "--dependency=afterany";
  for (const auto& job : submission.array_jobs) dependency += ":" + job;
  submission.merge_job = sbatch({dependency, merge_script});
  store->set_launcher_state(
      sweep_id, "slurm",
      {{"shard_dir", dir}, {"jobs", {{"array", submission.array_jobs}, {"merge", submission.merge_job}}}});
  out << fmt::format("sweep {} '{}': {} run(s) in {} task(s) as job array {} ; merge job {} (afterany) into {}\n",
                     sweep_id, plan.name, plan.runs.size(), tasks, fmt::join(submission.array_jobs, ", "), submission.merge_job, db);
  out << fmt::format("folder {}; follow with: torchsweep status {} --db {}\n", dir, sweep_id,
                     shell_quote(db_path));
  return submission;
}

}  // namespace torchsweep
