#include "sweep/search_space.h"

#include <cmath>
#include <stdexcept>

#include "spec/fields.h"
#include "tests/sweep/test_objectives.h"
#include "tests/test_helpers.h"

namespace {

using nlohmann::json;
using torchsweep::Distribution;
using torchsweep::from_unit;
using torchsweep::Mark;
using torchsweep::SearchSpace;
using torchsweep::SpecNode;
using torchsweep::to_unit;
using torchsweep::testing::range_of;

Distribution choices() {
  SpecNode list = SpecNode::list(Mark{"s.yaml", 4, 3});
  list.push_back(SpecNode::integer(16, Mark{"s.yaml", 4, 4}));
  list.push_back(SpecNode::integer(32, Mark{"s.yaml", 4, 8}));
  list.push_back(SpecNode::string("wide", Mark{"s.yaml", 4, 12}));
  return torchsweep::choice_of(list);
}

TEST(SearchSpaceTest, UniformMapsLinearly) {
  const auto d = range_of(Distribution::Kind::Uniform, -5, 10);
  EXPECT_DOUBLE_EQ(to_unit(d, -5.0), 0.0);
  EXPECT_DOUBLE_EQ(to_unit(d, 2.5), 0.5);
  EXPECT_DOUBLE_EQ(to_unit(d, 10.0), 1.0);
  EXPECT_NEAR(from_unit(d, 0.2).get<double>(), -2.0, 1e-12);
  for (double x : {-5.0, -1.25, 0.0, 3.7, 10.0}) EXPECT_NEAR(from_unit(d, to_unit(d, x)).get<double>(), x, 1e-12);
  // Outside [0, 1] the value is the nearest bound.
  EXPECT_EQ(from_unit(d, 1.5).get<double>(), 10.0);
  EXPECT_EQ(from_unit(d, -0.5).get<double>(), -5.0);
}

TEST(SearchSpaceTest, LogUniformMapsLinearlyInTheLogarithm) {
  const auto d = range_of(Distribution::Kind::LogUniform, 1e-5, 1);
  // log10 runs from -5 to 0: 1e-3 is 2/5 of the way, 0.03 is (5 + log10 0.03) / 5.
  EXPECT_NEAR(to_unit(d, 1e-3), 0.4, 1e-12);
  EXPECT_NEAR(to_unit(d, 0.03), (5 + std::log10(0.03)) / 5, 1e-12);
  EXPECT_NEAR(from_unit(d, 0.6).get<double>(), 1e-2, 1e-15);
  for (double x : {1e-5, 3e-4, 0.03, 1.0}) EXPECT_NEAR(from_unit(d, to_unit(d, x)).get<double>() / x, 1.0, 1e-12);
  ASSERT_THROWS_WITH(to_unit(d, -1.0), std::invalid_argument, "positive");
}

TEST(SearchSpaceTest, IntUniformGivesEachIntegerAnEqualCell) {
  const auto d = range_of(Distribution::Kind::IntUniform, 1, 4);
  // Four cells of width 1/4; a value sits at its cell's middle.
  EXPECT_DOUBLE_EQ(to_unit(d, 1), 0.125);
  EXPECT_DOUBLE_EQ(to_unit(d, 3), 0.625);
  EXPECT_EQ(from_unit(d, 0.0), json(1));
  EXPECT_EQ(from_unit(d, 0.2499), json(1));
  EXPECT_EQ(from_unit(d, 0.25), json(2));
  EXPECT_EQ(from_unit(d, 1.0), json(4));
  EXPECT_TRUE(from_unit(d, 0.7).is_number_integer());
  for (int v = 1; v <= 4; ++v) EXPECT_EQ(from_unit(d, to_unit(d, v)), json(v));
}

TEST(SearchSpaceTest, ChoiceIsACategoricalIndex) {
  const Distribution d = choices();
  EXPECT_DOUBLE_EQ(to_unit(d, 16), 1.0 / 6);
  EXPECT_DOUBLE_EQ(to_unit(d, 32), 0.5);
  EXPECT_DOUBLE_EQ(to_unit(d, "wide"), 5.0 / 6);
  EXPECT_EQ(from_unit(d, 0.0), json(16));
  EXPECT_EQ(from_unit(d, 0.4), json(32));
  EXPECT_EQ(from_unit(d, 0.99), json("wide"));
  for (const json& v : {json(16), json(32), json("wide")}) EXPECT_EQ(from_unit(d, to_unit(d, v)), v);
  ASSERT_THROWS_WITH(to_unit(d, 64), std::invalid_argument, "not one of the choices");
}

TEST(SearchSpaceTest, RecordedAsJsonAndReadBack) {
  const SearchSpace space = {{"optimizer.lr", range_of(Distribution::Kind::LogUniform, 1e-5, 1)},
                             {"model.depth", range_of(Distribution::Kind::IntUniform, 2, 6)},
                             {"optimizer.momentum", range_of(Distribution::Kind::Uniform, 0, 0.99)},
                             {"model.width", choices()}};
  const json recorded = torchsweep::search_space_to_json(space);
  EXPECT_EQ(recorded, json::parse(R"([
    {"key": "optimizer.lr", "distribution": "log_uniform", "low": 1e-05, "high": 1.0},
    {"key": "model.depth", "distribution": "int_uniform", "low": 2, "high": 6},
    {"key": "optimizer.momentum", "distribution": "uniform", "low": 0.0, "high": 0.99},
    {"key": "model.width", "distribution": "choice", "values": [16, 32, "wide"]}])"));
  const SearchSpace back = torchsweep::search_space_from_json(recorded);
  ASSERT_EQ(back.size(), space.size());
  EXPECT_EQ(torchsweep::search_space_to_json(back), recorded);
  // The same draws from the same seed: the recorded space samples as the written one.
  torchsweep::Sampler a(11), b(11);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(torchsweep::random_point(space, a), torchsweep::random_point(back, b));
  ASSERT_THROWS_WITH(torchsweep::search_space_from_json(json::parse(R"([{"key": "x", "distribution": "normal"}])")),
                     std::invalid_argument, "unknown distribution");
  ASSERT_THROWS_WITH(torchsweep::search_space_from_json(
                         json::parse(R"([{"key": "x", "distribution": "log_uniform", "low": 0, "high": 1}])")),
                     std::invalid_argument, "bounds");
}

TEST(SearchSpaceTest, RandomPointDrawsEachKeyInOrderAsRandomModeDoes) {
  const SearchSpace space = {{"optimizer.lr", range_of(Distribution::Kind::LogUniform, 1e-5, 1)},
                             {"model.width", choices()}};
  torchsweep::Sampler sampler(5), reference(5);
  for (int i = 0; i < 10; ++i) {
    const json point = torchsweep::random_point(space, sampler);
    EXPECT_EQ(point["optimizer.lr"].get<double>(), reference.draw(space[0].distribution).as_double());
    EXPECT_EQ(point["model.width"], torchsweep::to_json(reference.draw(space[1].distribution)));
  }
}

TEST(SearchSpaceTest, PointsMapToTheUnitCubeOrSayTheyDoNotFit) {
  const SearchSpace space = {{"x1", range_of(Distribution::Kind::Uniform, -5, 10)}, {"model.width", choices()}};
  std::vector<double> unit;
  ASSERT_TRUE(torchsweep::point_to_unit(space, json{{"x1", 2.5}, {"model.width", "wide"}}, unit));
  EXPECT_EQ(unit, (std::vector<double>{0.5, 5.0 / 6}));
  EXPECT_EQ(torchsweep::point_from_unit(space, unit), (json{{"x1", 2.5}, {"model.width", "wide"}}));
  EXPECT_FALSE(torchsweep::point_to_unit(space, json{{"x1", 2.5}}, unit));
  EXPECT_FALSE(torchsweep::point_to_unit(space, json{{"x1", 2.5}, {"model.width", 8}}, unit));
}

}  // namespace
