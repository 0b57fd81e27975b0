// The results store: one SQLite file holding sweeps, runs, their parameters and
// metrics. Recording goes through here (prepared statements, one transaction per
// batch); the run queue (results/run_queue.h) hands runs to workers, and the query
// headers (run_selection, comparison, curves, run_views) read.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/metric_sink.h"
#include "results/metric_summary.h"
#include "results/sqlite.h"

namespace torchsweep {

struct NewSweep {
  std::string name;
  std::string spec_text;
  std::string spec_hash;
  std::string spec_path;
  std::string overrides_json = "[]";
  std::string mode = "grid";
  std::string launcher = "local";  ///< local | slurm: set_launcher_state may change it
  std::string uid = "";            ///< "" for a fresh random one (shards reuse their sweep's)
  /// What the sweep decides by as it goes (early stopping, model-based search), as a
  /// JSON object; "{}" for a sweep whose runs are all known and all train to the end.
  std::string adaptive_json = "{}";
};

struct NewRun {
  int64_t index = 0;
  std::string config_hash;
  std::string config_json;
  std::string swept_json = "{}";
  int64_t seed = 0;
  std::string device;
  /// The flattened resolved config: numbers as numbers, lists as JSON text.
  std::vector<std::pair<std::string, SqlValue>> params;
  std::string uid = "";     ///< "" for a fresh random one
  int64_t rerun_of = 0;     ///< the run this one re-executes, or 0
  std::string kind = "train";  ///< train | lr_find
  /// Its lane group, as the position among the runs recorded with it of the group's
  /// first run (that run's own position when it leads): runs.lane_group is that run's
  /// id. -1: it trains alone (NULL).
  int64_t lane_leader = -1;
};

/// What is recorded when a run starts.
struct RunEnvironment {
  std::string device;
  std::string device_name;
  std::string host;
  std::string torchsweep_version;
  std::string torch_version;
  std::string git_commit;
  std::string command;
  std::string engine;  ///< "eager" or "cuda_graph"; "" for unknown
  std::string engine_note;  ///< why not the engine asked for; "" when as asked
  std::string memory_format;  ///< train.memory_format as resolved; "" for unknown
};

/// A run already in the database, as `run --resume` sees it.
struct ExistingRun {
  int64_t id = 0;
  int64_t index = 0;
  std::string config_hash;
  RunStatus status = RunStatus::Pending;
  std::string artifact_dir;
  std::string uid;
};

/// A point whose metric is given by number: `names[key]` in append_metrics. What the
/// recording sink buffers, so that logging a point copies no string.
struct NumberedPoint {
  uint32_t key = 0;
  int64_t step = 0;
  double value = 0.0;
};

/// A run's summary of one metric computed while its points were written.
using MetricSummaries = std::vector<std::pair<std::string, MetricSummary>>;

/// The default database path: $TORCHSWEEP_DB, else torchsweep.db.
std::string default_db_path();

class Store {
 public:
  /// How much of an existing file is checked before anything is written to it.
  enum class Check {
    Header,  ///< that it is an SQLite file with torchsweep's schema (or none yet)
    /// ... and that SQLite's quick_check passes (it reads every page: seconds for a
    /// database of gigabytes). The commands a user starts on a database do this;
    /// the workers they start do not check it again.
    Pages,
  };
  /// Opens for writing (creating and migrating the file as needed). InputError, with
  /// nothing written, when the file cannot be or is not a sound torchsweep database.
  static std::unique_ptr<Store> open(const std::string& path, Check check = Check::Header);
  /// Opens an existing database read-only; InputError when it does not exist. It is
  /// read as TracelessRead says: a file no one writes is opened immutable, which leaves
  /// no -wal or -shm beside it and works in a read-only folder and on a read-only file;
  /// one a writer has open is read with a lock, like any reader. `locking` always locks.
  static std::unique_ptr<Store> open_read_only(const std::string& path, bool locking = false);
  /// Runs `read` on the database at `path` opened by open_read_only, and again while a
  /// writer may have disturbed that read (written_meanwhile): up to three times without
  /// a lock, then with one. `read` must keep what it finds until it returns (a command
  /// buffers its output), since only the last call counts.
  static void read(const std::string& path, const std::function<void(Store&)>& read);
  /// Whether a writer may have changed the file under this store's unlocked read
  /// (TracelessRead::written_meanwhile); false for stores that lock.
  bool written_meanwhile() const { return traceless_ && traceless_->written_meanwhile(); }

  /// Records a sweep and all its runs as pending, atomically. Returns the sweep id
  /// and the run ids in run order.
  std::pair<int64_t, std::vector<int64_t>> create_sweep(const NewSweep& sweep, const std::vector<NewRun>& runs);

  /// Adds runs to a recorded sweep as pending (a run an adaptive search proposed), inside
  /// the caller's transaction, with their lane groups (NewRun::lane_leader). Returns
  /// their ids in order.
  std::vector<int64_t> add_runs(int64_t sweep_id, const std::vector<NewRun>& runs);

  /// What open_sweep found or made.
  struct OpenedSweep {
    int64_t id = 0;
    bool created = false;            ///< false: an earlier sweep of this spec is continued
    std::vector<ExistingRun> runs;   ///< in run order
  };
  /// The latest sweep of this spec (same spec_hash) when its runs have exactly these
  /// config hashes, else (or with `fresh`) a new one with every run pending. Decided
  /// and written in one transaction, so processes starting the same spec at once
  /// share one sweep.
  OpenedSweep open_sweep(const NewSweep& sweep, const std::vector<NewRun>& runs, bool fresh);

  void mark_running(int64_t run_id, const RunEnvironment& env);
  /// Records the engine a running run switched to, and why.
  void set_engine(int64_t run_id, const std::string& engine, const std::string& note);
  /// Writes points in one transaction; `new_keys` are this run's metric names seen
  /// for the first time, in order (they fix the column order of exports), with the axis
  /// their steps are on.
  void append_metrics(int64_t run_id, const std::vector<MetricPoint>& points, const std::vector<MetricKey>& new_keys);
  /// The same for numbered points. Points of one metric in step order go in fastest
  /// (the table's B-tree then grows at one place per metric).
  void append_metrics(int64_t run_id, const std::vector<std::string>& names, const std::vector<NumberedPoint>& points,
                      const std::vector<MetricKey>& new_keys);
  /// Whether any point of the run is recorded.
  bool has_metrics(int64_t run_id);
  /// Records how the run ended and its metric summaries: `summaries` as computed while
  /// its points were written, or, when null, computed from the points in the table.
  void end_run(int64_t run_id, RunStatus status, const std::string& error, int64_t steps, double wall_seconds,
               const MetricSummaries* summaries = nullptr);

  /// Where a run keeps its checkpoints and other files.
  void set_artifact_dir(int64_t run_id, const std::string& dir);
  /// Records the run's latest checkpoint (written after `epoch`).
  void record_checkpoint(int64_t run_id, const std::string& path, int64_t epoch);

  /// The latest sweep recorded from a spec with this hash, and its runs in order;
  /// sweep id 0 when there is none.
  std::pair<int64_t, std::vector<ExistingRun>> find_sweep(const std::string& spec_hash);

  /// The runs of a sweep in order.
  std::vector<ExistingRun> sweep_runs(int64_t sweep_id);

  /// Records how a sweep was launched ("local", "slurm", ...) and what its launcher
  /// keeps about it (a JSON object only that launcher reads: for Slurm, its shard
  /// folder and job ids).
  void set_launcher_state(int64_t sweep_id, const std::string& launcher, const nlohmann::json& state);

  Database& db() { return *db_; }
  /// Held by whoever uses this store's connection from more than one thread: the
  /// sinks of runs trained at once (fused lanes) each write from a thread of their own,
  /// and SQLite allows one transaction per connection at a time.
  std::mutex& mutex() { return mutex_; }

 private:
  explicit Store(std::unique_ptr<Database> db);
  /// create_sweep without its transaction.
  std::pair<int64_t, std::vector<int64_t>> insert_sweep(const NewSweep& sweep, const std::vector<NewRun>& runs);
  std::unique_ptr<Database> db_;
  std::optional<TracelessRead> traceless_;  ///< how open_read_only read the file
  std::mutex mutex_;
  Statement insert_metric_;
  Statement insert_key_;
};

}  // namespace torchsweep
