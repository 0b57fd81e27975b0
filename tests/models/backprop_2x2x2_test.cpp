// The seed network against the seed's spreadsheet (../shared/reference/seed-values.md §1)
// and against the analytic gradients of the seed document, written out here.
#include "models/backprop_2x2x2.h"

#include <cmath>
#include <map>

#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "train/trainer.h"

namespace {

using Row = std::map<std::string, double>;

constexpr double kTolerance = 1e-9;

/// Trains the shipped spec's run with this learning rate; returns the rows by step.
std::map<int64_t, Row> train_seed(double lr, torchsweep::RunEnded* ended = nullptr) {
  const auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml",
                                           {"optimizer.lr=" + std::to_string(lr)});
  torchsweep::MemorySink sink;
  torchsweep::train_run(plan.runs.at(0).config, sink);
  if (ended) *ended = sink.ended;
  std::map<int64_t, Row> rows;
  for (const auto& p : sink.points) rows[p.step][p.key] = p.value;
  return rows;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(Backprop2x2x2Test, HasEightParametersAndTheSeedWeights) {
  torchsweep::Backprop2x2x2 net;
  EXPECT_EQ(torchsweep::count_parameters(net), 8);
  const std::array<double, 8> seed = {0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55};
  EXPECT_EQ(net.weights(), seed);
}

TEST(Backprop2x2x2Test, IterationZeroMatchesTheSpreadsheet) {
  const auto rows = train_seed(1.0);
  const Row& r = rows.at(0);
  // Values as the spreadsheet shows them.
  const std::map<std::string, double> expected = {
      {"net/h1", 0.0275},           {"net/a_h1", 0.5068745668},  {"net/h2", 0.0425},
      {"net/a_h2", 0.510623401},    {"net/o1", 0.4325303572},    {"net/a_o1", 0.6064777322},
      {"net/o2", 0.5342801539},     {"net/a_o2", 0.6304808355},  {"net/E1", 0.005668753728},
      {"net/E2", 0.00851262421},    {"train/loss", 0.01418137794}, {"grad/w1", 0.0003169933959},
      {"grad/w2", 0.0006339867918}, {"grad/w3", 0.0003517763216}, {"grad/w4", 0.0007035526432},
      {"grad/w5", 0.01288081863},   {"grad/w6", 0.01297608491},  {"grad/w7", 0.01540834828},
      {"grad/w8", 0.01552230812},   {"net/i1", 0.05},            {"net/i2", 0.1},
      {"net/t1", 0.5},              {"net/t2", 0.5},             {"net/w1", 0.15},
      {"net/w8", 0.55}};
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(r.count(key)) << key;
    EXPECT_NEAR(r.at(key), value, kTolerance) << key;
  }
}

TEST(Backprop2x2x2Test, ErrorAtLearningRateOneMatchesTheSpreadsheet) {
  torchsweep::RunEnded ended;
  const auto rows = train_seed(1.0, &ended);
  EXPECT_EQ(ended.status, torchsweep::RunStatus::Finished);
  EXPECT_EQ(ended.steps, 100);
  ASSERT_EQ(rows.size(), 100u);  // iterations 0..99
  const std::map<int64_t, double> expected = {{1, 0.01337791557}, {2, 0.01261490642}, {3, 0.01189085949},
                                              {4, 0.01120427968}, {5, 0.0105536754},  {19, 0.004441332139}};
  for (const auto& [step, value] : expected) EXPECT_NEAR(rows.at(step).at("train/loss"), value, kTolerance) << step;
}

TEST(Backprop2x2x2Test, AutogradEqualsTheAnalyticGradientsAtEveryIteration) {
  for (const double lr : {0.1, 0.2, 0.5, 0.8, 1.0, 2.0}) {
    const auto rows = train_seed(lr);
    ASSERT_EQ(rows.size(), 100u);
    double w[9];
    for (int k = 1; k <= 8; ++k) w[k] = rows.at(0).at("net/w" + std::to_string(k));
    for (int64_t step = 0; step < 100; ++step) {
      const Row& r = rows.at(step);
      const double i1 = 0.05, i2 = 0.1, t1 = 0.5, t2 = 0.5;
      // Weights follow w <- w - lr * dE/dw from the seed's initial values.
      for (int k = 1; k <= 8; ++k) ASSERT_NEAR(r.at("net/w" + std::to_string(k)), w[k], kTolerance) << lr << " " << step;
      const double a_h1 = sigmoid(w[1] * i1 + w[2] * i2);
      const double a_h2 = sigmoid(w[3] * i1 + w[4] * i2);
      const double a_o1 = sigmoid(w[5] * a_h1 + w[6] * a_h2);
      const double a_o2 = sigmoid(w[7] * a_h1 + w[8] * a_h2);
      const double e_total = 0.5 * (t1 - a_o1) * (t1 - a_o1) + 0.5 * (t2 - a_o2) * (t2 - a_o2);
      const double d1 = (a_o1 - t1) * a_o1 * (1 - a_o1);
      const double d2 = (a_o2 - t2) * a_o2 * (1 - a_o2);
      const double g[9] = {0,
                           (d1 * w[5] + d2 * w[7]) * a_h1 * (1 - a_h1) * i1,
                           (d1 * w[5] + d2 * w[7]) * a_h1 * (1 - a_h1) * i2,
                           (d1 * w[6] + d2 * w[8]) * a_h2 * (1 - a_h2) * i1,
                           (d1 * w[6] + d2 * w[8]) * a_h2 * (1 - a_h2) * i2,
                           d1 * a_h1,
                           d1 * a_h2,
                           d2 * a_h1,
                           d2 * a_h2};
      ASSERT_NEAR(r.at("train/loss"), e_total, kTolerance) << lr << " " << step;
      for (int k = 1; k <= 8; ++k) {
        ASSERT_NEAR(r.at("grad/w" + std::to_string(k)), g[k], 1e-12) << "lr " << lr << " step " << step << " w" << k;
        w[k] -= lr * g[k];
      }
    }
  }
}

}  // namespace
