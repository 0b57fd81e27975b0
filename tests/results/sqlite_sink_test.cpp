// The buffering SqliteSink against a real SQLite file: what it writes and when, the
// summaries it keeps while writing (checked against the SQL that computes them from the
// table), and a database locked by another connection for longer than the busy timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "results/schema.h"
#include "results/sqlite.h"
#include "results/sqlite_sink.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Database;
using torchsweep::RunEnded;
using torchsweep::RunEnvironment;
using torchsweep::RunStatus;
using torchsweep::SqliteSink;
using torchsweep::Store;
using torchsweep::testing::TempDir;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;
using torchsweep::testing::metric_keys;
using torchsweep::testing::metric_rows;
using torchsweep::testing::scalar_int;
using torchsweep::testing::scalar_text;

TEST(SqliteSinkTest, WritesBufferedPointsWhenTheRunEnds) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto store = Store::open(path);
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  RunEnvironment env;
  env.host = "h";
  env.command = "torchsweep run s.yaml";
  SqliteSink::Options options;
  options.flush_interval = std::chrono::hours(1);  // only the end of the run flushes
  SqliteSink sink(*store, ids[0], env, options);

  sink.run_started({"cpu", "Some CPU"});
  EXPECT_EQ(scalar_text(store->db(), "SELECT status FROM runs WHERE id = ?", ids[0]), "running");
  EXPECT_EQ(scalar_text(store->db(), "SELECT device_name FROM runs WHERE id = ?", ids[0]), "Some CPU");
  EXPECT_EQ(scalar_text(store->db(), "SELECT device FROM runs WHERE id = ?", ids[0]), "cpu");
  EXPECT_EQ(scalar_text(store->db(), "SELECT host FROM runs WHERE id = ?", ids[0]), "h");

  sink.log(0, {{"train/loss", 0.9}, {"lr", 0.1}});
  sink.log(1, {{"train/loss", 0.7}});
  sink.log(2, {{"train/loss", 0.4}, {"test/acc", 0.5}});
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metrics"), 0) << "points should still be buffered";

  RunEnded ended;
  ended.status = RunStatus::Finished;
  ended.steps = 2;
  ended.wall_seconds = 0.125;
  sink.run_ended(ended);

  auto reader = Store::open_read_only(path);
  auto& db = reader->db();
  const auto rows = metric_rows(db, ids[0]);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].key, "lr");
  EXPECT_EQ(rows[0].value, 0.1);
  EXPECT_EQ(rows[1].key, "test/acc");
  EXPECT_EQ(rows[1].step, 2);
  EXPECT_EQ(rows[1].value, 0.5);
  EXPECT_EQ(rows[2].value, 0.9);
  EXPECT_EQ(rows[3].value, 0.7);
  EXPECT_EQ(rows[4].value, 0.4);
  EXPECT_EQ(rows[4].step, 2);
  EXPECT_EQ(metric_keys(db, ids[0]),
            (std::vector<std::pair<std::string, int64_t>>{{"train/loss", 0}, {"lr", 1}, {"test/acc", 2}}));
  EXPECT_EQ(scalar_text(db, "SELECT status FROM runs WHERE id = ?", ids[0]), "finished");
  EXPECT_EQ(scalar_int(db, "SELECT steps FROM runs WHERE id = ?", ids[0]), 2);
}

TEST(SqliteSinkTest, HandsFullBatchesToItsWriter) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto store = Store::open(path);
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  SqliteSink::Options options;
  options.batch_points = 2;
  options.flush_interval = std::chrono::hours(1);
  SqliteSink sink(*store, ids[0], RunEnvironment{}, options);
  sink.run_started({"cpu", "cpu"});

  // A second, read-only connection (as `torchsweep results list` in another terminal would have).
  auto reader = Store::open_read_only(path);
  auto count = [&] { return scalar_int(reader->db(), "SELECT count(*) FROM metrics WHERE run_id = ?", ids[0]); };
  // The writer commits in the background: wait (boundedly) for what it should write.
  auto eventually = [&](int64_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (count() != expected && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return count();
  };

  sink.log(0, {{"train/loss", 1.0}});
  EXPECT_EQ(count(), 0);  // one buffered: below the batch size, nothing handed over
  sink.log(1, {{"train/loss", 0.8}});  // two buffered: handed over
  EXPECT_EQ(eventually(2), 2);
  EXPECT_EQ(metric_keys(reader->db(), ids[0]), (std::vector<std::pair<std::string, int64_t>>{{"train/loss", 0}}));
  sink.log(2, {{"train/loss", 0.6}});
  sink.flush();  // everything logged is committed when flush returns
  EXPECT_EQ(count(), 3);
  sink.log(3, {{"train/loss", 0.5}, {"lr", 0.01}});  // two buffered: handed over
  EXPECT_EQ(eventually(5), 5);
  EXPECT_EQ(metric_keys(reader->db(), ids[0]),
            (std::vector<std::pair<std::string, int64_t>>{{"train/loss", 0}, {"lr", 1}}));
  sink.log(4, {{"train/loss", 0.4}});
  EXPECT_EQ(scalar_text(reader->db(), "SELECT status FROM runs WHERE id = ?", ids[0]), "running");

  sink.run_ended({RunStatus::Finished, "", 4, 0.01});
  EXPECT_EQ(count(), 6);
  EXPECT_EQ(scalar_text(reader->db(), "SELECT status FROM runs WHERE id = ?", ids[0]), "finished");
}

TEST(SqliteSinkTest, KeepsEveryPointUnderLoad) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  SqliteSink::Options options;
  options.batch_points = 100;
  options.max_buffered_points = 300;  // the training side must sometimes wait
  SqliteSink sink(*store, ids[0], RunEnvironment{}, options);
  for (int64_t step = 0; step < 20000; ++step) sink.log(step, {{"a", 1.0 * step}, {"b", -1.0 * step}});
  sink.run_ended({RunStatus::Finished, "", 20000, 1.0});
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metrics WHERE run_id = ?", ids[0]), 40000);
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metrics WHERE run_id = ? AND key = 'b' AND value = -step",
                       ids[0]),
            20000);
}

TEST(SqliteSinkTest, FlushesWhenDestroyed) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto store = Store::open(path);
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  {
    SqliteSink::Options options;
    options.flush_interval = std::chrono::hours(1);
    SqliteSink sink(*store, ids[0], RunEnvironment{}, options);
    sink.log(0, {{"train/loss", 1.0}});
    sink.log(1, {{"train/loss", 0.5}});
    EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metrics"), 0);
  }
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metrics WHERE run_id = ?", ids[0]), 2);
  // Without run_ended, the status is not touched.
  EXPECT_EQ(scalar_text(store->db(), "SELECT status FROM runs WHERE id = ?", ids[0]), "pending");
}

/// Every column of the run's `summaries` rows next to what summary_select_sql()
/// computes from its points now, as text: equal strings mean equal summaries.
std::pair<std::string, std::string> stored_and_recomputed_summaries(Database& db, int64_t run_id) {
  const std::string columns =
      "key || ' ' || count || ' ' || quote(first) || ' ' || quote(last) || ' ' || quote(min) || ' ' || quote(max) || "
      "' ' || quote(step_min) || ' ' || quote(step_max) || ' ' || last_step || ' ' || last_k || ' ' || "
      "printf('%.12g', mean_last_k) || ' ' || quote(step_half)";
  auto text = [&](const std::string& from) {
    auto stmt = db.prepare("SELECT group_concat(line, char(10)) FROM (SELECT " + columns + " AS line FROM (" + from +
                           ") ORDER BY key)");
    stmt.bind(1, run_id).bind(2, static_cast<int64_t>(torchsweep::kSummaryLastK)).bind(3, nullptr);
    EXPECT_TRUE(stmt.step());
    return stmt.get_text(0);
  };
  return {text("SELECT * FROM summaries WHERE run_id = ?1 AND ?2 IS NOT NULL AND ?3 IS NULL"),
          text(torchsweep::summary_select_sql())};
}

TEST(SqliteSinkTest, TheSummariesItKeepsWhileWritingAreThoseTheTableGives) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  SqliteSink::Options options;
  options.batch_points = 37;  // many hand-overs, each cutting across rows
  SqliteSink sink(*store, ids[0], RunEnvironment{}, options);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t step = 0; step < 1000; ++step) {
    torchsweep::MetricRow row = {{"train/loss", 2.0 / (1.0 + 0.01 * static_cast<double>(step))},
                                 {"grad/norm", step % 101 == 50 ? nan : std::sin(static_cast<double>(step))}};
    if (step % 10 == 0) row.emplace_back("lr", step < 500 ? 0.1 : 0.01);  // rows of another shape
    sink.log(step, row);
    if (step % 100 == 99) sink.log_epoch(step / 100 + 1, {{"test/acc", 0.5 + 0.04 * static_cast<double>(step / 100)}});
  }
  sink.run_ended({RunStatus::Finished, "", 1000, 1.0});
  const auto [stored, recomputed] = stored_and_recomputed_summaries(store->db(), ids[0]);
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM summaries WHERE run_id = ?", ids[0]), 4);
  EXPECT_EQ(stored, recomputed);
  EXPECT_NE(stored.find("train/loss 1000 2.0"), std::string::npos) << stored;
}

TEST(SqliteSinkTest, ARunThatContinuesOrReplacesAPointIsSummarisedFromTheTable) {
  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1), make_run(1, 0.1, 2)}).second;
  {  // an earlier attempt of run 0 logged steps 0-2 (its low point among them) and died
    SqliteSink first(*store, ids[0], RunEnvironment{});
    for (int64_t step = 0; step < 3; ++step) first.log(step, {{"train/loss", step == 1 ? 0.01 : 1.0}});
  }
  {
    SqliteSink second(*store, ids[0], RunEnvironment{});
    for (int64_t step = 2; step < 6; ++step) second.log(step, {{"train/loss", 0.5}});
    second.run_ended({RunStatus::Finished, "", 6, 1.0});
  }
  EXPECT_EQ(scalar_int(store->db(), "SELECT count FROM summaries WHERE run_id = ?", ids[0]), 6);
  EXPECT_EQ(scalar_int(store->db(), "SELECT step_min FROM summaries WHERE run_id = ?", ids[0]), 1);
  // Run 1 logs step 3 twice: the second value replaces the first in the table.
  SqliteSink sink(*store, ids[1], RunEnvironment{});
  sink.log(3, {{"train/loss", 0.001}});
  sink.log(3, {{"train/loss", 0.5}});
  sink.log(4, {{"train/loss", 0.25}});
  sink.run_ended({RunStatus::Finished, "", 5, 1.0});
  const auto [stored, recomputed] = stored_and_recomputed_summaries(store->db(), ids[1]);
  EXPECT_EQ(stored, recomputed);
  EXPECT_EQ(scalar_int(store->db(), "SELECT step_min FROM summaries WHERE run_id = ?", ids[1]), 4);
}

TEST(SqliteSinkTest, ALockHeldPastTheBusyTimeoutLosesNoPoint) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto store = Store::open(path);
  const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second;
  store->db().set_busy_timeout(std::chrono::milliseconds(50));
  SqliteSink::Options options;
  options.batch_points = 10;
  options.max_buffered_points = 40;  // training waits for the writer while the lock is held
  options.locked_retry_max = std::chrono::milliseconds(100);
  SqliteSink sink(*store, ids[0], RunEnvironment{}, options);
  sink.run_started({"cpu", "cpu"});

  // Another process (here a second connection) takes the write lock and keeps it for
  // 20 times the busy timeout while the run logs.
  Database other(path, Database::Mode::ReadWrite);
  other.exec("BEGIN IMMEDIATE");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    other.exec("COMMIT");
  });
  for (int64_t step = 0; step < 100; ++step) sink.log(step, {{"a", 1.0 * step}, {"b", 2.0 * step}});
  sink.run_ended({RunStatus::Finished, "", 100, 1.0});
  release.join();
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metrics WHERE run_id = ?", ids[0]), 200);
  EXPECT_EQ(scalar_text(store->db(), "SELECT status FROM runs WHERE id = ?", ids[0]), "finished");
  EXPECT_EQ(scalar_int(store->db(), "SELECT sum(value) FROM metrics WHERE run_id = ? AND key = 'b'", ids[0]), 9900);
}

}  // namespace
