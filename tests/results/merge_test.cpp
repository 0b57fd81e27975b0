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

#include <fstream>

#include "base/paths.h"
#include "results/artifact_owner.h"
#include "results/removal.h"

namespace {

/// Marks run `id`'s folder under `root` as `store`'s and writes a checkpoint it records.
std::string checkpointed_folder(torchsweep::Store& store, int64_t id, const std::string& root) {
  torchsweep::ArtifactOwnership owns(store.db());
  const std::string dir = torchsweep::prepare_run_folder(store.db(), owns, id, root).dir;
  torchsweep::create_directories(dir + "/step-2");
  std::ofstream(dir + "/step-2/model.pt") << "weights of run " << id;
  std::ofstream(dir + "/latest") << "step-2\n";
  store.record_checkpoint(id, dir + "/step-2", 1);
  return dir;
}

std::string text(torchsweep::Store& store, const std::string& sql) {
  auto stmt = store.db().prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.get_text(0);
}

/// Issue 22, item 3: after `results merge a.db --into merged.db`, deleting the sweep in
/// merged.db removed a's folders. The merged runs get copies of their own.
TEST(MergeTest, AddedRunsGetCopiesOfTheirFoldersAndDeletingThemLeavesTheShards) {
  TempDir dir;
  write_shard(dir.file("a.db"), 2, 3);
  std::vector<std::string> shard_folders;
  {
    auto a = torchsweep::Store::open(dir.file("a.db"));
    for (const int64_t id : {1, 2}) shard_folders.push_back(checkpointed_folder(*a, id, dir.file("a-artifacts")));
  }
  auto merged = torchsweep::Store::open(dir.file("merged.db"));
  const auto counts = torchsweep::merge_shard(*merged, dir.file("a.db"));
  EXPECT_EQ(counts.runs, 2);
  EXPECT_EQ(counts.folders_copied, 2);
  const std::string root = dir.file("merged-artifacts");
  for (const int64_t id : {1, 2}) {
    const std::string own = root + "/run-" + std::to_string(id);
    EXPECT_EQ(text(*merged, "SELECT artifact_dir || ' ' || checkpoint FROM runs WHERE id = " + std::to_string(id)),
              own + " " + own + "/step-2");
    std::ifstream weights(own + "/step-2/model.pt");
    std::string line;
    std::getline(weights, line);
    EXPECT_EQ(line, "weights of run " + std::to_string(id));
    EXPECT_EQ(torchsweep::read_owner(own)->database_path, dir.file("merged.db"));
  }
  EXPECT_EQ(torchsweep::merge_shard(*merged, dir.file("a.db")).folders_copied, 0) << "merging again copies nothing";

  const auto plan = torchsweep::plan_removal(merged->db(), {}, {"1"});
  EXPECT_EQ(plan.artifact_dirs, (std::vector<std::string>{root + "/run-1", root + "/run-2"}));
  torchsweep::remove(merged->db(), plan);
  for (const auto& folder : shard_folders) EXPECT_TRUE(torchsweep::path_exists(folder + "/step-2/model.pt")) << folder;
  EXPECT_FALSE(torchsweep::path_exists(root + "/run-1"));
}

/// A Slurm task's shard hands its runs' folders to the main database, which then
/// continues and deletes them; paths stay as the task wrote them.
TEST(MergeTest, AnUpdatedRunsFolderIsHandedToTheTarget) {
  TempDir dir;
  auto main = torchsweep::Store::open(dir.file("main.db"));
  torchsweep::NewRun run;
  run.config_hash = "h";
  run.config_json = "{}";
  torchsweep::NewSweep sweep{"s", "{}", "x", "s.yaml"};
  const auto [sweep_id, ids] = main->create_sweep(sweep, {run});
  sweep.uid = text(*main, "SELECT uid FROM sweeps");
  run.uid = main->sweep_runs(sweep_id).front().uid;
  std::string folder;
  {
    auto shard = torchsweep::Store::open(dir.file("task-0.db"));
    const auto shard_ids = shard->create_sweep(sweep, {run}).second;
    folder = checkpointed_folder(*shard, shard_ids[0], dir.file("artifacts/task-0"));
    shard->end_run(shard_ids[0], torchsweep::RunStatus::Finished, "", 2, 0.1);
  }
  const auto counts = torchsweep::merge_shard(*main, dir.file("task-0.db"));
  EXPECT_EQ(counts.updated, 1);
  EXPECT_EQ(counts.folders_handed, 1);
  EXPECT_EQ(text(*main, "SELECT artifact_dir FROM runs"), folder);
  const auto owner = torchsweep::read_owner(folder);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->database_path, dir.file("main.db"));
  EXPECT_EQ(owner->run_id, ids[0]);
  const auto plan = torchsweep::plan_removal(main->db(), {ids[0]}, {});
  EXPECT_EQ(plan.artifact_dirs, (std::vector<std::string>{folder}));
}

}  // namespace
