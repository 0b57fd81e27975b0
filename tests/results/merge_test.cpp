#include "results/merge.h"

#include "base/error.h"

#include "tests/test_helpers.h"

namespace {

using torchsweep::testing::TempDir;

std::string text_of(torchsweep::Store& store, const std::string& sql) {
  auto stmt = store.db().prepare(sql);
  EXPECT_TRUE(stmt.step());
  return stmt.get_text(0);
}

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
  EXPECT_EQ(count(*main, "SELECT count(*) FROM metric_packs"), 5);
  EXPECT_EQ(count(*main, "SELECT sum(count) FROM metric_packs"), 2 * 5 + 3 * 4);
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

/// Lane groups are numbered by a run id, which each database counts on its own: merged
/// shards keep their groups apart, numbered by their first runs in the target, and a run
/// the target holds already keeps the group it has.
TEST(MergeTest, LaneGroupsAreNumberedAgainSoThatTheyStayApart) {
  TempDir dir;
  auto shard_with_groups = [&](const std::string& name, const std::string& prefix) {
    auto store = torchsweep::Store::open(dir.file(name));
    std::vector<torchsweep::NewRun> runs;
    for (int i = 0; i < 4; ++i) {
      torchsweep::NewRun r;
      r.index = i;
      r.config_hash = prefix + std::to_string(i);
      r.config_json = "{}";
      r.lane_leader = i < 3 ? 0 : -1;  // runs 0-2 in one group, 3 alone
      runs.push_back(r);
    }
    store->create_sweep({"s-" + prefix, "{}", prefix, "s.yaml"}, runs);
    // In each shard the group is numbered 1, its first run's id there.
    EXPECT_EQ(count(*store, "SELECT count(*) FROM runs WHERE lane_group = 1"), 3);
  };
  shard_with_groups("a.db", "a");
  shard_with_groups("b.db", "b");
  auto main = torchsweep::Store::open(dir.file("main.db"));
  torchsweep::merge_shard(*main, dir.file("a.db"));
  torchsweep::merge_shard(*main, dir.file("b.db"));
  auto groups = [&] {
    return text_of(*main, "SELECT group_concat(x, ' ') FROM (SELECT config_hash || ':' || coalesce(lane_group, '-') "
                          "AS x FROM runs ORDER BY id)");
  };
  EXPECT_EQ(groups(), "a0:1 a1:1 a2:1 a3:- b0:5 b1:5 b2:5 b3:-");
  // Merged again, nothing changes.
  torchsweep::merge_shard(*main, dir.file("a.db"));
  EXPECT_EQ(groups(), "a0:1 a1:1 a2:1 a3:- b0:5 b1:5 b2:5 b3:-");
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

namespace {

/// One shard's part of an adaptive sweep: its runs (uid, status, kind), rungs
/// (run index, rung, at, value) and decisions (seq, run index or -1 for none, action).
struct ShardRun {
  std::string uid;
  torchsweep::RunStatus status;
  std::string kind = "train";
};
struct ShardRung {
  size_t run;
  int64_t rung, at;
  double value;
};
struct ShardDecision {
  int64_t seq;
  int run;  ///< index into the shard's runs; -1: about no run
  std::string action;
};

void write_adaptive_shard(const std::string& path, const torchsweep::NewSweep& sweep, const std::vector<ShardRun>& runs,
                          const std::vector<ShardRung>& rungs, const std::vector<ShardDecision>& decisions) {
  auto store = torchsweep::Store::open(path);
  std::vector<torchsweep::NewRun> new_runs;
  for (size_t i = 0; i < runs.size(); ++i) {
    torchsweep::NewRun r;
    r.index = static_cast<int64_t>(i);
    r.config_hash = "h-" + runs[i].uid;
    r.config_json = "{}";
    r.uid = runs[i].uid;
    r.kind = runs[i].kind;
    new_runs.push_back(r);
  }
  const auto [sweep_id, ids] = store->create_sweep(sweep, new_runs);
  for (size_t i = 0; i < runs.size(); ++i)
    if (runs[i].status != torchsweep::RunStatus::Pending) store->end_run(ids[i], runs[i].status, "", 3, 1.0);
  for (const auto& g : rungs)
    store->db()
        .prepare("INSERT INTO rungs(run_id, rung, at, value, reached_at) VALUES (?, ?, ?, ?, '2026-12-06T12:00:00Z')")
        .bind(1, ids[g.run])
        .bind(2, g.rung)
        .bind(3, g.at)
        .bind(4, g.value)
        .run();
  for (const auto& d : decisions)
    store->db()
        .prepare("INSERT INTO decisions(sweep_id, seq, run_id, action, rule, rung, at, decided_at) "
                 "VALUES (?, ?, ?, ?, 'asha', 0, 1, ?)")
        .bind(1, sweep_id)
        .bind(2, d.seq)
        .bind(3, d.run < 0 ? torchsweep::SqlValue(nullptr) : torchsweep::SqlValue(ids[static_cast<size_t>(d.run)]))
        .bind(4, d.action)
        .bind(5, path + " " + std::to_string(d.seq))  // a time of its own per shard and decision
        .run();
}

std::string rows(torchsweep::Store& store, const std::string& sql) {
  return text(store, "SELECT coalesce(group_concat(row, ';'), '') FROM (" + sql + ")");
}

/// Issue 24: shards of an adaptive sweep carry its decisions and rungs, runs' kinds and
/// sweeps' adaptive settings into the main database, ids remapped, idempotently; two
/// shards that both number their decisions from 1 keep every decision, in shard order.
TEST(MergeTest, AnAdaptiveSweepsDecisionsRungsAndKindsAreMergedOnce) {
  using torchsweep::RunStatus;
  TempDir dir;
  auto main = torchsweep::Store::open(dir.file("main.db"));
  // Another sweep first, so that the adaptive sweep's runs have other ids here (3, 4, 5)
  // than in the shards (1, 2 and 1).
  torchsweep::NewRun filler;
  filler.config_hash = "f";
  filler.config_json = "{}";
  main->create_sweep({"other", "{}", "o", "o.yaml"}, {filler, filler});
  torchsweep::NewSweep sweep{"asha", "{}", "x", "s.yaml"};
  sweep.adaptive_json = R"({"early_stop": {"rule": "asha", "eta": 3}})";
  std::vector<torchsweep::NewRun> pending(3, filler);
  for (size_t i = 0; i < pending.size(); ++i) pending[i].uid = "run-" + std::to_string(i);
  main->create_sweep(sweep, pending);
  sweep.uid = text(*main, "SELECT uid FROM sweeps WHERE name = 'asha'");
  EXPECT_EQ(rows(*main, "SELECT id || ' ' || uid AS row FROM runs WHERE uid LIKE 'run-%' ORDER BY id"),
            "3 run-0;4 run-1;5 run-2");

  // Task 0: run-0 stopped at rung 0, run-1 paused there after its promotion.
  write_adaptive_shard(dir.file("a.db"), sweep, {{"run-0", RunStatus::Stopped}, {"run-1", RunStatus::Paused}},
                       {{0, 0, 1, 0.9}, {1, 0, 1, 0.5}}, {{1, 1, "promote"}, {2, 0, "stop"}});
  // Task 1: run-2 finished after its promotion, a proposal about no run; and an lr-find
  // sweep of its own the main database has not seen.
  write_adaptive_shard(dir.file("b.db"), sweep, {{"run-2", RunStatus::Finished}}, {{0, 0, 1, 0.4}},
                       {{1, 0, "promote"}, {2, -1, "propose"}});
  {
    torchsweep::NewSweep lr_find{"lr-find", "{}", "l", "l.yaml"};
    lr_find.mode = "lr_find";
    lr_find.adaptive_json = R"({"search": {"mode": "tpe"}})";
    torchsweep::NewRun run = filler;
    run.kind = "lr_find";
    auto b = torchsweep::Store::open(dir.file("b.db"));
    b->create_sweep(lr_find, {run});
  }
  const auto a = torchsweep::merge_shard(*main, dir.file("a.db"));
  EXPECT_EQ(a.updated, 2);
  EXPECT_EQ(a.decisions, 2);
  const auto b = torchsweep::merge_shard(*main, dir.file("b.db"));
  EXPECT_EQ(b.updated, 1);
  EXPECT_EQ(b.runs, 1);
  EXPECT_EQ(b.sweeps, 1);
  EXPECT_EQ(b.decisions, 2);

  const std::string decisions =
      "SELECT seq || ' ' || coalesce(run_id, '-') || ' ' || action AS row FROM decisions "
      "WHERE sweep_id = (SELECT id FROM sweeps WHERE name = 'asha') ORDER BY seq";
  // a's 1 (run-1 promoted), a's 2 (run-0 stopped), b's 1 (run-2 promoted), b's 2 (a proposal).
  EXPECT_EQ(rows(*main, decisions), "1 4 promote;2 3 stop;3 5 promote;4 - propose");
  const std::string rungs = "SELECT run_id || ' ' || rung || ' ' || at || ' ' || value AS row FROM rungs "
                            "ORDER BY run_id, rung";
  EXPECT_EQ(rows(*main, rungs), "3 0 1 0.9;4 0 1 0.5;5 0 1 0.4");
  EXPECT_EQ(rows(*main, "SELECT uid || ' ' || status || ' ' || kind AS row FROM runs WHERE uid LIKE 'run-%' ORDER BY id"),
            "run-0 stopped train;run-1 paused train;run-2 finished train");
  EXPECT_EQ(text(*main, "SELECT kind FROM runs WHERE sweep_id = (SELECT id FROM sweeps WHERE name = 'lr-find')"),
            "lr_find");
  EXPECT_EQ(text(*main, "SELECT adaptive FROM sweeps WHERE name = 'lr-find'"), R"({"search": {"mode": "tpe"}})");
  EXPECT_EQ(text(*main, "SELECT adaptive FROM sweeps WHERE name = 'asha'"), R"({"early_stop": {"rule": "asha", "eta": 3}})");

  // Merging again adds nothing.
  for (const char* shard : {"a.db", "b.db"}) {
    const auto again = torchsweep::merge_shard(*main, dir.file(shard));
    EXPECT_EQ(again.decisions, 0) << shard;
    EXPECT_EQ(again.runs + again.updated + again.sweeps, 0) << shard;
  }
  EXPECT_EQ(count(*main, "SELECT count(*) FROM decisions"), 4);
  EXPECT_EQ(count(*main, "SELECT count(*) FROM rungs"), 3);

  // A later shard where run-1 went on from its pause to finish, past rung 1: the run is
  // brought up to it and keeps its rung 0; the paused shard does not bring it back.
  write_adaptive_shard(dir.file("c.db"), sweep, {{"run-1", RunStatus::Finished}}, {{0, 1, 3, 0.35}}, {});
  EXPECT_EQ(torchsweep::merge_shard(*main, dir.file("c.db")).updated, 1);
  EXPECT_EQ(torchsweep::merge_shard(*main, dir.file("a.db")).updated, 0);
  EXPECT_EQ(text(*main, "SELECT status FROM runs WHERE uid = 'run-1'"), "finished");
  EXPECT_EQ(rows(*main, rungs), "3 0 1 0.9;4 0 1 0.5;4 1 3 0.35;5 0 1 0.4");
  auto check = main->db().prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.get_text(0), "ok");
}

}  // namespace
