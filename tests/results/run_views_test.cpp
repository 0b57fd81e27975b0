// One run whole: export on both axes.
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

// ---- export_run ----

TEST_F(QueriesTest, ExportRunFollowsMetricKeyOrderOneRowPerStep) {
  const Table t = export_run(db(), r1);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "train/loss", "test/acc", "lr"}));
  const std::vector<std::vector<SqlValue>> want = {
      {I(0), D(4.0), N, N},           {I(1), D(3.0), N, N},          {I(2), D(1.5), D(0.5), D(0.1)},
      {I(3), D(1.0), N, N},           {I(4), D(0.5), D(0.75), D(0.05)},
  };
  ASSERT_EQ(t.rows.size(), want.size());
  for (size_t r = 0; r < want.size(); ++r) {
    ASSERT_EQ(t.rows[r].size(), 4u);
    for (size_t c = 0; c < 4; ++c) EXPECT_CELL(t.rows[r][c], want[r][c]) << " row " << r << " col " << c;
  }
}

TEST_F(QueriesTest, ExportRunWithoutMetricsAndUnknownRun) {
  const Table t = export_run(db(), r6);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step"}));
  EXPECT_TRUE(t.rows.empty());
  EXPECT_THROW(export_run(db(), 12345), InputError);
}


TEST_F(EpochAxisTest, ExportPlacesEachEpochRowAfterTheStepThatEndedIt) {
  const Table t = export_run(db(), run_id);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "epoch", "train/loss", "test/acc", "train/steps"}));
  ASSERT_EQ(t.rows.size(), 8u);
  // step rows 0, 1, 2; epoch 1 (ended after 3 steps); step rows 3, 4, 5; epoch 2.
  const std::vector<std::pair<SqlValue, SqlValue>> expected = {{I(0), N}, {I(1), N}, {I(2), N}, {I(3), I(1)},
                                                               {I(3), N}, {I(4), N}, {I(5), N}, {I(6), I(2)}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_CELL(t.rows[i][0], expected[i].first);
    EXPECT_CELL(t.rows[i][1], expected[i].second);
  }
  EXPECT_CELL(t.rows[3][3], D(0.6));
  EXPECT_CELL(t.rows[3][2], N);
  EXPECT_CELL(t.rows[4][2], D(1.0));
}

}  // namespace
