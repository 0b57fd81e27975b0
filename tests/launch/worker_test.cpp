// The worker's run labels: swept values as `results list` shows them.
#include "launch/worker.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace torchsweep {
namespace {

TEST(WorkerLabel, SweptValuesReadAsTheTablesShowThem) {
  // The issue's drawn rate and a float-typed 1000 (JSON's 1000.0), written out by hand.
  const auto swept = nlohmann::json::parse(
      R"({"optimizer.lr": 0.23862864348220497, "train.steps": 1000.0, "seed": 3, "optimizer.name": "adam",
          "train.deterministic": true})");
  // nlohmann::json keeps keys sorted.
  EXPECT_EQ(swept_label(swept),
            "optimizer.lr=0.238629 optimizer.name=adam seed=3 train.deterministic=true train.steps=1000");
  EXPECT_EQ(swept_label(nlohmann::json::object()), "");
}

}  // namespace
}  // namespace torchsweep
