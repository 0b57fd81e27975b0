// Schema migrations: a database written by an older torchsweep opens and is upgraded.
#include "results/schema.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "base/error.h"
#include "results/store.h"
#include "tests/results/schema_rollback.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Database;
using torchsweep::testing::TempDir;

std::string fixture(const std::string& name) {
  std::ifstream in(torchsweep::testing::source_dir() + "/tests/results/fixtures/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double scalar(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.get_double(0);
}

std::string text(Database& db, const std::string& sql, const std::string& bind = "") {
  auto stmt = db.prepare(sql);
  if (!bind.empty()) stmt.bind(1, bind);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.get_text(0);
}

TEST(SchemaTest, VersionOneDatabaseIsUpgradedWithItsDataAndSummaries) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    Database raw(path, Database::Mode::ReadWrite);
    raw.exec(fixture("schema_v1.sql"));
    EXPECT_EQ(torchsweep::schema_version(raw), 1);
  }
  // Reading needs the current schema; opening for writing upgrades.
  ASSERT_THROWS_WITH(torchsweep::Store::open_read_only(path), torchsweep::InputError, "schema version 1");
  auto store = torchsweep::Store::open(path);
  Database& db = store->db();
  EXPECT_EQ(torchsweep::schema_version(db), torchsweep::kSchemaVersion);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM metrics"), 400);
  EXPECT_EQ(scalar(db, "SELECT count(DISTINCT uid) FROM runs WHERE length(uid) = 32"), 2);
  EXPECT_EQ(scalar(db, "SELECT count(DISTINCT uid) FROM sweeps WHERE length(uid) = 32"), 1);
  // Summaries were computed for the old runs: compare with the points themselves.
  EXPECT_EQ(scalar(db, "SELECT count FROM summaries WHERE run_id = 1 AND key = 'train/loss'"), 100);
  EXPECT_DOUBLE_EQ(scalar(db, "SELECT first FROM summaries WHERE run_id = 1 AND key = 'train/loss'"),
                   scalar(db, "SELECT value FROM metrics WHERE run_id = 1 AND key = 'train/loss' AND step = 0"));
  EXPECT_DOUBLE_EQ(scalar(db, "SELECT last FROM summaries WHERE run_id = 2 AND key = 'train/loss'"),
                   scalar(db, "SELECT value FROM metrics WHERE run_id = 2 AND key = 'train/loss' AND step = 99"));
  EXPECT_DOUBLE_EQ(scalar(db, "SELECT min FROM summaries WHERE run_id = 2 AND key = 'train/loss'"),
                   scalar(db, "SELECT min(value) FROM metrics WHERE run_id = 2 AND key = 'train/loss'"));
  EXPECT_EQ(scalar(db, "SELECT step_max FROM summaries WHERE run_id = 2 AND key = 'train/loss'"), 0);
  EXPECT_EQ(scalar(db, "SELECT step_min FROM summaries WHERE run_id = 2 AND key = 'train/loss'"), 99);
  double mean_last = 0;
  for (int step = 90; step < 100; ++step)
    mean_last += scalar(db, "SELECT value FROM metrics WHERE run_id = 2 AND key = 'train/loss' AND step = " +
                                std::to_string(step)) / torchsweep::kSummaryLastK;
  EXPECT_NEAR(scalar(db, "SELECT mean_last_k FROM summaries WHERE run_id = 2 AND key = 'train/loss'"), mean_last, 1e-15);
  // Opening again is a no-op.
  store.reset();
  auto again = torchsweep::Store::open(path);
  EXPECT_EQ(scalar(again->db(), "SELECT count(*) FROM summaries"), 4);
}

TEST(SchemaTest, NewerDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.file("new.db");
  {
    Database raw(path, Database::Mode::ReadWrite);
    raw.exec("PRAGMA user_version = " + std::to_string(torchsweep::kSchemaVersion + 1));
  }
  ASSERT_THROWS_WITH(torchsweep::Store::open(path), torchsweep::DatabaseError, "written by a newer torchsweep");
}

}  // namespace

namespace {

TEST(SchemaTest, TheUpgradeMarksTheTrainersEpochMetricsAsPerEpoch) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    Database raw(path, Database::Mode::ReadWrite);
    raw.exec(fixture("schema_v1.sql"));
    // Before the axis was recorded, the trainer's epoch rows logged these keys.
    raw.exec("INSERT INTO metric_keys VALUES (1, 'test/acc', 23), (1, 'lr', 24)");
  }
  auto store = torchsweep::Store::open(path);
  Database& db = store->db();
  auto axis = [&](const std::string& key) {
    return text(db, "SELECT axis FROM metric_keys WHERE run_id = 1 AND key = ?", key);
  };
  EXPECT_EQ(axis("test/acc"), "epoch");
  EXPECT_EQ(axis("lr"), "epoch");
  EXPECT_EQ(axis("train/loss"), "step");
  EXPECT_EQ(axis("net/E1"), "step");
}

}  // namespace

namespace {

TEST(SchemaTest, TheUpgradeFoldsSlurmColumnsIntoTheLaunchersState) {
  TempDir dir;
  const std::string path = dir.file("v4.db");
  {
    Database raw(path, Database::Mode::ReadWrite);
    raw.exec(fixture("schema_v4.sql"));
    EXPECT_EQ(torchsweep::schema_version(raw), 4);
  }
  auto store = torchsweep::Store::open(path);
  Database& db = store->db();
  EXPECT_EQ(text(db, "SELECT launcher || ' ' || launcher_state FROM sweeps WHERE id = 1"), "local {}");
  EXPECT_EQ(text(db, "SELECT launcher FROM sweeps WHERE id = 2"), "slurm");
  EXPECT_EQ(nlohmann::json::parse(text(db, "SELECT launcher_state FROM sweeps WHERE id = 2")),
            nlohmann::json::parse(R"({"shard_dir": "/lab/lr-slurm/sweep-2",
                                       "jobs": {"array": ["101", "102"], "merge": "103"}})"));
  // The Slurm columns are gone; the runs and their metrics are untouched.
  const std::string columns = text(db, "SELECT group_concat(name, ',') FROM pragma_table_info('sweeps')");
  EXPECT_EQ(columns.find("shard_dir"), std::string::npos);
  EXPECT_EQ(columns.find("slurm_jobs"), std::string::npos);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM metrics"), scalar(db, "SELECT sum(count) FROM summaries"));
  EXPECT_GT(scalar(db, "SELECT count(*) FROM metrics"), 0);
  // The state must stay a JSON object a launcher can read.
  EXPECT_THROW(db.exec("UPDATE sweeps SET launcher_state = 'not json' WHERE id = 2"), torchsweep::DatabaseError);
}

}  // namespace

namespace {

/// Schema 10: every database, new or upgraded, records its own identity once.
TEST(SchemaTest, EveryDatabaseGetsAUidOfItsOwnOnce) {
  TempDir dir;
  const std::string old_path = dir.file("v4.db");
  {
    Database raw(old_path, Database::Mode::ReadWrite);
    raw.exec(fixture("schema_v4.sql"));
  }
  std::string upgraded, fresh;
  {
    auto store = torchsweep::Store::open(old_path);
    upgraded = text(store->db(), "SELECT value FROM meta WHERE key = 'uid'");
    EXPECT_EQ(scalar(store->db(), "SELECT count(*) FROM meta"), 1);
  }
  {
    auto store = torchsweep::Store::open(dir.file("new.db"));
    fresh = text(store->db(), "SELECT value FROM meta WHERE key = 'uid'");
  }
  EXPECT_EQ(upgraded.size(), 32u);
  EXPECT_EQ(upgraded.find_first_not_of("0123456789abcdef"), std::string::npos) << upgraded;
  EXPECT_EQ(fresh.size(), 32u);
  EXPECT_NE(upgraded, fresh);
  // Opening again keeps it: the identity is made once.
  auto again = torchsweep::Store::open(old_path);
  EXPECT_EQ(text(again->db(), "SELECT value FROM meta WHERE key = 'uid'"), upgraded);
}

}  // namespace

namespace {

/// Whether the database takes `status` for run `id` (the CHECK of runs.status).
bool takes_status(Database& db, int64_t id, const std::string& status) {
  try {
    db.prepare("UPDATE runs SET status = ? WHERE id = ?").bind(1, status).bind(2, id).run();
    return true;
  } catch (const torchsweep::DatabaseError&) {
    return false;
  }
}

/// Schema 11: a database written by schema 10 (runs.status's CHECK without paused and
/// stopped) is upgraded keeping every row, and then takes the new statuses, as a new
/// database does; a status no one knows is still refused.
TEST(SchemaTest, AVersionTenDatabaseUpgradesToTakeStoppedAndPausedRuns) {
  TempDir dir;
  const std::string path = dir.file("v10.db");
  {
    Database raw(path, Database::Mode::ReadWrite);
    raw.exec(fixture("schema_v10.sql"));
    EXPECT_EQ(torchsweep::schema_version(raw), 10);
    EXPECT_FALSE(takes_status(raw, 1, "stopped")) << "schema 10 refuses it";
  }
  auto store = torchsweep::Store::open(path);
  Database& db = store->db();
  EXPECT_EQ(torchsweep::schema_version(db), torchsweep::kSchemaVersion);
  // The rows as the fixture holds them (counted in schema_v10.sql).
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM sweeps"), 2);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM metrics"), 186);
  EXPECT_EQ(text(db, "SELECT group_concat(x, ',') FROM (SELECT id || ' ' || status AS x FROM runs ORDER BY id)"),
            "1 finished,2 failed");
  EXPECT_EQ(text(db, "SELECT error FROM runs WHERE id = 2"), "CUDA out of memory");
  EXPECT_EQ(text(db, "SELECT tag || ' ' || note FROM run_tags JOIN runs ON runs.id = run_id"),
            "baseline the seed's rate");
  EXPECT_EQ(text(db, "SELECT value FROM meta WHERE key = 'uid'"), "075ba568d4ca1bc1fed36d1a04b927e6");
  EXPECT_EQ(text(db, "SELECT launcher_state FROM sweeps WHERE id = 2"),
            R"({"shard_dir":"/lab/lr-slurm/sweep-2","jobs":{"array":["101","102"],"merge":"103"}})");
  // The new columns, with their defaults for what was there; the new tables, empty.
  EXPECT_EQ(text(db, "SELECT group_concat(kind, ',') FROM runs"), "train,train");
  EXPECT_EQ(scalar(db, "SELECT count(memory_format) FROM runs"), 0) << "schema 14: NULL, trained as configured";
  EXPECT_EQ(text(db, "SELECT group_concat(adaptive, ',') FROM sweeps"), "{},{}");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM decisions"), 0);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rungs"), 0);
  // Both ended runs got their curves packed (schema 12): a pack per metric, each as
  // long as its rows.
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM metric_packs"),
            scalar(db, "SELECT count(*) FROM (SELECT DISTINCT run_id, key FROM metrics)"));
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM metric_packs p WHERE p.count = (SELECT count(*) FROM metrics m "
                       "WHERE m.run_id = p.run_id AND m.key = p.key) AND length(p.vals) = 8 * p.count"),
            scalar(db, "SELECT count(*) FROM metric_packs"));
  for (const char* status : {"stopped", "paused", "finished"}) EXPECT_TRUE(takes_status(db, 1, status)) << status;
  EXPECT_FALSE(takes_status(db, 1, "bogus"));
  EXPECT_EQ(text(db, "SELECT status FROM runs WHERE id = 1"), "finished");
  EXPECT_EQ(text(db, "PRAGMA integrity_check"), "ok");
  // Another connection reads the relaxed constraint too (the schema's cookie moved on).
  store.reset();
  Database other(path, Database::Mode::ReadWrite);
  EXPECT_TRUE(takes_status(other, 2, "paused"));
  EXPECT_FALSE(takes_status(other, 2, "bogus"));
}

TEST(SchemaTest, EveryDatabaseNewOrUpgradedTakesStoppedAndPausedAndRefusesOthers) {
  TempDir dir;
  for (const std::string& from : {std::string(), std::string("schema_v1.sql"), std::string("schema_v4.sql")}) {
    const std::string path = dir.file((from.empty() ? "new" : from) + ".db");
    if (!from.empty()) {
      Database raw(path, Database::Mode::ReadWrite);
      raw.exec(fixture(from));
    }
    auto store = torchsweep::Store::open(path);
    if (from.empty()) store->create_sweep({"s", "{}", "h", "s.yaml"}, {torchsweep::NewRun{}});
    Database& db = store->db();
    const auto first = static_cast<int64_t>(scalar(db, "SELECT min(id) FROM runs"));
    for (const char* status : {"stopped", "paused"}) EXPECT_TRUE(takes_status(db, first, status)) << from << status;
    EXPECT_FALSE(takes_status(db, first, "bogus")) << from;
    // What the decision log refuses: an action or axis it does not know, a seen that is not JSON.
    const auto sweep = static_cast<int64_t>(scalar(db, "SELECT min(id) FROM sweeps"));
    auto decide = [&](const std::string& action, const std::string& axis, const std::string& seen) {
      try {
        db.prepare("INSERT INTO decisions(sweep_id, seq, run_id, action, rule, axis, seen, decided_at) "
                   "VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM decisions), ?, ?, 'asha', ?, ?, 'now')")
            .bind(1, sweep).bind(2, first).bind(3, action).bind(4, axis).bind(5, seen).run();
        return true;
      } catch (const torchsweep::DatabaseError&) {
        return false;
      }
    };
    EXPECT_TRUE(decide("stop", "epoch", "{}")) << from;
    EXPECT_FALSE(decide("halt", "epoch", "{}")) << from;
    EXPECT_FALSE(decide("stop", "minute", "{}")) << from;
    EXPECT_FALSE(decide("stop", "step", "not json")) << from;
    EXPECT_EQ(text(db, "PRAGMA integrity_check"), "ok") << from;
  }
}

/// Schema 13: a waiting sweep of an older file whose spec says `fuse: on` keeps grouping
/// (its runs used to fuse when a worker took them): its waiting runs get the lane groups
/// expansion gives now. Runs that ended, reruns, adaptive sweeps and sweeps that do not
/// say `fuse: on` stay alone.
TEST(SchemaTest, AVersionTwelveDatabaseGroupsTheWaitingRunsOfItsFuseOnSweeps) {
  TempDir dir;
  const std::string path = dir.file("v12.db");
  {
    auto store = torchsweep::Store::open(path);
    auto spec = [](const std::string& fuse) {
      return nlohmann::json{{"name", "s"}, {"sweep", {{"fuse", fuse}}}}.dump(2);
    };
    auto run = [](int64_t index, int threads) {
      torchsweep::NewRun r;
      r.index = index;
      r.config_hash = "h" + std::to_string(index);
      r.config_json = nlohmann::json{{"device", "cpu"},
                                     {"seed", index},
                                     {"data", {{"name", "seed_example"}}},
                                     {"train", {{"threads", threads}, {"deterministic", false}}}}
                          .dump();
      return r;
    };
    // Sweep 1, fuse: on: runs 1-5, two keys (threads 1 and 2); run 5 is a rerun of run 1.
    auto on_runs = std::vector<torchsweep::NewRun>{run(0, 1), run(1, 2), run(2, 1), run(3, 1), run(4, 2)};
    store->create_sweep({"on", spec("on"), "on", "s.yaml"}, on_runs);
    auto rerun = run(5, 1);
    rerun.rerun_of = 1;
    store->add_runs(1, {rerun});
    // Sweep 2, fuse: off; sweep 3, fuse: on but adaptive (ASHA judges each run).
    store->create_sweep({"off", spec("off"), "off", "s.yaml"}, {run(0, 1), run(1, 1)});
    torchsweep::NewSweep adaptive{"asha", spec("on"), "asha", "s.yaml"};
    adaptive.adaptive_json = R"({"early_stop":{"rule":"asha"}})";
    store->create_sweep(adaptive, {run(0, 1), run(1, 1)});
    // Run 3 ended; run 2 is interrupted and waits again.
    Database& db = store->db();
    db.exec("UPDATE runs SET status = 'finished' WHERE id = 3; UPDATE runs SET status = 'interrupted' WHERE id = 2");
    // As schema 12 wrote it: no lane groups.
    torchsweep::testing::roll_back_schema(db, 12);
  }
  auto store = torchsweep::Store::open(path);
  Database& db = store->db();
  EXPECT_EQ(torchsweep::schema_version(db), torchsweep::kSchemaVersion);
  EXPECT_EQ(text(db, "SELECT group_concat(x, ' ') FROM (SELECT id || ':' || coalesce(lane_group, '-') AS x "
                     "FROM runs ORDER BY id)"),
            "1:1 2:2 3:- 4:1 5:2 6:- 7:- 8:- 9:- 10:-");
  EXPECT_EQ(text(db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
