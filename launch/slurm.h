// `torchsweep submit SPEC --slurm`: a sweep as one Slurm job array. The sweep is
// recorded in the main database with every run pending; each array task trains one
// run into its own shard database under the sweep's folder (never one SQLite file
// written from many nodes over a network file system); a job that depends on the
// array (afterany) merges the shards into the main database. On the signal Slurm
// sends ahead of a time limit or preemption (USR1), a task checkpoints, stops and
// requeues itself; the requeued task continues from the checkpoint.
//
// An adaptive sweep (sweep.early_stop, sweep.mode tpe|bayes) decides from all of its
// runs' values as they come in, so its runs cannot train in shards that never see each
// other. It is submitted as one job on one node instead: `--workers K` worker processes
// (each with its share of the job's GPUs) take runs from one shard that only that
// node writes, deciding in its write transactions as workers on one machine do; the
// merge job brings the runs, their decisions and rungs into the main database.
//
// The sweep's folder (DB-without-.db + "-slurm/sweep-ID"):
//   array.sh, merge.sh     the job scripts, as submitted (adaptive: adaptive.sh, merge.sh)
//   shards/task-N.db       run N's shard (adaptive: shards/adaptive.db, every run)
//   artifacts/task-N/      its checkpoints
//   logs/                  the tasks' and the merge job's output
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/shell.h"
#include "launch/slurm_report.h"
#include "launch/status.h"
#include "results/store.h"
#include "sweep/sweep.h"

namespace torchsweep {

struct SlurmOptions {
  /// --partition; "" for the cluster's default.
  std::string partition;
  /// --time per task, e.g. 02:00:00; "" for the partition's default.
  std::string time;
  /// --gpus-per-task; 0 for none.
  int gpus_per_task = 0;
  /// --cpus-per-task; 0 for the cluster's default. Runs use this many threads.
  int cpus_per_task = 0;
  /// At most this many tasks at once (--array=...%K); 0 for no limit.
  int array_parallelism = 0;
  /// An adaptive sweep's worker processes, all in its one job on one node; 0 for one.
  int workers = 0;
  /// More sbatch options, each passed as given (e.g. --account=abc).
  std::vector<std::string> sbatch_args;
  /// Seconds before the time limit at which Slurm sends USR1 (checkpoint and requeue).
  int signal_seconds = 120;
  /// Largest array Slurm accepts; 0: ask the cluster (scontrol show config).
  int64_t max_array_size = 0;
  /// Print the scripts; write and submit nothing.
  bool dry_run = false;
  /// The torchsweep binary tasks run; "" for this one.
  std::string executable;
};

struct SlurmSubmission {
  int64_t sweep_id = 0;
  std::string sweep_dir;
  std::vector<std::string> array_jobs;  ///< one per chunk of at most MaxArraySize tasks
  std::string adaptive_job;             ///< an adaptive sweep's one job (no array)
  std::string merge_job;
};

/// The job array script for a sweep folder.
std::string slurm_array_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                               const SlurmOptions& options);

/// An adaptive sweep's job script: K workers on one node over the shard of sweep
/// `shard_sweep_id`, after giving back the runs an earlier attempt left running.
std::string slurm_adaptive_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                                  int64_t shard_sweep_id, const SlurmOptions& options);

/// The merge job's script.
std::string slurm_merge_script(const std::string& name, const std::string& sweep_dir, const std::string& executable,
                               const std::string& db_path, const SlurmOptions& options);

/// The array chunks for `tasks` tasks: (first task, count) each, count <= max_array_size.
std::vector<std::pair<int64_t, int64_t>> slurm_array_chunks(int64_t tasks, int64_t max_array_size);

/// Records the sweep, writes its folder and shards, and submits the array and the
/// merge job (or, dry, prints the scripts). RuntimeFailure when sbatch fails.
SlurmSubmission submit_slurm(const SweepPlan& plan, const std::string& db_path, std::ostream& out,
                             const SlurmOptions& options);

}  // namespace torchsweep
