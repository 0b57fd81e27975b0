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
