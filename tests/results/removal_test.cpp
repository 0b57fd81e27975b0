// Deleting runs and sweeps: every record of theirs goes, their artifact folders too,
// and nothing of the others.
#include "results/removal.h"

#include <fstream>
#include <sstream>

#include "base/paths.h"
#include "results/annotations.h"
#include "results/artifact_owner.h"
#include "tests/results/results_fixture.h"
#include "tests/results/store_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using torchsweep::testing::scalar_int;

/// Rows that mention `run_id` in every table that records something of a run.
int64_t rows_of(torchsweep::Database& db, int64_t run_id) {
  int64_t n = 0;
  for (const char* table : {"metrics", "metric_packs", "metric_keys", "params", "summaries", "artifacts",
                            "run_tags"})
    n += scalar_int(db, std::string("SELECT count(*) FROM ") + table + " WHERE run_id = ?", run_id);
  return n + scalar_int(db, "SELECT count(*) FROM runs WHERE id = ?", run_id);
}

TEST_F(QueriesTest, DeletingARunTakesItsRecordsAndItsArtifactFolder) {
  const std::string folder = dir.file("results-artifacts/run-1");
  torchsweep::create_directories(folder + "/checkpoints");
  store->set_artifact_dir(r1, folder);
  store->record_checkpoint(r1, folder + "/checkpoints/step-4", 1);
  torchsweep::tag_runs(db(), {r1}, {"best"}, {});
  ASSERT_GT(rows_of(db(), r1), 10);
  const int64_t r2_rows = rows_of(db(), r2);

  const auto plan = torchsweep::plan_removal(db(), {r1}, {});
  EXPECT_EQ(plan.run_ids, (std::vector<int64_t>{r1}));
  EXPECT_EQ(plan.artifact_dirs, (std::vector<std::string>{folder}));
  torchsweep::remove(db(), plan);
  EXPECT_EQ(rows_of(db(), r1), 0);
  EXPECT_FALSE(torchsweep::path_exists(folder));
  EXPECT_EQ(rows_of(db(), r2), r2_rows) << "the other runs keep everything";
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM sweeps"), 2);
}

TEST_F(QueriesTest, DeletingASweepByNameTakesAllItsRunsAndTheSweep) {
  const auto plan = torchsweep::plan_removal(db(), {}, {"alpha"});
  EXPECT_EQ(plan.sweep_ids, (std::vector<int64_t>{alpha_id}));
  EXPECT_EQ(plan.run_ids, (std::vector<int64_t>{r1, r2, r3}));
  torchsweep::remove(db(), plan);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM runs"), 3);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM sweeps WHERE id = ?", alpha_id), 0);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM metrics WHERE run_id IN (?, ?, ?)", r1), 0);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM metrics"), 6) << "beta's r4 and r5, three points each";
}

TEST_F(QueriesTest, ARunningRunOrAnUnknownIdIsRefusedBeforeAnythingIsDeleted) {
  db().exec("UPDATE runs SET status = 'running', pid = 4242, host = 'node7' WHERE id = " + std::to_string(r6));
  try {
    torchsweep::plan_removal(db(), {r5, r6}, {});
    FAIL() << "a running run was planned for deletion";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("4242 on node7"), std::string::npos) << e.what();
  }
  EXPECT_THROW(torchsweep::plan_removal(db(), {9999}, {}), InputError);
  EXPECT_THROW(torchsweep::plan_removal(db(), {}, {"gamma"}), InputError);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM runs"), 6);
}

TEST_F(QueriesTest, AReRunOfADeletedRunKeepsItsRecord) {
  db().exec("UPDATE runs SET rerun_of = " + std::to_string(r1) + " WHERE id = " + std::to_string(r4));
  torchsweep::remove(db(), torchsweep::plan_removal(db(), {r1}, {}));
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM runs WHERE id = ? AND rerun_of IS NULL", r4), 1);
}

}  // namespace

namespace {

using torchsweep::testing::TempDir;

/// A database of two runs, each with a marked folder holding a checkpoint it recorded.
void two_runs_with_checkpoints(const std::string& db_path) {
  auto store = torchsweep::Store::open(db_path);
  const auto ids = store->create_sweep(torchsweep::testing::make_sweep("s"),
                                       {torchsweep::testing::make_run(0, 0.1, 1), torchsweep::testing::make_run(1, 0.2, 1)})
                       .second;
  torchsweep::ArtifactOwnership owns(store->db());
  for (const auto id : ids) {
    const auto folder =
        torchsweep::prepare_run_folder(store->db(), owns, id, torchsweep::default_artifacts_root(db_path));
    torchsweep::create_directories(folder.dir + "/step-4");
    std::ofstream(folder.dir + "/step-4/model.pt") << "weights";
    store->record_checkpoint(id, folder.dir + "/step-4", 1);
  }
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream(to, std::ios::binary) << in.rdbuf();
}

/// Issue 22, item 3: `cp a.db b.db; results delete 2 --db b.db` removed a-artifacts/run-2,
/// which a.db still records as its checkpoint.
TEST(RemovalTest, DeletingInACopyKeepsTheOriginalsFolders) {
  TempDir dir;
  const std::string a = dir.file("a.db"), b = dir.file("b.db"), folder = dir.file("a-artifacts/run-2");
  two_runs_with_checkpoints(a);
  ASSERT_TRUE(torchsweep::is_directory(folder));
  copy_file(a, b);
  {
    auto copy = torchsweep::Store::open(b);
    const auto plan = torchsweep::plan_removal(copy->db(), {2}, {});
    EXPECT_TRUE(plan.artifact_dirs.empty());
    ASSERT_EQ(plan.kept_dirs.size(), 1u);
    EXPECT_EQ(plan.kept_dirs[0].dir, folder);
    EXPECT_NE(plan.kept_dirs[0].reason.find("(" + a + ")"), std::string::npos) << plan.kept_dirs[0].reason;
    torchsweep::remove(copy->db(), plan);
    EXPECT_EQ(scalar_int(copy->db(), "SELECT count(*) FROM runs WHERE id = 2"), 0);
  }
  EXPECT_TRUE(torchsweep::path_exists(folder + "/step-4/model.pt")) << "a's checkpoint is still there";
  // The original deletes its own.
  auto original = torchsweep::Store::open(a);
  EXPECT_EQ(torchsweep::testing::scalar_text(original->db(), "SELECT checkpoint FROM runs WHERE id = 2"), folder + "/step-4");
  const auto plan = torchsweep::plan_removal(original->db(), {2}, {});
  EXPECT_EQ(plan.artifact_dirs, (std::vector<std::string>{folder}));
  EXPECT_TRUE(plan.kept_dirs.empty());
  torchsweep::remove(original->db(), plan);
  EXPECT_FALSE(torchsweep::path_exists(folder));
  EXPECT_TRUE(torchsweep::path_exists(dir.file("a-artifacts/run-1/step-4/model.pt")));
}

/// Issue 22 (review): `cp a.db b.db; mv a.db c.db; results delete 2 --db b.db` removed
/// a-artifacts/run-2, which c.db (a.db moved) still records: a marker whose file is gone
/// proves no database its owner, so neither b nor c deletes the folder.
TEST(RemovalTest, AFolderMarkedByAGoneFileIsKeptByEveryDatabaseHoldingItsUid) {
  TempDir dir;
  const std::string a = dir.file("a.db"), folder = dir.file("a-artifacts/run-2");
  two_runs_with_checkpoints(a);
  copy_file(a, dir.file("b.db"));
  torchsweep::rename_path(a, dir.file("c.db"));
  for (const char* name : {"b.db", "c.db"}) {
    auto store = torchsweep::Store::open(dir.file(name));
    const auto plan = torchsweep::plan_removal(store->db(), {2}, {});
    EXPECT_TRUE(plan.artifact_dirs.empty()) << name;
    ASSERT_EQ(plan.kept_dirs.size(), 1u) << name;
    EXPECT_EQ(plan.kept_dirs[0].dir, folder);
    EXPECT_EQ(plan.kept_dirs[0].reason.rfind("it was marked by " + a + ", which is gone", 0), 0u)
        << plan.kept_dirs[0].reason;
    torchsweep::remove(store->db(), plan);
    EXPECT_TRUE(torchsweep::path_exists(folder + "/step-4/model.pt")) << name;
  }
}

/// One rule for deleting and continuing: an unmarked folder in the database's own folder
/// that holds no checkpoint the database recorded there (a deleted database's, at the
/// same path) is neither continued nor deleted.
TEST(RemovalTest, AnUnmarkedFolderWithoutItsRecordedCheckpointIsKept) {
  TempDir dir;
  auto store = torchsweep::Store::open(dir.file("x.db"));
  const auto ids = store->create_sweep(torchsweep::testing::make_sweep("s"), {torchsweep::testing::make_run(0, 0.1, 1)})
                       .second;
  const std::string folder = dir.file("x-artifacts/run-1");
  torchsweep::create_directories(folder + "/step-7");
  std::ofstream(folder + "/step-7/model.pt") << "a deleted database's weights";
  store->set_artifact_dir(ids[0], folder);
  const auto plan = torchsweep::plan_removal(store->db(), {ids[0]}, {});
  EXPECT_TRUE(plan.artifact_dirs.empty());
  ASSERT_EQ(plan.kept_dirs.size(), 1u);
  EXPECT_EQ(plan.kept_dirs[0].reason, "it has no owner.json and no checkpoint this database recorded for the run");
  torchsweep::remove(store->db(), plan);
  EXPECT_TRUE(torchsweep::path_exists(folder + "/step-7/model.pt"));
}

TEST(RemovalTest, AnUnmarkedFolderOutsideTheDatabasesOwnFolderIsKept) {
  TempDir dir;
  auto store = torchsweep::Store::open(dir.file("x.db"));
  const auto ids = store->create_sweep(torchsweep::testing::make_sweep("s"), {torchsweep::testing::make_run(0, 0.1, 1)})
                       .second;
  const std::string elsewhere = dir.file("elsewhere/run-1");
  torchsweep::create_directories(elsewhere);
  store->set_artifact_dir(ids[0], elsewhere);
  const auto plan = torchsweep::plan_removal(store->db(), {ids[0]}, {});
  EXPECT_TRUE(plan.artifact_dirs.empty());
  ASSERT_EQ(plan.kept_dirs.size(), 1u);
  EXPECT_NE(plan.kept_dirs[0].reason.find("no owner.json"), std::string::npos);
  torchsweep::remove(store->db(), plan);
  EXPECT_TRUE(torchsweep::is_directory(elsewhere));
}

}  // namespace
