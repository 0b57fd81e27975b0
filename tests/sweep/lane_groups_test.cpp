// Lane groups: which runs of a sweep train together, decided once when the sweep is
// expanded and recorded with its runs.
#include "sweep/lane_groups.h"

#include "launch/local_launcher.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using Groups = std::vector<std::vector<size_t>>;
using nlohmann::json;
using torchsweep::lane_group_key;
using torchsweep::lane_groups;
using torchsweep::testing::TempDir;

const std::string kBase = "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 2}\n";

torchsweep::SweepPlan plan_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  TempDir dir;
  return torchsweep::load_sweep(dir.write("s.yaml", text), overrides);
}

json config_of(const std::string& text) { return plan_of(text).runs.at(0).config; }

TEST(LaneGroupTest, RunsShareAKeyWhenTheyShareWhatIsProcessWideAndTheData) {
  const json base = config_of(kBase + "optimizer: {name: sgd, lr: 0.1}\n");
  // Each lane is its own run: its optimizer and settings, schedule, seed, model and
  // memory format, and budget may all differ.
  for (const std::string& other :
       {kBase + "optimizer: {name: sgd, lr: 0.5, momentum: 0.9}\n", kBase + "optimizer: {name: adam, lr: 0.01}\n",
        kBase + "optimizer: {name: sgd, lr: 0.1}\nseed: 7\n",
        kBase + "optimizer: {name: sgd, lr: 0.1}\nscheduler: {name: step, step_size: 1}\n",
        std::string("name: s\nmodel: {name: backprop_2x2x2, weights: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}\ndata: seed_example\nloss: half_sse\n"
                    "optimizer: {name: sgd, lr: 0.1}\ntrain: {steps: 5}\n")})
    EXPECT_EQ(lane_group_key(config_of(other)), lane_group_key(base)) << other;
  json other = base;
  other["train"]["memory_format"] = "channels_last";
  EXPECT_EQ(lane_group_key(other), lane_group_key(base));
  // What a process or a group holds once: the device, the threads, determinism, the data.
  other = base;
  other["device"] = "cuda:0";
  EXPECT_NE(lane_group_key(other), lane_group_key(base));
  other = base;
  other["train"]["threads"] = 3;
  EXPECT_NE(lane_group_key(other), lane_group_key(base));
  other = base;
  other["train"]["deterministic"] = !base["train"]["deterministic"].get<bool>();
  EXPECT_NE(lane_group_key(other), lane_group_key(base));
  other = base;
  other["data"]["batch_size"] = 17;
  EXPECT_NE(lane_group_key(other), lane_group_key(base));
}

TEST(LaneGroupTest, OnlyFuseOnGroupsAndGroupsAreInRunOrderUpToTheMostLanes) {
  const json cpu = config_of(kBase + "optimizer: {name: sgd, lr: 0.1}\n");
  json threads = cpu;
  threads["train"]["threads"] = 2;
  const std::vector<json> configs = {cpu, threads, cpu, cpu, threads, cpu};
  for (const char* setting : {"off", "auto"}) {
    EXPECT_FALSE(torchsweep::groups_under(setting, cpu)) << setting;
    EXPECT_EQ(lane_groups(configs, setting), (Groups{{0}, {1}, {2}, {3}, {4}, {5}})) << setting;
  }
  EXPECT_TRUE(torchsweep::groups_under("on", cpu));
  EXPECT_EQ(lane_groups(configs, "on"), (Groups{{0, 2, 3, 5}, {1, 4}}));
  EXPECT_EQ(lane_groups(configs, "on", 3), (Groups{{0, 2, 3}, {1, 4}, {5}}));
  EXPECT_EQ(lane_groups(configs, "on", 1), (Groups{{0}, {1}, {2}, {3}, {4}, {5}}));
  // At most kMaxLanes, whatever is asked.
  const std::vector<json> many(torchsweep::kMaxLanes + 2, cpu);
  const auto groups = lane_groups(many, "on", 100);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].size(), torchsweep::kMaxLanes);
  EXPECT_EQ(groups[1], (std::vector<size_t>{torchsweep::kMaxLanes, torchsweep::kMaxLanes + 1}));
}

TEST(LaneGroupTest, ExpansionRecordsTheGroupsOfFuseOnAndNoneOfAnAdaptiveSweep) {
  const std::string spec = kBase + "optimizer: {name: sgd, lr: [0.1, 0.2, 0.5]}\n";
  auto leaders = [](const torchsweep::SweepPlan& plan) {
    std::vector<int64_t> out;
    for (const auto& run : torchsweep::new_runs(plan)) out.push_back(run.lane_leader);
    return out;
  };
  EXPECT_EQ(leaders(plan_of(spec, {"sweep.fuse=on"})), (std::vector<int64_t>{0, 0, 0}));
  // A group per key: the three rates on one thread, then on two.
  EXPECT_EQ(leaders(plan_of(spec, {"sweep.fuse=on", "train.threads=[1,2]"})),
            (std::vector<int64_t>{0, 0, 0, 3, 3, 3}));
  // A run of `fuse: on` without another of its key is a group of one.
  EXPECT_EQ(leaders(plan_of(spec, {"sweep.fuse=on", "optimizer.lr=0.1", "train.threads=[1,2]"})),
            (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(leaders(plan_of(spec, {"sweep.fuse=off"})), (std::vector<int64_t>{-1, -1, -1}));
  EXPECT_EQ(leaders(plan_of(spec)), (std::vector<int64_t>{-1, -1, -1})) << "auto groups nothing yet";
  // An adaptive sweep judges its runs one by one.
  EXPECT_EQ(leaders(plan_of(spec + "sweep:\n  fuse: on\n  early_stop: {rule: median, metric: train/loss, axis: step, "
                                   "startup_runs: 2, warmup: 1}\n")),
            (std::vector<int64_t>{-1, -1, -1}));
}

TEST(LaneGroupTest, WhyARunOfAGroupTrainedAlone) {
  EXPECT_EQ(torchsweep::why_alone(1, 16),
            "no other run of the sweep shares its device, train.threads, train.deterministic and data");
  EXPECT_EQ(torchsweep::why_alone(4, 1), "this worker takes one run at a time (--max-lanes 1)");
  EXPECT_EQ(torchsweep::why_alone(4, 16), "the other runs of its lane group are done or taken by other workers");
}

}  // namespace
