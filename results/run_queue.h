// The runs table as a work queue: workers (local processes, Slurm tasks) take waiting
// runs one at a time, say they are alive while they train, and runs whose holder died
// are given back. Every change is one transaction, so two workers never take the same
// run. Recording what a run did is the Store's part (results/store.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// A run a worker has taken: it is now `running`, held by the worker's host and pid.
struct ClaimedRun {
  int64_t id = 0;
  int64_t sweep_id = 0;
  int64_t index = 0;
  int64_t sweep_runs = 0;     ///< runs in its sweep (for "[3/6]" labels)
  std::string config_json;
  std::string swept_json;
  std::string artifact_dir;   ///< "" when none was set yet
  int64_t attempts = 0;       ///< including this one
  int64_t lane_group = 0;     ///< runs.lane_group; 0: it trains alone
  int64_t lane_group_runs = 0;  ///< runs recorded in its lane group (0: none)
};

/// Who takes a run: recorded with it so that a dead holder can be recognised.
struct Holder {
  std::string host;
  int64_t pid = 0;
};

/// This process as a holder.
Holder this_process();

/// How old the heartbeat of a running run on another host may grow before the run is
/// stale: what workers, launchers and `status` all judge by.
constexpr std::chrono::seconds kDefaultStaleAfter{300};

/// Whether the holder of a running run has gone without recording an outcome, as far
/// as this host can tell: one on this host when no process has its pid, or the process
/// that has it started after the run's last heartbeat (`heartbeat_at`, utc_iso: the pid
/// was reused); one on another host when that heartbeat is older than `stale_after`.
bool holder_gone(const Holder& holder, const std::string& heartbeat_at, const Holder& self,
                 std::chrono::seconds stale_after);

class RunQueue {
 public:
  explicit RunQueue(Database& db) : db_(db) {}

  /// Takes the sweep's next waiting run (pending or interrupted, lowest index first;
  /// sweep 0: any sweep) and marks it running by `holder`, atomically. nullopt when
  /// none waits. With sweep 0, only training runs of sweeps that decide nothing as they
  /// go: an lr-find's run is its command's, an adaptive sweep's are claimed by its decisions.
  std::optional<ClaimedRun> claim_next(int64_t sweep_id, const Holder& holder);

  /// Takes the next run as claim_next does and, when it belongs to a lane group
  /// (runs.lane_group), the other runs of its group that wait as it may (pending or
  /// interrupted: each lane continues from its own checkpoint), in run order, up to
  /// `max_lanes` runs in all (0: no limit), in one transaction. The claimed run first;
  /// empty when none waits.
  std::vector<ClaimedRun> claim_group(int64_t sweep_id, const Holder& holder, size_t max_lanes);

  /// Takes run `run_id` for `holder` (marks it running, counts the attempt) inside the
  /// caller's write transaction: for callers that choose the run themselves (an adaptive
  /// sweep promotes a paused run, or takes one it has just proposed).
  ClaimedRun take_run(int64_t run_id, const Holder& holder);

  /// Records that the holder of a running run is alive.
  void heartbeat(int64_t run_id);

  /// Marks the sweep's `running` runs whose holder is gone as interrupted (sweep 0:
  /// every sweep). A holder on this host is gone when its pid is; one on another
  /// host when its heartbeat is older than `stale_after`; with `every_running`
  /// (the caller knows it is the database's only user) every running run is.
  /// Returns the runs marked.
  std::vector<int64_t> recover_stale(int64_t sweep_id, const Holder& self, std::chrono::seconds stale_after,
                                     bool every_running = false);

  /// Makes the sweep's failed and interrupted runs pending again (their checkpoints
  /// stay, so they continue from there). Returns how many.
  int64_t requeue(int64_t sweep_id);

 private:
  /// Marks a chosen run running by `holder` (inside the caller's transaction).
  void take(ClaimedRun& run, const Holder& holder);
  Database& db_;
};

}  // namespace torchsweep
