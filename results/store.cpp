#include "results/store.h"

#include <sys/stat.h>

#include <cstdlib>
#include <stdexcept>

#include "base/clock.h"
#include "base/error.h"
#include "base/paths.h"
#include "results/metric_packs.h"
#include "results/schema.h"

namespace torchsweep {

std::string default_db_path() {
  const char* env = std::getenv("TORCHSWEEP_DB");
  return env && *env ? env : "torchsweep.db";
}

namespace {

/// Why the SQLite file at `path`, read in `mode`, cannot be opened as a results
/// database, or "" when it can: an SQLite database of someone else's (tables but no
/// torchsweep schema), a schema number torchsweep never wrote, a file that is not
/// SQLite, or (Check::Pages) damaged pages.
std::string refusal_of(const std::string& path, Database::Mode mode, Store::Check check) {
  const auto damaged = [&](const std::string& what) {
    return "--db " + path + ": the database is damaged (SQLite: " + what +
           "); nothing was written. Restore a copy, or save what is readable with: sqlite3 " + path +
           " .recover | sqlite3 recovered.db";
  };
  try {
    Database probe(path, mode);
    // One statement, so one read transaction: the schema number and the tables are
    // seen as of the same commit, never a creator's tables before its schema number.
    auto header =
        probe.prepare("SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)");
    header.step();
    const int64_t version = header.get_int(0);
    const int64_t tables = header.get_int(1);
    if (version < 0) return "--db " + path + ": schema number " + std::to_string(version) + " is not torchsweep's";
    if (version == 0 && tables > 0)
      return "--db " + path + ": an SQLite database that is not torchsweep's (it has " + std::to_string(tables) +
             " tables or indexes and no torchsweep schema); nothing was written";
    if (check == Store::Check::Pages) {
      // A damaged page is found only when something reads it; a write that lands next
      // to one would add to a file that is already wrong. So the pages are read first.
      auto quick_check = probe.prepare("PRAGMA quick_check");
      const std::string verdict = quick_check.step() ? quick_check.get_text(0) : "no answer";
      if (verdict != "ok") return damaged(verdict);
    }
    return "";
  } catch (const DatabaseError& e) {
    if (e.is_busy()) throw;  // held past the busy timeout: not the file's fault
    if ((e.code() & 0xff) == 11 /* SQLITE_CORRUPT */) return damaged(e.what());
    return "--db " + path + ": not an SQLite database (" + e.what() + ")";
  }
}

/// Refuses, before anything is opened or written, a path that cannot hold a results
/// database: none, an in-memory one (it would keep nothing), something that is not a
/// regular file (a folder, /dev/null, a FIFO), or a file refusal_of() refuses.
/// InputError naming the path.
void check_database_path(const std::string& path, Store::Check check) {
  if (path.empty()) throw InputError("--db: expected a database file, got an empty name");
  if (path == ":memory:" || path.rfind("file:", 0) == 0)
    throw InputError("--db " + path + ": expected a file on disk (an in-memory or URI database would keep nothing)");
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {  // a new database, in a folder that must exist
    const auto slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "" : slash == 0 ? "/" : path.substr(0, slash);
    if (!folder.empty() && !is_directory(folder))
      throw InputError("--db " + path + ": the folder " + folder +
                       (path_exists(folder) ? " is not a folder" : " does not exist") + " (create it first)");
    return;
  }
  if (!S_ISREG(info.st_mode)) throw InputError("--db " + path + ": not a regular file");
  if (info.st_size == 0) return;
  // A file that is refused must be left as it was, so it is read without creating -wal
  // or -shm files. A refusal from a read that a writer may have disturbed (another
  // process creating the same database) is read again by a reader that sees the writer.
  const TracelessRead read(path);
  std::string refusal = refusal_of(path, read.mode(), check);
  if (!refusal.empty() && read.written_meanwhile()) refusal = refusal_of(path, Database::Mode::ReadOnly, check);
  if (!refusal.empty()) throw InputError(refusal);
}

}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path, Check check) {
  check_database_path(path, check);
  auto db = std::make_unique<Database>(path, Database::Mode::ReadWrite);
  migrate(*db);
  // Metric inserts land all over the (run_id, key, step) index: keep more of it in memory.
  db->exec("PRAGMA cache_size = -65536");
  return std::unique_ptr<Store>(new Store(std::move(db)));
}

std::unique_ptr<Store> Store::open_read_only(const std::string& path, bool locking) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw InputError(path + ": no results database here (run a spec first, or pass --db FILE)");
  check_database_path(path, Check::Header);
  // A reader that locks a WAL database creates its -wal and -shm (and leaves them:
  // a read-only connection never removes them), and fails where it cannot.
  std::optional<TracelessRead> traceless;
  if (!locking) traceless.emplace(path);
  auto db = std::make_unique<Database>(path, traceless ? traceless->mode() : Database::Mode::ReadOnly);
  const int version = schema_version(*db);
  if (version != kSchemaVersion)
    throw InputError(path + ": results schema version " + std::to_string(version) + ", this build reads " +
                     std::to_string(kSchemaVersion) + " (upgrade it once: torchsweep results upgrade --db " + path + ")");
  std::unique_ptr<Store> store(new Store(std::move(db)));
  store->traceless_ = std::move(traceless);
  return store;
}

void Store::read(const std::string& path, const std::function<void(Store&)>& read) {
  // A writer that appears during an unlocked read either is still there at the next
  // try (its -wal makes that read lock) or has gone (the file is then read as it is
  // now); only writers that keep coming and going need the last, locking, try.
  constexpr int kUnlockedTries = 3;
  for (int attempt = 0; attempt < kUnlockedTries; ++attempt) {
    auto store = open_read_only(path);
    read(*store);
    if (!store->written_meanwhile()) return;
  }
  auto store = open_read_only(path, /*locking=*/true);
  read(*store);
}

Store::Store(std::unique_ptr<Database> db)
    : db_(std::move(db)),
      // An upsert, not INSERT OR REPLACE: a replace deletes the old row first, and with
      // foreign keys on that costs every insert a check for rows referring to it (a
      // quarter of the bulk-logging rate).
      insert_metric_(db_->prepare("INSERT INTO metrics(run_id, key, step, value) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value")),
      insert_key_(db_->prepare(
          "INSERT OR IGNORE INTO metric_keys(run_id, key, position, axis) "
          "VALUES (?1, ?2, (SELECT count(*) FROM metric_keys WHERE run_id = ?1), ?3)")) {}

std::pair<int64_t, std::vector<int64_t>> Store::create_sweep(const NewSweep& sweep, const std::vector<NewRun>& runs) {
  Transaction tx(*db_);
  auto ids = insert_sweep(sweep, runs);
  tx.commit();
  return ids;
}

Store::OpenedSweep Store::open_sweep(const NewSweep& sweep, const std::vector<NewRun>& runs, bool fresh) {
  Transaction tx(*db_);
  OpenedSweep opened;
  if (!fresh) {
    auto [id, existing] = find_sweep(sweep.spec_hash);
    // A sweep that proposes runs as it goes has more than it started with: its first
    // runs are the ones planned.
    const auto adaptive = nlohmann::json::parse(sweep.adaptive_json, nullptr, /*allow_exceptions=*/false);
    const bool proposes = adaptive.is_object() && adaptive.contains("search");
    bool same = id != 0 && (existing.size() == runs.size() || (proposes && existing.size() > runs.size()));
    for (size_t i = 0; same && i < runs.size(); ++i) same = existing[i].config_hash == runs[i].config_hash;
    if (same) {
      opened.id = id;
      opened.runs = std::move(existing);
    }
  }
  if (opened.id == 0) {
    opened.created = true;
    opened.id = insert_sweep(sweep, runs).first;
    opened.runs = sweep_runs(opened.id);
  }
  tx.commit();
  return opened;
}

std::pair<int64_t, std::vector<int64_t>> Store::insert_sweep(const NewSweep& sweep, const std::vector<NewRun>& runs) {
  db_->prepare(
         "INSERT INTO sweeps(name, spec_text, spec_hash, spec_path, overrides, mode, created_at, launcher, uid, "
         "adaptive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, lower(hex(randomblob(16)))), ?)")
      .bind(1, sweep.name)
      .bind(2, sweep.spec_text)
      .bind(3, sweep.spec_hash)
      .bind(4, sweep.spec_path)
      .bind(5, sweep.overrides_json)
      .bind(6, sweep.mode)
      .bind(7, utc_now())
      .bind(8, sweep.launcher)
      .bind(9, sweep.uid.empty() ? SqlValue(nullptr) : SqlValue(sweep.uid))
      .bind(10, sweep.adaptive_json)
      .run();
  const int64_t sweep_id = db_->last_insert_id();
  return {sweep_id, add_runs(sweep_id, runs)};
}

std::vector<int64_t> Store::add_runs(int64_t sweep_id, const std::vector<NewRun>& runs) {
  auto insert_run = db_->prepare(
      "INSERT INTO runs(sweep_id, run_index, config_hash, config_json, swept_json, seed, device, rerun_of, status, "
      "uid, kind, lane_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, lower(hex(randomblob(16)))), ?, ?)");
  auto insert_param = db_->prepare("INSERT INTO params(run_id, key, value) VALUES (?, ?, ?)");
  // A group is numbered by its first run's id, known once that run is in.
  auto lead_group = db_->prepare("UPDATE runs SET lane_group = id WHERE id = ?");
  std::vector<int64_t> ids;
  for (const auto& run : runs) {
    if (run.lane_leader > static_cast<int64_t>(ids.size()))
      throw std::logic_error("add_runs: a lane group's first run comes after its others");
    const bool leads = run.lane_leader == static_cast<int64_t>(ids.size());
    insert_run.bind(1, sweep_id)
        .bind(2, run.index)
        .bind(3, run.config_hash)
        .bind(4, run.config_json)
        .bind(5, run.swept_json)
        .bind(6, run.seed)
        .bind(7, run.device)
        .bind(8, run.rerun_of ? SqlValue(run.rerun_of) : SqlValue(nullptr))
        .bind(9, to_string(RunStatus::Pending))
        .bind(10, run.uid.empty() ? SqlValue(nullptr) : SqlValue(run.uid))
        .bind(11, run.kind)
        .bind(12, run.lane_leader < 0 || leads ? SqlValue(nullptr) : SqlValue(ids[static_cast<size_t>(run.lane_leader)]))
        .run();
    const int64_t run_id = db_->last_insert_id();
    ids.push_back(run_id);
    if (leads) lead_group.bind(1, run_id).run();
    for (const auto& [key, value] : run.params) insert_param.bind(1, run_id).bind(2, key).bind(3, value).run();
  }
  return ids;
}

void Store::mark_running(int64_t run_id, const RunEnvironment& env) {
  Transaction tx(*db_);
  drop_run_packs(*db_, run_id);  // its rows change from now on
  db_->prepare(
         "UPDATE runs SET started_at = coalesce(started_at, ?), device = ?, device_name = ?, host = ?, "
         "torchsweep_version = ?, torch_version = ?, git_commit = ?, command = ?, status = ?, engine = ?, "
         "engine_note = ?, memory_format = ? WHERE id = ?")
      .bind(1, utc_now())
      .bind(2, env.device)
      .bind(3, env.device_name)
      .bind(4, env.host)
      .bind(5, env.torchsweep_version)
      .bind(6, env.torch_version)
      .bind(7, env.git_commit.empty() ? SqlValue(nullptr) : SqlValue(env.git_commit))
      .bind(8, env.command)
      .bind(9, to_string(RunStatus::Running))
      .bind(10, env.engine.empty() ? SqlValue(nullptr) : SqlValue(env.engine))
      .bind(11, env.engine_note.empty() ? SqlValue(nullptr) : SqlValue(env.engine_note))
      .bind(12, env.memory_format.empty() ? SqlValue(nullptr) : SqlValue(env.memory_format))
      .bind(13, run_id)
      .run();
  tx.commit();
}

void Store::set_engine(int64_t run_id, const std::string& engine, const std::string& note) {
  db_->prepare("UPDATE runs SET engine = ?, engine_note = ? WHERE id = ?")
      .bind(1, engine)
      .bind(2, note.empty() ? SqlValue(nullptr) : SqlValue(note))
      .bind(3, run_id)
      .run();
}

namespace {

/// The one insert loop behind both forms of append_metrics. `key_of(point)` is the
/// point's metric name; it outlives the loop, so it is bound without a copy.
template <typename Point, typename KeyOf>
void insert_points(Database& db, Statement& insert_key, Statement& insert_metric, int64_t run_id,
                   const std::vector<Point>& points, const std::vector<MetricKey>& new_keys, KeyOf key_of) {
  if (points.empty() && new_keys.empty()) return;
  Transaction tx(db);
  for (const auto& key : new_keys) insert_key.bind(1, run_id).bind(2, key.name).bind(3, to_string(key.axis)).run();
  // SQLite stores NaN as NULL; infinities are kept.
  for (const auto& p : points) {
    insert_metric.bind(1, run_id).bind_borrowed(2, key_of(p)).bind(3, p.step).bind(4, p.value);
    insert_metric.run();
  }
  tx.commit();
}

}  // namespace

void Store::append_metrics(int64_t run_id, const std::vector<MetricPoint>& points,
                           const std::vector<MetricKey>& new_keys) {
  insert_points(*db_, insert_key_, insert_metric_, run_id, points, new_keys,
                [](const MetricPoint& p) -> const std::string& { return p.key; });
}

void Store::append_metrics(int64_t run_id, const std::vector<std::string>& names,
                           const std::vector<NumberedPoint>& points, const std::vector<MetricKey>& new_keys) {
  insert_points(*db_, insert_key_, insert_metric_, run_id, points, new_keys,
                [&names](const NumberedPoint& p) -> const std::string& { return names.at(p.key); });
}

bool Store::has_metrics(int64_t run_id) {
  auto stmt = db_->prepare("SELECT EXISTS (SELECT 1 FROM metrics WHERE run_id = ?)");
  stmt.bind(1, run_id);
  stmt.step();
  return stmt.get_int(0) != 0;
}

void Store::end_run(int64_t run_id, RunStatus status, const std::string& error, int64_t steps, double wall_seconds,
                    const MetricSummaries* summaries) {
  Transaction tx(*db_);
  if (summaries) {
    auto insert = db_->prepare(
        "INSERT OR REPLACE INTO summaries(run_id, key, count, first, last, min, max, step_min, step_max, "
        "last_step, last_k, mean_last_k, step_half) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto step_or_null = [](const std::optional<int64_t>& step) { return step ? SqlValue(*step) : SqlValue(nullptr); };
    for (const auto& [key, s] : *summaries) {
      if (s.count() == 0) continue;  // the table has no row for a metric without points
      // NaN binds as NULL, as it is stored in `metrics`.
      insert.bind(1, run_id).bind(2, key).bind(3, s.count()).bind(4, s.first()).bind(5, s.last());
      insert.bind(6, s.min()).bind(7, s.max()).bind(8, step_or_null(s.step_min())).bind(9, step_or_null(s.step_max()));
      insert.bind(10, s.last_step()).bind(11, static_cast<int64_t>(s.last_k())).bind(12, s.mean_last_k());
      insert.bind(13, step_or_null(s.step_half()));
      insert.run();
    }
  } else {
    summarize_run(*db_, run_id);
  }
  pack_run_metrics(*db_, run_id);
  db_->prepare("UPDATE runs SET status = ?, error = ?, steps = ?, wall_seconds = ?, ended_at = ? WHERE id = ?")
      .bind(1, to_string(status))
      .bind(2, error.empty() ? SqlValue(nullptr) : SqlValue(error))
      .bind(3, steps)
      .bind(4, wall_seconds)
      .bind(5, utc_now())
      .bind(6, run_id)
      .run();
  tx.commit();
}

void Store::set_artifact_dir(int64_t run_id, const std::string& dir) {
  db_->prepare("UPDATE runs SET artifact_dir = ? WHERE id = ?").bind(1, dir).bind(2, run_id).run();
}

void Store::record_checkpoint(int64_t run_id, const std::string& path, int64_t epoch) {
  Transaction tx(*db_);
  db_->prepare("UPDATE runs SET checkpoint = ?, checkpoint_epoch = ? WHERE id = ?")
      .bind(1, path)
      .bind(2, epoch)
      .bind(3, run_id)
      .run();
  // Each checkpoint replaces the previous one on disk, and so in the table.
  db_->prepare("DELETE FROM artifacts WHERE run_id = ? AND kind = 'checkpoint'").bind(1, run_id).run();
  db_->prepare("INSERT INTO artifacts(run_id, kind, path, epoch, created_at) VALUES (?, 'checkpoint', ?, ?, ?)")
      .bind(1, run_id)
      .bind(2, path)
      .bind(3, epoch)
      .bind(4, utc_now())
      .run();
  tx.commit();
}

std::pair<int64_t, std::vector<ExistingRun>> Store::find_sweep(const std::string& spec_hash) {
  auto sweep = db_->prepare("SELECT max(id) FROM sweeps WHERE spec_hash = ?");
  sweep.bind(1, spec_hash);
  if (!sweep.step() || sweep.is_null(0)) return {0, {}};
  const int64_t sweep_id = sweep.get_int(0);
  return {sweep_id, sweep_runs(sweep_id)};
}

std::vector<ExistingRun> Store::sweep_runs(int64_t sweep_id) {
  auto runs = db_->prepare(
      "SELECT id, run_index, config_hash, status, coalesce(artifact_dir, ''), uid FROM runs WHERE sweep_id = ? "
      "ORDER BY run_index");
  runs.bind(1, sweep_id);
  std::vector<ExistingRun> out;
  while (runs.step())
    out.push_back(
        {runs.get_int(0), runs.get_int(1), runs.get_text(2), parse_run_status(runs.get_text(3)), runs.get_text(4),
         runs.get_text(5)});
  return out;
}

void Store::set_launcher_state(int64_t sweep_id, const std::string& launcher, const nlohmann::json& state) {
  db_->prepare("UPDATE sweeps SET launcher = ?, launcher_state = ? WHERE id = ?")
      .bind(1, launcher)
      .bind(2, state.dump())
      .bind(3, sweep_id)
      .run();
}

}  // namespace torchsweep
