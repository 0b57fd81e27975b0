#include "results/merge.h"

#include "base/error.h"

#include "tests/test_helpers.h"

namespace {

using torchsweep::testing::TempDir;

int64_t count(torchsweep::Store& store, const std::string& sql) {
  auto stmt = store.db().prepare(sql);
  EXPECT_TRUE(stmt.step());
  return stmt.get_int(0);
}

/// A shard with one sweep of `runs` finished runs, each with `points` train/loss points.
void write_shard(const std::string& path, int runs, int points) {
  auto store = torchsweep::Store::open(path);
  std::vector<torchsweep::NewRun> new_runs;
  for (int i = 0; i < runs; ++i) {
    torchsweep::NewRun r;
    r.index = i;
    r.config_hash = "h" + std::to_string(i);
    r.config_json = "{}";
    r.params = {{"optimizer.lr", 0.1 * (i + 1)}};
    new_runs.push_back(r);
  }
  auto [sweep, ids] = store->create_sweep({"s", "{}", "x", "s.yaml"}, new_runs);
  for (auto id : ids) {
    std::vector<torchsweep::MetricPoint> p;
    for (int s = 0; s < points; ++s) p.push_back({"train/loss", s, 1.0 / (s + 1)});
    store->append_metrics(id, p, {"train/loss"});
    store->end_run(id, torchsweep::RunStatus::Finished, "", points, 0.5);
  }
}

TEST(MergeTest, MergingIsIdempotentAndKeepsEveryRow) {
  TempDir dir;
  write_shard(dir.file("a.db"), 2, 5);
  write_shard(dir.file("b.db"), 3, 4);
  auto main = torchsweep::Store::open(dir.file("main.db"));
  auto first = torchsweep::merge_shard(*main, dir.file("a.db"));
  EXPECT_EQ(first.runs, 2);
  EXPECT_EQ(first.sweeps, 1);
  auto second = torchsweep::merge_shard(*main, dir.file("b.db"));
  EXPECT_EQ(second.runs, 3);
  const auto again = torchsweep::merge_shard(*main, dir.file("a.db"));
  EXPECT_EQ(again.runs, 0);
  EXPECT_EQ(again.skipped, 2);
  EXPECT_EQ(again.sweeps, 0);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM sweeps"), 2);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM runs"), 5);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM metrics"), 2 * 5 + 3 * 4);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM params"), 5);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM summaries"), 5);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM metric_keys"), 5);
  // Runs point at their own merged sweep and keep their metrics.
  EXPECT_EQ(count(*main, "SELECT count(*) FROM runs r JOIN sweeps s ON s.id = r.sweep_id"), 5);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"), 22);
  auto check = main->db().prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.get_text(0), "ok");
}

TEST(MergeTest, AMissingOrForeignShardIsBadInput) {
  TempDir dir;
  auto main = torchsweep::Store::open(dir.file("main.db"));
  ASSERT_THROWS_WITH(torchsweep::merge_shard(*main, dir.file("none.db")), torchsweep::InputError, "no such shard");
  { torchsweep::Database other(dir.file("other.db"), torchsweep::Database::Mode::ReadWrite); other.exec("CREATE TABLE t(x)"); }
  ASSERT_THROWS_WITH(torchsweep::merge_shard(*main, dir.file("other.db")), torchsweep::InputError,
                     "not a torchsweep results database");
}

}  // namespace

namespace {

/// A Slurm sweep's main database holds its runs as pending; merging a task's shard
/// (the same uids, further along) brings them up to date, once.
TEST(MergeTest, ShardRunsFurtherAlongUpdateTheirPendingRows) {
  TempDir dir;
  auto main = torchsweep::Store::open(dir.file("main.db"));
  torchsweep::NewRun run;
  run.config_hash = "h";
  run.config_json = "{}";
  run.params = {{"optimizer.lr", 0.5}};
  torchsweep::NewSweep sweep{"s", "{}", "x", "s.yaml"};
  const auto [sweep_id, ids] = main->create_sweep(sweep, {run});
  {
    auto sweep_uid = main->db().prepare("SELECT uid FROM sweeps");
    ASSERT_TRUE(sweep_uid.step());
    sweep.uid = sweep_uid.get_text(0);
  }  // finalized: an open read would keep the shard from being detached after the merge
  run.uid = main->sweep_runs(sweep_id).front().uid;
  {
    auto shard = torchsweep::Store::open(dir.file("task-0.db"));
    const auto [s, shard_ids] = shard->create_sweep(sweep, {run});
    shard->append_metrics(shard_ids[0], {{"train/loss", 0, 0.25}, {"train/loss", 1, 0.125}}, {"train/loss"});
    shard->end_run(shard_ids[0], torchsweep::RunStatus::Finished, "", 2, 0.1);
  }
  const auto first = torchsweep::merge_shard(*main, dir.file("task-0.db"));
  EXPECT_EQ(first.runs, 0);
  EXPECT_EQ(first.updated, 1);
  EXPECT_EQ(first.sweeps, 0);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM runs WHERE status = 'finished' AND steps = 2"), 1);
  EXPECT_EQ(count(*main, "SELECT id FROM runs"), ids[0]);  // the run keeps its id
  EXPECT_EQ(count(*main, "SELECT count(*) FROM metrics"), 2);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM params"), 1);
  const auto again = torchsweep::merge_shard(*main, dir.file("task-0.db"));
  EXPECT_EQ(again.updated, 0);
  EXPECT_EQ(again.skipped, 1);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM metrics"), 2);
}

}  // namespace
