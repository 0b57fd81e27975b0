#include "spec/overrides.h"

#include "spec/spec_loader.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::SpecError;
using torchsweep::SpecNode;

SpecNode base() {
  return torchsweep::parse_yaml("name: x\nloss: half_sse\noptimizer:\n  name: sgd\n  lr: 0.1\n", "s.yaml");
}

TEST(OverridesTest, SetReplacesAndCreates) {
  SpecNode root = base();
  torchsweep::apply_overrides(root, {"optimizer.lr=0.05", "optimizer.momentum=0.9", "train.steps=7"});
  EXPECT_DOUBLE_EQ(root.find("optimizer")->find("lr")->as_double(), 0.05);
  EXPECT_DOUBLE_EQ(root.find("optimizer")->find("momentum")->as_double(), 0.9);
  EXPECT_EQ(root.find("train")->find("steps")->as_int(), 7);
}

TEST(OverridesTest, ListValueAndMarksPointIntoTheOverride) {
  SpecNode root = base();
  torchsweep::apply_overrides(root, {"optimizer.lr=[0.1,0.2]"});
  const SpecNode* lr = root.find("optimizer")->find("lr");
  ASSERT_TRUE(lr->is_list());
  ASSERT_EQ(lr->items().size(), 2u);
  EXPECT_EQ(lr->items()[1].mark().origin, "override 'optimizer.lr=[0.1,0.2]'");
  EXPECT_EQ(lr->items()[1].mark().column, 19);  // the "0.2"
}

TEST(OverridesTest, ShorthandSectionIsWidened) {
  SpecNode root = base();
  torchsweep::apply_overrides(root, {"loss.extra=1"});
  ASSERT_TRUE(root.find("loss")->is_map());
  EXPECT_EQ(root.find("loss")->find("name")->as_string(), "half_sse");
}

TEST(OverridesTest, AddForceAndRemove) {
  SpecNode root = base();
  torchsweep::apply_overrides(root, {"+seed=3", "++seed=4", "~optimizer.lr"});
  EXPECT_EQ(root.find("seed")->as_int(), 4);
  EXPECT_EQ(root.find("optimizer")->find("lr"), nullptr);
}

TEST(OverridesTest, ErrorsNameTheOverride) {
  SpecNode root = base();
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"optimizer.lr"}), SpecError,
                     "override 'optimizer.lr':1:1: expected key=value");
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"+name=y"}), SpecError,
                     "override '+name=y':1:2: name: the spec already has this key");
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"~nothing"}), SpecError,
                     "override '~nothing':1:2: nothing: cannot remove it");
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"a..b=1"}), SpecError, "expected a dotted key");
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"optimizer.lr=[0.1,"}), SpecError,
                     "override 'optimizer.lr=[0.1,':1:");
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"name.x=1"}), SpecError,
                     "name.x: expected 'name' to be a mapping, found a string");
}

}  // namespace

namespace {

SpecNode with_sweep() {
  return torchsweep::parse_yaml(
      "name: x\nloss: half_sse\noptimizer:\n  name: sgd\n  lr: 0.1\n  momentum: 0.9\n"
      "sweep:\n  parameters:\n    optimizer.lr: [0.1, 0.2]\n",
      "s.yaml");
}

TEST(OverridesTest, ADictMergesIntoTheSectionAsInHydra) {
  SpecNode root = base();
  torchsweep::apply_overrides(root, {"optimizer={name: adam}"});
  EXPECT_EQ(root.find("optimizer")->find("name")->as_string(), "adam");
  EXPECT_DOUBLE_EQ(root.find("optimizer")->find("lr")->as_double(), 0.1);  // kept
  torchsweep::apply_overrides(root, {"optimizer={name:adam,lr:0.001}"});
  EXPECT_DOUBLE_EQ(root.find("optimizer")->find("lr")->as_double(), 0.001);
  // A section written as its name alone merges as {name: ...}.
  torchsweep::apply_overrides(root, {"loss={reduction: mean}"});
  EXPECT_EQ(root.find("loss")->find("name")->as_string(), "half_sse");
  EXPECT_EQ(root.find("loss")->find("reduction")->as_string(), "mean");
}

TEST(OverridesTest, RemovingWithAValueChecksTheValue) {
  SpecNode root = base();
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(root, {"~optimizer.lr=0.2"}), SpecError,
                     "removes the key only when it has this value; it is 0.1, not 0.2");
  torchsweep::apply_overrides(root, {"~optimizer.lr=0.1"});
  EXPECT_EQ(root.find("optimizer")->find("lr"), nullptr);
}

TEST(OverridesTest, SweepParametersKeysWithDotsAreReachable) {
  SpecNode root = with_sweep();
  torchsweep::apply_overrides(root, {"sweep.parameters.optimizer.lr=[0.3,0.4,0.5]",
                                     R"(sweep.parameters."optimizer.momentum"=0,0.5)"});
  const SpecNode* parameters = root.find("sweep")->find("parameters");
  EXPECT_EQ(parameters->find("optimizer.lr")->items().size(), 3u);
  EXPECT_EQ(parameters->find("optimizer.momentum")->items().size(), 2u);
}

TEST(OverridesTest, AValueForASweptKeyReplacesItsSweep) {
  SpecNode root = with_sweep();
  torchsweep::apply_overrides(root, {"optimizer.lr=0.05"});
  EXPECT_EQ(root.find("sweep")->find("parameters")->find("optimizer.lr"), nullptr);
  EXPECT_DOUBLE_EQ(root.find("optimizer")->find("lr")->as_double(), 0.05);
}

TEST(OverridesTest, AnIntervalBecomesADistributionUnderSweepParameters) {
  SpecNode root = base();
  torchsweep::apply_overrides(root, {"optimizer.lr=tag(log, interval(0.001, 0.1))"});
  EXPECT_EQ(root.find("optimizer")->find("lr"), nullptr);
  const SpecNode* drawn = root.find("sweep")->find("parameters")->find("optimizer.lr");
  ASSERT_NE(drawn, nullptr);
  EXPECT_EQ(drawn->find("distribution")->as_string(), "log_uniform");
  EXPECT_DOUBLE_EQ(drawn->find("high")->as_double(), 0.1);
  SpecNode again = base();
  ASSERT_THROWS_WITH(torchsweep::apply_overrides(again, {"+optimizer.lr=interval(0, 1)"}), SpecError,
                     "the spec already has this key");
}

}  // namespace
