// Deleting runs and sweeps: every record of theirs goes, their artifact folders too,
// and nothing of the others.
#include "results/removal.h"

#include "base/paths.h"
#include "results/annotations.h"
#include "tests/results/results_fixture.h"
#include "tests/results/store_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using torchsweep::testing::scalar_int;

/// Rows that mention `run_id` in every table that records something of a run.
int64_t rows_of(torchsweep::Database& db, int64_t run_id) {
  int64_t n = 0;
  for (const char* table : {"metrics", "metric_keys", "params", "summaries", "artifacts", "run_tags"})
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
