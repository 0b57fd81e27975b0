#include "launch/slurm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>

#include "base/error.h"
#include "base/paths.h"
#include "launch/adaptive_queue.h"
#include "launch/local_launcher.h"

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

// The directives and variables a job script that trains starts with: its output under
// logs/, requeue on USR1 ahead of the time limit, the resources per task (after
// `resources`, more of them), then sweep_dir and torchsweep.
std::string training_job_header(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                                const std::string& log, const std::string& resources, const SlurmOptions& options) {
  std::string s = "#SBATCH --job-name=" + job_name(name) + "\n";
  s += "#SBATCH --output=" + sweep_dir + "/logs/" + log + "\n";
  s += "#SBATCH --open-mode=append\n";
  s += "#SBATCH --requeue\n";
  s += fmt::format("#SBATCH --signal=B:USR1@{}\n", options.signal_seconds);
  s += resources;
  if (options.gpus_per_task > 0) s += fmt::format("#SBATCH --gpus-per-task={}\n", options.gpus_per_task);
  if (options.cpus_per_task > 0) s += fmt::format("#SBATCH --cpus-per-task={}\n", options.cpus_per_task);
  s += common_directives(options);
  s += "set -u\n";
  s += "sweep_dir=" + shell_quote(sweep_dir) + "\n";
  s += "torchsweep=" + shell_quote(executable) + "\n";
  return s;
}

// The end of a job script that started its workers in the background, their pids in
// the array "children": USR1 (ahead of the time limit, or scancel --signal=USR1 --batch)
// passes SIGTERM to each — it finishes its step, checkpoints and records its run
// interrupted — and requeues the job; TERM (scancel, preemption) passes it on and stops.
// The workers are children of this script, not srun tasks: srun answers SIGTERM by
// cancelling its step, which kills the tasks before they can checkpoint.
std::string supervise_children(const std::string& what) {
  std::string s;
  s += "# USR1 (ahead of the time limit, or scancel --signal=USR1 --batch): checkpoint, stop, requeue.\n";
  s += "# TERM (scancel, preemption): checkpoint and stop.\n";
  s += "requeue=0\n";
  s += "trap 'requeue=1; kill -TERM \"${children[@]}\" 2>/dev/null' USR1\n";
  s += "trap 'kill -TERM \"${children[@]}\" 2>/dev/null' TERM\n";
  s += "status=0\n";
  s += "for child in \"${children[@]}\"; do\n";
  s += "  wait \"$child\"; code=$?\n";
  s += "  while kill -0 \"$child\" 2>/dev/null; do wait \"$child\"; code=$?; done\n";
  s += "  [ \"$code\" -ne 0 ] && status=$code\n";
  s += "done\n";
  s += "if [ \"$requeue\" = 1 ]; then\n";
  s += "  echo \"torchsweep: " + what + " checkpointed; requeueing job $SLURM_JOB_ID\"\n";
  s += "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n";
  s += "fi\n";
  s += "exit \"$status\"\n";
  return s;
}

}  // namespace

std::string slurm_array_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                               const SlurmOptions& options) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# torchsweep sweep '{}': array task N trains the runs of shards/task-N.db (one run, or the\n"
                   "# runs of one lane group, trained together) into it.\n", name);
  s += "# Submitted by `torchsweep submit`; re-submit failed tasks with sbatch --array=LIST.\n";
  s += training_job_header(name, sweep_dir, executable, "task-%A_%a.out", "", options);
  s += "task=$(( ${TORCHSWEEP_TASK_OFFSET:-0} + SLURM_ARRAY_TASK_ID ))\n";
  s += "\"$torchsweep\" worker --exclusive --db \"$sweep_dir/shards/task-$task.db\" \\\n"
       "  --artifacts \"$sweep_dir/artifacts/task-$task\" --threads \"${SLURM_CPUS_PER_TASK:-$(nproc)}\" &\n";
  s += "children=($!)\n";
  s += supervise_children("task $task");
  return s;
}

std::string slurm_adaptive_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                                  int64_t shard_sweep_id, const SlurmOptions& options) {
  const int workers = std::max(1, options.workers);
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# torchsweep sweep '{}' (adaptive): {} worker(s) on one node take its runs from\n"
                   "# shards/adaptive.db and decide as they go; only this node writes that file.\n", name, workers);
  s += "# Submitted by `torchsweep submit`; after a failure, sbatch this script again: it continues.\n";
  s += training_job_header(name, sweep_dir, executable, "adaptive-%j.out",
                           fmt::format("#SBATCH --nodes=1\n#SBATCH --ntasks={}\n", workers), options);
  s += "shard=\"$sweep_dir/shards/adaptive.db\"\n";
  s += fmt::format("threads=${{SLURM_CPUS_PER_TASK:-$(( $(nproc) / {} > 0 ? $(nproc) / {} : 1 ))}}\n", workers, workers);
  s += "# Runs an earlier attempt of this job left running (requeued, or its node died) continue.\n";
  s += fmt::format("\"$torchsweep\" worker --recover-only --exclusive --sweep {} --db \"$shard\" || exit $?\n",
                   shard_sweep_id);
  // Each worker gets its share of the job's GPUs (Slurm lists them all to the batch
  // script), as `run --workers K --gpus` shares a machine's.
  if (options.gpus_per_task > 0) s += "IFS=, read -r -a gpus <<< \"${CUDA_VISIBLE_DEVICES:-}\"\n";
  s += "children=()\n";
  s += fmt::format("for (( w = 0; w < {}; w++ )); do\n", workers);
  if (options.gpus_per_task > 0)
    s += fmt::format("  devices=$(IFS=,; echo \"${{gpus[*]:w*{0}:{0}}}\")\n"
                     "  CUDA_VISIBLE_DEVICES=$devices \\\n", options.gpus_per_task);
  s += fmt::format("  \"$torchsweep\" worker --sweep {} --db \"$shard\" --lines --prefix \"[worker $w] \" \\\n"
                   "    --artifacts \"$sweep_dir/artifacts/adaptive\" --threads \"$threads\" &\n", shard_sweep_id);
  s += "  children+=($!)\n";
  s += "done\n";
  s += supervise_children("the adaptive sweep");
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
  const bool adaptive = plan.early_stop.enabled() || !plan.search.space.empty();
  if (options.workers > 0 && !adaptive)
    throw InputError("submit --workers " + std::to_string(options.workers) +
                     ": worker processes in one job are for adaptive sweeps (sweep.early_stop, sweep.mode tpe|bayes); "
                     "a job array's tasks at once are --array-parallelism");
  const std::string executable =
      options.executable.empty() ? executable_path() : absolute_path(options.executable);
  const std::string db = absolute_path(db_path);
  const std::string root = db.substr(0, db.size() - (db.size() > 3 && db.compare(db.size() - 3, 3, ".db") == 0 ? 3 : 0)) +
                           "-slurm";
  // One task per run, or per lane group (decided when the runs are recorded: new_runs);
  // an adaptive sweep's runs train one at a time, in one job.
  const std::vector<NewRun> runs = new_runs(plan);
  SlurmSubmission submission;
  if (options.dry_run) {
    const std::string dir = root + "/sweep-ID";
    if (adaptive) {
      out << fmt::format("# an adaptive sweep: one job of {} worker(s) on one node; the sweep's folder is {}/sweep-ID "
                         "once recorded\n", std::max(1, options.workers), root);
      out << "# --- adaptive.sh\n" << slurm_adaptive_script(plan.name, dir, executable, 1, options);
      out << "# --- merge.sh (afterany: the adaptive job)\n" << slurm_merge_script(plan.name, dir, executable, db, options);
      return submission;
    }
    // As recorded: a task per run that trains alone or leads its group.
    int64_t tasks = 0;
    for (size_t i = 0; i < runs.size(); ++i)
      tasks += runs[i].lane_leader < 0 || runs[i].lane_leader == static_cast<int64_t>(i) ? 1 : 0;
    out << fmt::format("# {} task(s); the sweep's folder is {}/sweep-ID once recorded\n", tasks, root);
    out << "# --- array.sh\n" << slurm_array_script(plan.name, dir, executable, options);
    out << "# --- merge.sh (afterany: the array)\n" << slurm_merge_script(plan.name, dir, executable, db, options);
    return submission;
  }
  const int64_t max_array = adaptive ? 1 : options.max_array_size > 0 ? options.max_array_size : cluster_max_array_size();

  auto store = Store::open(db, Store::Check::Pages);
  NewSweep sweep{plan.name, plan.spec_text, plan.spec_hash, plan.spec_path, nlohmann::json(plan.overrides).dump(),
                 plan.mode, "slurm", "", adaptive_record(plan)};
  const auto [sweep_id, ids] = store->create_sweep(sweep, runs);
  submission.sweep_id = sweep_id;
  auto uid = store->db().prepare("SELECT uid FROM sweeps WHERE id = ?");
  uid.bind(1, sweep_id);
  uid.step();
  sweep.uid = uid.get_text(0);
  const auto recorded = store->sweep_runs(sweep_id);
  // A task per lane group as recorded (a run alone is a group of its own), in run order.
  std::vector<std::vector<size_t>> groups;
  if (!adaptive) {
    auto rows = store->db().prepare("SELECT coalesce(lane_group, 0) FROM runs WHERE sweep_id = ? ORDER BY run_index");
    rows.bind(1, sweep_id);
    std::map<int64_t, size_t> group_of;  // lane_group → its place in groups
    for (size_t i = 0; rows.step(); ++i) {
      const int64_t lane_group = rows.get_int(0);
      auto it = lane_group == 0 ? group_of.end() : group_of.find(lane_group);
      if (it != group_of.end()) {
        groups[it->second].push_back(i);
        continue;
      }
      if (lane_group != 0) group_of[lane_group] = groups.size();
      groups.push_back({i});
    }
  }

  const std::string dir = join_path(root, "sweep-" + std::to_string(sweep_id));
  submission.sweep_dir = dir;
  for (const char* sub : {"shards", "logs", "artifacts"}) create_directories(join_path(dir, sub));
  // The shards hold the sweep and its runs under the main database's uids: one per
  // task (a lane group's runs as one group there too), or one with every run of an
  // adaptive sweep.
  auto shard_of = [&](const std::vector<size_t>& members, const std::string& file) {
    std::vector<NewRun> shard_runs;
    for (const size_t i : members) {
      shard_runs.push_back(runs[i]);
      shard_runs.back().uid = recorded[i].uid;
      shard_runs.back().lane_leader = runs[i].lane_leader < 0 ? -1 : 0;
    }
    return Store::open(join_path(dir, "shards/" + file))->create_sweep(sweep, shard_runs).first;
  };
  const std::string merge_script = join_path(dir, "merge.sh");
  write_file(merge_script, slurm_merge_script(plan.name, dir, executable, db, options), true);
  std::string dependency = "--dependency=afterany";
  if (adaptive) {
    std::vector<size_t> every(runs.size());
    for (size_t i = 0; i < every.size(); ++i) every[i] = i;
    const int64_t shard_sweep = shard_of(every, "adaptive.db");
    const std::string script = join_path(dir, "adaptive.sh");
    write_file(script, slurm_adaptive_script(plan.name, dir, executable, shard_sweep, options), true);
    submission.adaptive_job = sbatch({script});
    dependency += ":" + submission.adaptive_job;
  } else {
    for (size_t t = 0; t < groups.size(); ++t) shard_of(groups[t], "task-" + std::to_string(t) + ".db");
    const std::string array_script = join_path(dir, "array.sh");
    write_file(array_script, slurm_array_script(plan.name, dir, executable, options), true);
    for (const auto& [first, count] : slurm_array_chunks(static_cast<int64_t>(groups.size()), max_array)) {
      std::string array = fmt::format("--array=0-{}", count - 1);
      if (options.array_parallelism > 0) array += fmt::format("%{}", options.array_parallelism);
      submission.array_jobs.push_back(
          sbatch({array, fmt::format("--export=ALL,TORCHSWEEP_TASK_OFFSET={}", first), array_script}));
    }
    for (const auto& job : submission.array_jobs) dependency += ":" + job;
  }
  submission.merge_job = sbatch({dependency, merge_script});
  nlohmann::json jobs = {{"merge", submission.merge_job}};
  if (adaptive)
    jobs["adaptive"] = submission.adaptive_job;
  else
    jobs["array"] = submission.array_jobs;
  store->set_launcher_state(sweep_id, "slurm", {{"shard_dir", dir}, {"jobs", jobs}});
  if (adaptive)
    out << fmt::format("sweep {} '{}' (adaptive): {} run(s) in job {}, {} worker(s) on one node; merge job {} "
                       "(afterany) into {}\n",
                       sweep_id, plan.name, plan.runs.size(), submission.adaptive_job, std::max(1, options.workers),
                       submission.merge_job, db);
  else
    out << fmt::format("sweep {} '{}': {} run(s) in {} task(s) as job array {} ; merge job {} (afterany) into {}\n",
                       sweep_id, plan.name, plan.runs.size(), groups.size(), fmt::join(submission.array_jobs, ", "),
                       submission.merge_job, db);
  out << fmt::format("folder {}; follow with: torchsweep status {} --db {}\n", dir, sweep_id,
                     shell_quote(db_path));
  return submission;
}

}  // namespace torchsweep
