// The results store: schema and writes through Store, against a real SQLite file. Expected values are written out by hand.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>


#include "base/error.h"
#include "base/paths.h"
#include "results/schema.h"
#include "results/sqlite.h"
#include "results/sqlite_sink.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Database;
using torchsweep::DatabaseError;
using torchsweep::InputError;
using torchsweep::kSchemaVersion;
using torchsweep::MetricPoint;
using torchsweep::NewRun;
using torchsweep::NewSweep;
using torchsweep::RunEnded;
using torchsweep::RunEnvironment;
using torchsweep::RunStarted;
using torchsweep::RunStatus;
using torchsweep::SqliteSink;
using torchsweep::SqlValue;
using torchsweep::Store;
using torchsweep::testing::TempDir;
using torchsweep::testing::loss_curve;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;
using torchsweep::testing::metric_keys;
using torchsweep::testing::metric_rows;
using torchsweep::testing::scalar_int;
using torchsweep::testing::scalar_text;

// ---- small SQL helpers (plain SQL, so the checks do not go through queries.h) ----

bool scalar_is_null(Database& db, const std::string& sql, int64_t bind1 = -1) {
  auto stmt = db.prepare(sql);
  if (bind1 >= 0) stmt.bind(1, bind1);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.is_null(0);
}

/// PRAGMA table_info: column name → (declared type, pk position).
std::map<std::string, std::pair<std::string, int>> table_info(Database& db, const std::string& table) {
  std::map<std::string, std::pair<std::string, int>> out;
  auto stmt = db.prepare("PRAGMA table_info(" + table + ")");
  while (stmt.step()) out[stmt.get_text(1)] = {stmt.get_text(2), static_cast<int>(stmt.get_int(5))};
  return out;
}

bool looks_like_utc_timestamp(const std::string& s) {
  static const std::regex iso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(s, iso);
}

// ---- schema ----

TEST(StoreTest, OpenCreatesSchemaVersionAndWal) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto store = Store::open(path);
  EXPECT_TRUE(torchsweep::path_exists(path));
  EXPECT_EQ(scalar_int(store->db(), "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(torchsweep::schema_version(store->db()), kSchemaVersion);
  EXPECT_EQ(scalar_text(store->db(), "PRAGMA journal_mode"), "wal");

  std::set<std::string> tables;
  auto stmt = store->db().prepare("SELECT name FROM sqlite_master WHERE type = 'table'");
  while (stmt.step()) tables.insert(stmt.get_text(0));
  for (const char* t : {"sweeps", "runs", "params", "metrics", "metric_keys"})
    EXPECT_EQ(tables.count(t), 1u) << "missing table " << t;
}

TEST(StoreTest, TablesHaveTheContractColumns) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  auto& db = store->db();

  const std::map<std::string, std::vector<std::string>> contract = {
      {"sweeps", {"id", "name", "spec_text", "spec_hash", "created_at"}},
      {"runs",
       {"id", "sweep_id", "config_hash", "config_json", "status", "seed", "device", "started_at", "ended_at", "error",
        // "also recorded per run"
        "host", "torchsweep_version", "torch_version", "device_name", "git_commit", "wall_seconds"}},
      {"params", {"run_id", "key", "value"}},
      {"metrics", {"run_id", "key", "step", "value"}},
      {"metric_keys", {"run_id", "key", "position"}},
  };
  for (const auto& [table, columns] : contract) {
    const auto info = table_info(db, table);
    for (const auto& c : columns) EXPECT_EQ(info.count(c), 1u) << table << "." << c << " is missing";
  }

  // metrics' primary key is (run_id, key, step), in that order.
  const auto metrics = table_info(db, "metrics");
  EXPECT_EQ(metrics.at("run_id").second, 1);
  EXPECT_EQ(metrics.at("key").second, 2);
  EXPECT_EQ(metrics.at("step").second, 3);
  EXPECT_EQ(metrics.at("value").second, 0);
  // params.value has no declared type, so numbers stay numbers and text stays text.
  EXPECT_EQ(table_info(db, "params").at("value").first, "");
}

TEST(StoreTest, StatusIsCheckedBySchema) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  const auto [sweep_id, ids] = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)});
  (void)sweep_id;
  EXPECT_THROW(store->db().exec("UPDATE runs SET status = 'exploded' WHERE id = " + std::to_string(ids[0])),
               DatabaseError);
  EXPECT_EQ(scalar_text(store->db(), "SELECT status FROM runs WHERE id = ?", ids[0]), "pending");
}

// ---- create_sweep ----

TEST(StoreTest, CreateSweepInsertsSweepPendingRunsAndParams) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  auto& db = store->db();
  const auto [sweep_id, ids] =
      store->create_sweep(make_sweep("lr"), {make_run(0, 0.1, 1), make_run(1, 0.01, 2), make_run(2, 0.5, 3)});

  EXPECT_EQ(sweep_id, 1);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);

  // The sweep row.
  {
    auto s = db.prepare("SELECT name, spec_text, spec_hash, spec_path, overrides, mode, created_at FROM sweeps "
                        "WHERE id = ?");
    s.bind(1, sweep_id);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.get_text(0), "lr");
    EXPECT_EQ(s.get_text(1), "name: lr\nmodel: backprop_2x2x2\n");
    EXPECT_EQ(s.get_text(2), "spechash-lr");
    EXPECT_EQ(s.get_text(3), "experiments/lr.yaml");
    EXPECT_EQ(s.get_text(4), R"(["optimizer.lr=[0.1,0.01]"])");
    EXPECT_EQ(s.get_text(5), "grid");
    EXPECT_TRUE(looks_like_utc_timestamp(s.get_text(6))) << s.get_text(6);
    EXPECT_FALSE(s.step());
  }

  // The runs: pending, in order, nothing about their execution yet.
  {
    auto r = db.prepare("SELECT id, sweep_id, run_index, config_hash, status, seed, device, started_at, ended_at, "
                        "error, steps FROM runs ORDER BY id");
    const int64_t seeds[] = {1, 2, 3};
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(r.step());
      EXPECT_EQ(r.get_int(0), ids[static_cast<size_t>(i)]);
      EXPECT_EQ(r.get_int(1), sweep_id);
      EXPECT_EQ(r.get_int(2), i);
      EXPECT_EQ(r.get_text(3), "cfg" + std::to_string(i));
      EXPECT_EQ(r.get_text(4), "pending");
      EXPECT_EQ(r.get_int(5), seeds[i]);
      EXPECT_EQ(r.get_text(6), "cpu");
      EXPECT_TRUE(r.is_null(7));
      EXPECT_TRUE(r.is_null(8));
      EXPECT_TRUE(r.is_null(9));
      EXPECT_TRUE(r.is_null(10));
    }
    EXPECT_FALSE(r.step());
  }

  // Params: 4 per run, with SQL types that match the values.
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM params"), 12);
  EXPECT_EQ(scalar_text(db, "SELECT typeof(value) FROM params WHERE run_id = ? AND key = 'optimizer.lr'", ids[0]),
            "real");
  EXPECT_EQ(scalar_text(db, "SELECT typeof(value) FROM params WHERE run_id = ? AND key = 'seed'", ids[0]), "integer");
  EXPECT_EQ(scalar_text(db, "SELECT typeof(value) FROM params WHERE run_id = ? AND key = 'optimizer.name'", ids[0]),
            "text");
  EXPECT_EQ(scalar_text(db, "SELECT value FROM params WHERE run_id = ? AND key = 'model.hidden'", ids[0]), "[4,4]");
  EXPECT_EQ(scalar_int(db, "SELECT value FROM params WHERE run_id = ? AND key = 'seed'", ids[2]), 3);

  // Numbers compare as numbers in SQL: lr > 0.05 picks 0.1 and 0.5, not 0.01.
  {
    auto q = db.prepare("SELECT run_id FROM params WHERE key = 'optimizer.lr' AND value > 0.05 ORDER BY run_id");
    std::vector<int64_t> got;
    while (q.step()) got.push_back(q.get_int(0));
    EXPECT_EQ(got, (std::vector<int64_t>{ids[0], ids[2]}));
  }
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM params WHERE key = 'seed' AND value >= 2"), 2);
  {
    auto q = db.prepare("SELECT value FROM params WHERE run_id = ? AND key = 'optimizer.lr'");
    q.bind(1, ids[1]);
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.get_double(0), 0.01);
  }
}

TEST(StoreTest, CreateSweepIsAtomic) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  auto& db = store->db();
  NewRun bad = make_run(1, 0.01, 2);
  bad.params.push_back({"seed", SqlValue(int64_t{9})});  // duplicate (run_id, key): primary key violation
  EXPECT_THROW(store->create_sweep(make_sweep("broken"), {make_run(0, 0.1, 1), bad}), DatabaseError);
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM sweeps"), 0);
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM runs"), 0);
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM params"), 0);

  // The store is still usable afterwards (the transaction was rolled back, not left open).
  const auto [sweep_id, ids] = store->create_sweep(make_sweep("good"), {make_run(0, 0.1, 1)});
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM sweeps"), 1);
  EXPECT_EQ(scalar_text(db, "SELECT name FROM sweeps WHERE id = ?", sweep_id), "good");
}

// ---- run lifecycle ----

TEST(StoreTest, MarkRunningAndEndRunRecordStatusTimesAndEnvironment) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  auto& db = store->db();
  const auto [sweep_id, ids] = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1), make_run(1, 0.01, 1)});
  (void)sweep_id;

  RunEnvironment env;
  env.device = "cuda:0";
  env.device_name = "NVIDIA H100";
  env.host = "node17";
  env.torchsweep_version = "0.1.0";
  env.torch_version = "1.13.1";
  env.git_commit = "0123abcd";
  env.command = "torchsweep run lr.yaml";
  store->mark_running(ids[0], env);

  {
    auto r = db.prepare("SELECT status, started_at, ended_at, device, device_name, host, torchsweep_version, "
                        "torch_version, git_commit, command FROM runs WHERE id = ?");
    r.bind(1, ids[0]);
    ASSERT_TRUE(r.step());
    EXPECT_EQ(r.get_text(0), "running");
    EXPECT_TRUE(looks_like_utc_timestamp(r.get_text(1))) << r.get_text(1);
    EXPECT_TRUE(r.is_null(2));
    EXPECT_EQ(r.get_text(3), "cuda:0");
    EXPECT_EQ(r.get_text(4), "NVIDIA H100");
    EXPECT_EQ(r.get_text(5), "node17");
    EXPECT_EQ(r.get_text(6), "0.1.0");
    EXPECT_EQ(r.get_text(7), "1.13.1");
    EXPECT_EQ(r.get_text(8), "0123abcd");
    EXPECT_EQ(r.get_text(9), "torchsweep run lr.yaml");
  }
  // The other run is untouched.
  EXPECT_EQ(scalar_text(db, "SELECT status FROM runs WHERE id = ?", ids[1]), "pending");

  store->end_run(ids[0], RunStatus::Finished, "", 40, 1.25);
  {
    auto r = db.prepare("SELECT status, error, steps, wall_seconds, started_at, ended_at FROM runs WHERE id = ?");
    r.bind(1, ids[0]);
    ASSERT_TRUE(r.step());
    EXPECT_EQ(r.get_text(0), "finished");
    EXPECT_TRUE(r.is_null(1));
    EXPECT_EQ(r.get_int(2), 40);
    EXPECT_EQ(r.get_double(3), 1.25);
    EXPECT_TRUE(looks_like_utc_timestamp(r.get_text(5))) << r.get_text(5);
    EXPECT_LE(r.get_text(4), r.get_text(5));  // ISO 8601 sorts chronologically
  }

  // A run without a git commit stores NULL, and a failure keeps its message.
  env.git_commit.clear();
  store->mark_running(ids[1], env);
  EXPECT_TRUE(scalar_is_null(db, "SELECT git_commit FROM runs WHERE id = ?", ids[1]));
  store->end_run(ids[1], RunStatus::Diverged, "loss is nan at step 3", 3, 0.5);
  EXPECT_EQ(scalar_text(db, "SELECT status FROM runs WHERE id = ?", ids[1]), "diverged");
  EXPECT_EQ(scalar_text(db, "SELECT error FROM runs WHERE id = ?", ids[1]), "loss is nan at step 3");
  EXPECT_EQ(scalar_int(db, "SELECT steps FROM runs WHERE id = ?", ids[1]), 3);
}

TEST(StoreTest, EveryStatusIsStoredUnderItsContractName) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  const std::vector<std::pair<RunStatus, std::string>> statuses = {
      {RunStatus::Pending, "pending"}, {RunStatus::Running, "running"}, {RunStatus::Finished, "finished"},
      {RunStatus::Failed, "failed"},   {RunStatus::Diverged, "diverged"}, {RunStatus::Interrupted, "interrupted"}};
  std::vector<NewRun> runs;
  for (size_t i = 0; i < statuses.size(); ++i) runs.push_back(make_run(static_cast<int64_t>(i), 0.1, 1));
  const auto ids = store->create_sweep(make_sweep("s"), runs).second;
  for (size_t i = 0; i < statuses.size(); ++i) {
    store->end_run(ids[i], statuses[i].first, "", 0, 0.0);
    EXPECT_EQ(scalar_text(store->db(), "SELECT status FROM runs WHERE id = ?", ids[i]), statuses[i].second);
  }
}

// ---- metrics ----

TEST(StoreTest, AppendMetricsWritesPointsAndKeyPositionsInFirstSeenOrder) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  auto& db = store->db();
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1), make_run(1, 0.2, 1)}).second;

  // First batch introduces train/loss then lr (not alphabetical order on purpose).
  store->append_metrics(ids[0], {{"train/loss", 0, 2.5}, {"lr", 0, 0.1}, {"train/loss", 1, 2.0}},
                        {"train/loss", "lr"});
  // Second batch introduces test/acc; a key already known is not repeated.
  store->append_metrics(ids[0], {{"train/loss", 2, 1.5}, {"test/acc", 1, 0.75}}, {"test/acc"});
  // The other run's keys are numbered on their own.
  store->append_metrics(ids[1], {{"test/acc", 1, 0.5}}, {"test/acc"});

  EXPECT_EQ(metric_keys(db, ids[0]),
            (std::vector<std::pair<std::string, int64_t>>{{"train/loss", 0}, {"lr", 1}, {"test/acc", 2}}));
  EXPECT_EQ(metric_keys(db, ids[1]), (std::vector<std::pair<std::string, int64_t>>{{"test/acc", 0}}));

  const auto rows = metric_rows(db, ids[0]);
  ASSERT_EQ(rows.size(), 5u);
  // ORDER BY key, step: lr, test/acc, train/loss x3
  EXPECT_EQ(rows[0].key, "lr");
  EXPECT_EQ(rows[0].step, 0);
  EXPECT_EQ(rows[0].value, 0.1);
  EXPECT_EQ(rows[1].key, "test/acc");
  EXPECT_EQ(rows[1].step, 1);
  EXPECT_EQ(rows[1].value, 0.75);
  const double loss[] = {2.5, 2.0, 1.5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rows[static_cast<size_t>(2 + i)].key, "train/loss");
    EXPECT_EQ(rows[static_cast<size_t>(2 + i)].step, i);
    EXPECT_EQ(rows[static_cast<size_t>(2 + i)].value, loss[i]);
    EXPECT_FALSE(rows[static_cast<size_t>(2 + i)].null);
  }
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM metrics WHERE run_id = ?", ids[1]), 1);
  // Stored as REAL.
  EXPECT_EQ(scalar_text(db, "SELECT DISTINCT typeof(value) FROM metrics WHERE run_id = ?", ids[0]), "real");
}

TEST(StoreTest, NanIsStoredAsNullAndInfinityIsKept) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  auto& db = store->db();
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  store->append_metrics(ids[0],
                        {{"train/loss", 0, 1.0},
                         {"train/loss", 1, std::numeric_limits<double>::quiet_NaN()},
                         {"train/loss", 2, std::numeric_limits<double>::infinity()}},
                        {"train/loss"});
  const auto rows = metric_rows(db, ids[0]);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[0].null);
  EXPECT_EQ(rows[0].value, 1.0);
  EXPECT_TRUE(rows[1].null);
  EXPECT_FALSE(rows[2].null);
  EXPECT_TRUE(std::isinf(rows[2].value));
  EXPECT_GT(rows[2].value, 0);
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM metrics WHERE value IS NULL"), 1);
}

TEST(StoreTest, AppendingTheSameStepAgainReplacesThePoint) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  store->append_metrics(ids[0], {{"train/loss", 0, 1.0}}, {"train/loss"});
  store->append_metrics(ids[0], {{"train/loss", 0, 0.25}}, {});
  const auto rows = metric_rows(store->db(), ids[0]);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].value, 0.25);
}

// ---- opening ----

TEST(StoreTest, ReopeningKeepsData) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  std::vector<int64_t> ids;
  {
    auto store = Store::open(path);
    ids = store->create_sweep(make_sweep("first"), {make_run(0, 0.1, 1), make_run(1, 0.01, 2)}).second;
    store->append_metrics(ids[0], {{"train/loss", 0, 3.0}, {"train/loss", 1, 2.0}}, {"train/loss"});
    store->end_run(ids[0], RunStatus::Finished, "", 1, 0.5);
  }
  {
    auto store = Store::open(path);
    auto& db = store->db();
    EXPECT_EQ(scalar_int(db, "PRAGMA user_version"), kSchemaVersion);
    EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM sweeps"), 1);
    EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM runs"), 2);
    EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM params"), 8);
    EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM metrics WHERE run_id = ?", ids[0]), 2);
    EXPECT_EQ(scalar_text(db, "SELECT status FROM runs WHERE id = ?", ids[0]), "finished");
    // A new sweep continues the numbering.
    const auto [sweep_id, more] = store->create_sweep(make_sweep("second"), {make_run(0, 0.1, 1)});
    EXPECT_EQ(sweep_id, 2);
    EXPECT_GT(more[0], ids[1]);
  }
  {
    auto reader = Store::open_read_only(path);
    EXPECT_EQ(scalar_int(reader->db(), "SELECT count(*) FROM sweeps"), 2);
    EXPECT_EQ(scalar_int(reader->db(), "SELECT count(*) FROM runs"), 3);
  }
}

TEST(StoreTest, OpenReadOnlyOnMissingFileThrowsInputError) {
  TempDir dir;
  const std::string path = dir.file("nothing-here.db");
  ASSERT_THROWS_WITH(Store::open_read_only(path), InputError, "nothing-here.db");
  EXPECT_FALSE(torchsweep::path_exists(path)) << "a read-only open must not create the file";
}

TEST(StoreTest, OpenReadOnlyOnAnUnmigratedFileThrowsInputError) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  { Database raw(path, Database::Mode::ReadWrite); raw.exec("CREATE TABLE t(x)"); }
  ASSERT_THROWS_WITH(Store::open_read_only(path), InputError, "not torchsweep's");
  // A torchsweep database of an older schema: opened once for writing, it upgrades.
  { Database raw(dir.file("old.db"), Database::Mode::ReadWrite); raw.exec("PRAGMA user_version = 1"); }
  ASSERT_THROWS_WITH(Store::open_read_only(dir.file("old.db")), InputError, "schema version 1");
}

TEST(StoreTest, ReadOnlyStoreRefusesWrites) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  { Store::open(path)->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}); }
  auto reader = Store::open_read_only(path);
  EXPECT_THROW(reader->create_sweep(make_sweep("t"), {make_run(0, 0.1, 1)}), DatabaseError);
  EXPECT_EQ(scalar_int(reader->db(), "SELECT count(*) FROM sweeps"), 1);
}

TEST(StoreTest, OpeningADatabaseFromANewerVersionFails) {
  TempDir dir;
  const std::string path = dir.file("future.db");
  { Store::open(path); }
  { Database raw(path, Database::Mode::ReadWrite); raw.exec("PRAGMA user_version = 99"); }
  ASSERT_THROWS_WITH(Store::open(path), DatabaseError, "newer torchsweep");
  ASSERT_THROWS_WITH(Store::open_read_only(path), InputError, "99");
}

// ---- SqliteSink ----

}  // namespace

// ---- continuing a sweep ----

namespace {

TEST(StoreScaleTest, OpenSweepContinuesTheSameSpecOnlyWhenItsRunsMatch) {
  TempDir dir;
  auto store = Store::open(dir.file("o.db"));
  const auto first = store->open_sweep(make_sweep("o"), {make_run(0, 0.1, 1), make_run(1, 0.2, 1)}, false);
  EXPECT_TRUE(first.created);
  const auto again = store->open_sweep(make_sweep("o"), {make_run(0, 0.1, 1), make_run(1, 0.2, 1)}, false);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.id, first.id);
  EXPECT_TRUE(store->open_sweep(make_sweep("o"), {make_run(0, 0.1, 1), make_run(1, 0.2, 1)}, true).created);
  auto changed = make_run(1, 0.2, 1);
  changed.config_hash = "other";
  EXPECT_TRUE(store->open_sweep(make_sweep("o"), {make_run(0, 0.1, 1), changed}, false).created);
}

}  // namespace

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(StoreTest, PathsThatCannotHoldAResultsDatabaseAreRefusedAndNothingIsWritten) {
  torchsweep::testing::TempDir dir;
  auto refused = [](const std::string& path, const std::string& why) {
    try {
      torchsweep::Store::open(path);
      ADD_FAILURE() << path << " was opened";
    } catch (const torchsweep::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << path << ": " << e.what();
    }
  };
  refused("", "expected a database file");
  refused(":memory:", "expected a file on disk");
  refused("file:x.db?mode=memory", "expected a file on disk");
  refused(dir.path(), "not a regular file");
  refused("/dev/null", "not a regular file");
  EXPECT_NE(access("/dev/null-journal", F_OK), 0);
  std::ofstream(dir.file("notes.txt")) << "not a database, just some text that is long enough to have a header\n";
  refused(dir.file("notes.txt"), "not an SQLite database");
  {
    torchsweep::Database other(dir.file("other.db"), torchsweep::Database::Mode::ReadWrite);
    other.exec("CREATE TABLE inventory (item TEXT, count INTEGER); INSERT INTO inventory VALUES ('bolts', 40)");
  }
  const std::string before = file_bytes(dir.file("other.db"));
  refused(dir.file("other.db"), "not torchsweep's");
  EXPECT_EQ(file_bytes(dir.file("other.db")), before) << "someone else's database is left byte for byte";
  EXPECT_NE(access(dir.file("other.db-wal").c_str(), F_OK), 0);
  {
    torchsweep::Database odd(dir.file("odd.db"), torchsweep::Database::Mode::ReadWrite);
    odd.exec("PRAGMA user_version = -1");
  }
  refused(dir.file("odd.db"), "schema number -1");
  // An empty file is a new database.
  std::ofstream(dir.file("empty.db")).close();
  EXPECT_NO_THROW(torchsweep::Store::open(dir.file("empty.db")));
}

}  // namespace

namespace {

TEST(StoreTest, ADamagedDatabaseIsRefusedBeforeAnythingIsWrittenToIt) {
  TempDir dir;
  const std::string good = dir.file("good.db");
  {
    auto store = Store::open(good);
    std::vector<NewRun> runs;
    for (int i = 0; i < 5; ++i) runs.push_back(make_run(i, 0.1 * (i + 1), i));
    const auto ids = store->create_sweep(make_sweep("s"), runs).second;
    for (const auto id : ids) {
      store->append_metrics(id, loss_curve(3000), {"train/loss"});
      store->end_run(id, RunStatus::Finished, "", 3000, 1.0);
    }
  }
  const std::string intact = file_bytes(good);
  ASSERT_GT(intact.size(), 100000u);
  EXPECT_NO_THROW(Store::open(good, Store::Check::Pages));
  // 4 KB of noise written over the middle of a copy, at five offsets (page-aligned or not).
  std::mt19937 random(3);
  for (const double at : {0.3, 0.45, 0.5, 0.62, 0.8}) {
    const auto offset = static_cast<size_t>(static_cast<double>(intact.size()) * at) + (at == 0.5 ? 0 : 1234);
    std::string damaged = intact;
    for (size_t i = 0; i < 4096 && offset + i < damaged.size(); ++i) damaged[offset + i] = static_cast<char>(random());
    const std::string path = dir.file("damaged.db");
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged; }
    try {
      Store::open(path, Store::Check::Pages);
      ADD_FAILURE() << "a copy damaged at byte " << offset << " was opened for writing";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--db " + path + ": the database is damaged"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("nothing was written"), std::string::npos) << e.what();
    }
    EXPECT_EQ(file_bytes(path), damaged) << "the damaged file was changed";
    EXPECT_FALSE(torchsweep::path_exists(path + "-wal"));
  }
}

}  // namespace

namespace {

/// Processes that start together on a database none of them has created yet: the
/// first creates it while the others check it. A check that reads the file while it
/// is being written must not call it someone else's or damaged.
TEST(StoreTest, StoresOpenedTogetherOnANewFileAllGetIt) {
  TempDir dir;
  for (int round = 0; round < 40; ++round) {
    const std::string path = dir.file("shared" + std::to_string(round) + ".db");
    std::vector<std::string> errors(6);
    std::vector<std::thread> writers;
    for (size_t w = 0; w < errors.size(); ++w) {
      writers.emplace_back([&, w] {
        try {
          auto store = Store::open(path, Store::Check::Pages);
          const auto ids = store->create_sweep(make_sweep("s" + std::to_string(w)), {make_run(0, 0.1, 0)}).second;
          store->append_metrics(ids[0], loss_curve(2000), {"train/loss"});
          store->end_run(ids[0], RunStatus::Finished, "", 2000, 1.0);
        } catch (const torchsweep::DatabaseError& e) {
          errors[w] = std::string(e.what()) + " code " + std::to_string(e.code());
        } catch (const std::exception& e) {
          errors[w] = e.what();
        }
      });
    }
    for (auto& writer : writers) writer.join();
    for (const auto& error : errors) ASSERT_EQ(error, "") << "round " << round;
  }
}

}  // namespace
