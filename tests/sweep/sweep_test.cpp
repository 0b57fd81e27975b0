#include "sweep/sweep.h"

#include <c10/util/hash.h>

#include <set>

#include "launch/local_launcher.h"
#include "spec/spec_loader.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::SpecError;
using torchsweep::testing::TempDir;

const std::string kBase =
    "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 2}\n";

torchsweep::SweepPlan plan_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  TempDir dir;
  return torchsweep::load_sweep(dir.write("s.yaml", text), overrides);
}

TEST(SweepTest, RepeatsThatWouldPassTheLargestSeedAreRefused) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: {name: sgd, lr: 0.1}\nseed: 9223372036854775807\nsweep: {repeats: 3}\n"), SpecError,
                     "seed: 9223372036854775807 + 2 repeats would pass the largest seed");
  EXPECT_EQ(plan_of(kBase + "optimizer: {name: sgd, lr: 0.1}\nseed: 9223372036854775805\nsweep: {repeats: 3}\n").runs.back().config["seed"],
            9223372036854775807LL);
}

TEST(SweepTest, AListOfTheLargestSweepExpandsAndOneMoreValueIsRefused) {
  // 100,000 learning rates in one list: the documented maximum, reached through a list
  // (a spec's file stays under 1 MiB). Expansion copies no list per run, so this takes
  // seconds, not hours.
  auto spec_with = [](size_t values) {
    std::string lrs;
    for (size_t i = 0; i < values; ++i) lrs += (i ? "," : "") + std::to_string(i + 1) + "e-6";
    return kBase + "optimizer: {name: sgd, lr: [" + lrs + "]}\n";
  };
  const auto plan = plan_of(spec_with(torchsweep::kMaxRunsPerSweep));
  ASSERT_EQ(plan.runs.size(), torchsweep::kMaxRunsPerSweep);
  EXPECT_DOUBLE_EQ(plan.runs.back().config["optimizer"]["lr"].get<double>(), 0.1);
  EXPECT_EQ(plan.runs.back().swept, (nlohmann::json{{"optimizer.lr", 0.1}}));
  ASSERT_THROWS_WITH(plan_of(spec_with(torchsweep::kMaxRunsPerSweep + 1)), SpecError, "the grid has 100001 runs, expected at most 100000");
}

TEST(SweepTest, MinusZeroHashesAsZero) {
  const auto zero = plan_of(kBase + "optimizer: {name: sgd, lr: 0.1, momentum: 0}\n");
  const auto minus = plan_of(kBase + "optimizer: {name: sgd, lr: 0.1, momentum: -0.0}\n");
  EXPECT_EQ(zero.runs.at(0).config_hash, minus.runs.at(0).config_hash);
}

TEST(SweepTest, GridTakesEveryCombinationFirstAxisSlowest) {
  const auto plan = plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2], momentum: [0.0, 0.5, 0.9]}\n");
  ASSERT_EQ(plan.runs.size(), 6u);
  EXPECT_EQ(plan.mode, "grid");
  EXPECT_EQ(plan.swept_keys, (std::vector<std::string>{"optimizer.lr", "optimizer.momentum"}));
  const double lr[] = {0.1, 0.1, 0.1, 0.2, 0.2, 0.2};
  const double momentum[] = {0.0, 0.5, 0.9, 0.0, 0.5, 0.9};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(plan.runs[i].index, static_cast<int64_t>(i));
    EXPECT_DOUBLE_EQ(plan.runs[i].config["optimizer"]["lr"].get<double>(), lr[i]);
    EXPECT_DOUBLE_EQ(plan.runs[i].swept["optimizer.momentum"].get<double>(), momentum[i]);
  }
}

TEST(SweepTest, ZipPairsListsAndSweepParametersAreAxes) {
  const auto plan = plan_of(kBase + "optimizer: {name: sgd, lr: 0.1}\n"
                                    "sweep:\n  mode: zip\n  parameters:\n    optimizer.lr: [0.1, 0.2, 0.3]\n"
                                    "    seed: [7, 8, 9]\n");
  ASSERT_EQ(plan.runs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(plan.runs[i].config["optimizer"]["lr"].get<double>(), 0.1 * static_cast<double>(i + 1));
    EXPECT_EQ(plan.runs[i].config["seed"].get<int64_t>(), static_cast<int64_t>(7 + i));
  }
  // The sweep section is not part of a run's config.
  EXPECT_FALSE(plan.runs[0].config.contains("sweep"));
}

TEST(SweepTest, ZipNeedsEqualLengths) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2]}\nseed: [1, 2, 3]\nsweep: {mode: zip}\n"),
                     SpecError, "s.yaml:7:7: seed: zip sweeps need lists of one length: optimizer.lr has 2 values, this has 3");
}

TEST(SweepTest, AKeySweptTwiceIsAnError) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2]}\nsweep:\n  parameters:\n    optimizer.lr: [1.0]\n"),
                     SpecError, "optimizer.lr: swept twice");
}

TEST(SweepTest, SweepModeIsValidated) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep: {mode: gird}\n"), SpecError,
                     "sweep.mode: expected one of grid, zip, random, tpe, bayes, got \"gird\" (did you mean 'grid'?)");
}

TEST(SweepTest, ListValuedOptionsSweepOnlyWithListsOfLists) {
  const auto one = plan_of(kBase + "optimizer: sgd\n", {"model.weights=[1,2,3,4,5,6,7,8]"});
  EXPECT_EQ(one.runs.size(), 1u);
  const auto two = plan_of(kBase + "optimizer: sgd\n", {"model.weights=[[1,2,3,4,5,6,7,8],[8,7,6,5,4,3,2,1]]"});
  ASSERT_EQ(two.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(two.runs[1].config["model"]["weights"][0].get<double>(), 8.0);
}

TEST(SweepTest, ConfigHashIsSha1OfCanonicalJson) {
  const nlohmann::json config = {{"b", 1}, {"a", {{"y", 0.5}, {"x", "s"}}}};
  // Keys sorted, no whitespace, then SHA-1 (computed here independently of the key order used above).
  const std::string canonical = R"({"a":{"x":"s","y":0.5},"b":1})";
  EXPECT_EQ(torchsweep::config_hash(config), c10::sha1(canonical).str().substr(0, 16));
}

TEST(SweepTest, HashIgnoresKeyOrderFormattingAndDescription) {
  const auto a = plan_of(kBase + "optimizer: {name: sgd, lr: 1}\n");
  const auto b = plan_of("train:\n  steps: 2\noptimizer:\n  lr: 1.0\n  name: sgd\nloss: {name: half_sse}\n"
                         "data: {name: seed_example}\nmodel:\n  name: backprop_2x2x2\nname: s\ndescription: words\n");
  EXPECT_EQ(a.runs[0].config_hash, b.runs[0].config_hash);
  const auto c = plan_of(kBase + "optimizer: {name: sgd, lr: 1.5}\n");
  EXPECT_NE(a.runs[0].config_hash, c.runs[0].config_hash);
}

TEST(SweepTest, ShippedYamlAndTomlExpandToTheSameRuns) {
  if (!torchsweep::toml_supported()) GTEST_SKIP() << "built without TOML++";
  const auto yaml = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml", {});
  const auto toml = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.toml", {});
  ASSERT_EQ(yaml.runs.size(), 6u);
  ASSERT_EQ(toml.runs.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(yaml.runs[i].config_hash, toml.runs[i].config_hash);
    EXPECT_EQ(yaml.runs[i].config, toml.runs[i].config);
  }
}

TEST(SweepTest, FlattenConfigKeepsNumbersAsNumbers) {
  const auto rows = torchsweep::flatten_config({{"optimizer", {{"lr", 0.1}, {"nesterov", false}}},
                                                {"seed", 3},
                                                {"model", {{"weights", {1.0, 2.0}}}},
                                                {"train", {{"epochs", nullptr}}}});
  std::map<std::string, torchsweep::SqlValue> m(rows.begin(), rows.end());
  EXPECT_EQ(std::get<double>(m.at("optimizer.lr")), 0.1);
  EXPECT_EQ(std::get<int64_t>(m.at("optimizer.nesterov")), 0);
  EXPECT_EQ(std::get<int64_t>(m.at("seed")), 3);
  EXPECT_EQ(std::get<std::string>(m.at("model.weights")), "[1.0,2.0]");
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(m.at("train.epochs")));
}

}  // namespace

namespace {

const std::string kRandom = kBase +
                            "optimizer: {name: sgd, lr: 0.1, momentum: [0.0, 0.9]}\n"
                            "sweep:\n  mode: random\n  samples: 12\n  seed: 4\n  parameters:\n"
                            "    optimizer.lr: {distribution: log_uniform, low: 0.001, high: 1.0}\n"
                            "    train.log_every: {distribution: int_uniform, low: 1, high: 3}\n";

TEST(SweepTest, RandomDrawsAreDeterministicForASeedAndInRange) {
  const auto a = plan_of(kRandom);
  const auto b = plan_of(kRandom);
  ASSERT_EQ(a.runs.size(), 12u);
  EXPECT_EQ(a.mode, "random");
  EXPECT_EQ(a.swept_keys, (std::vector<std::string>{"optimizer.momentum", "optimizer.lr", "train.log_every"}));
  std::set<double> lrs;
  for (size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_EQ(a.runs[i].config_hash, b.runs[i].config_hash);
    const double lr = a.runs[i].config["optimizer"]["lr"].get<double>();
    EXPECT_GE(lr, 0.001);
    EXPECT_LT(lr, 1.0);
    lrs.insert(lr);
    const auto every = a.runs[i].config["train"]["log_every"];
    ASSERT_TRUE(every.is_number_integer());
    EXPECT_GE(every.get<int64_t>(), 1);
    EXPECT_LE(every.get<int64_t>(), 3);
    const double m = a.runs[i].config["optimizer"]["momentum"].get<double>();
    EXPECT_TRUE(m == 0.0 || m == 0.9);
  }
  EXPECT_EQ(lrs.size(), 12u);
  const auto other = plan_of(kRandom, {"sweep.seed=5"});
  EXPECT_NE(other.runs[0].config_hash, a.runs[0].config_hash);
}

TEST(SweepTest, RandomErrorsNameTheValue) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep: {mode: random}\n"), SpecError,
                     "sweep.samples: expected the number of points to draw");
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep:\n  parameters:\n"
                                     "    optimizer.lr: {distribution: uniform, low: 0.1, high: 0.2}\n"),
                     SpecError, "s.yaml:9:19: sweep.parameters.optimizer.lr: a distribution needs sweep.mode: random");
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep:\n  mode: random\n  samples: 2\n  parameters:\n"
                                     "    optimizer.lr: {distribution: log_uniform, low: 0.5, high: 0.1}\n"),
                     SpecError, "sweep.parameters.optimizer.lr.high: expected high > low (0.5), got 0.1");
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep:\n  mode: random\n  samples: 2\n  parameters:\n"
                                     "    optimizer.lr: {distribution: log_uniform, low: 0, high: 0.1}\n"),
                     SpecError, "log_uniform needs a positive low bound, got 0");
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep:\n  mode: random\n  samples: 2\n  parameters:\n"
                                     "    optimizer.lr: {distribution: loguniform, low: 0.01, high: 0.1}\n"),
                     SpecError, "got \"loguniform\" (did you mean 'log_uniform'?)");
  // A drawn value is validated like a written one, at the distribution.
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep:\n  mode: random\n  samples: 2\n  parameters:\n"
                                     "    train.log_every: {distribution: uniform, low: 1, high: 3}\n"),
                     SpecError, "s.yaml:11:22: train.log_every: expected an integer");
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep: {samples: 3}\n"), SpecError,
                     "sweep.samples: only applies to mode random, got mode grid");
}

TEST(SweepTest, RepeatsRunEachPointWithConsecutiveSeeds) {
  const auto plan = plan_of(kBase + "seed: 10\noptimizer: {name: sgd, lr: [0.1, 0.2]}\nsweep: {repeats: 3}\n");
  ASSERT_EQ(plan.runs.size(), 6u);
  EXPECT_EQ(plan.swept_keys, (std::vector<std::string>{"optimizer.lr", "seed"}));
  const int64_t seeds[] = {10, 11, 12, 10, 11, 12};
  std::set<std::string> hashes;
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(plan.runs[i].config["seed"].get<int64_t>(), seeds[i]);
    EXPECT_EQ(plan.runs[i].swept["seed"].get<int64_t>(), seeds[i]);
    hashes.insert(plan.runs[i].config_hash);
  }
  EXPECT_EQ(hashes.size(), 6u);
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nseed: [1, 2]\nsweep: {repeats: 2}\n"), SpecError,
                     "sweep.repeats: seed is swept (line 7), so repeats would repeat seeds");
}

TEST(SweepTest, ConfigHashIgnoresKeyOrderAndNumberFormatting) {
  const auto a = plan_of(kBase + "optimizer: {name: sgd, lr: 0.10, momentum: 0}\n");
  const auto b = plan_of("train: {steps: 2}\noptimizer: {momentum: 0.0, lr: 1e-1, name: sgd}\nloss: half_sse\n"
                         "data: {name: seed_example}\nmodel: backprop_2x2x2\nname: s\n");
  EXPECT_EQ(a.runs[0].config_hash, b.runs[0].config_hash);
}

}  // namespace

namespace {

TEST(SweepTest, OptionsAddedLaterKeepTheHashesOfRunsRecordedBeforeThem) {
  // Recorded in a database by the version before eval_every, checkpoint_every and
  // scheduler.interval existed (s6 with these overrides).
  const auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
                                           {"train.epochs=1", "data.train_limit=2560", "device=cpu"});
  EXPECT_EQ(plan.runs[0].config_hash, "7115894d385b43b8");
  EXPECT_EQ(plan.runs[0].config["scheduler"]["interval"], "epoch");
  // Written out at their defaults, they change nothing; away from them, they do.
  auto hash_with = [](std::vector<std::string> more) {
    more.insert(more.begin(), {"train.epochs=1", "data.train_limit=2560", "device=cpu"});
    return torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml", more)
        .runs[0]
        .config_hash;
  };
  EXPECT_EQ(hash_with({"train.eval_every=1 epoch", "train.checkpoint_every=1 epochs", "scheduler.interval=epoch"}),
            "7115894d385b43b8");
  EXPECT_NE(hash_with({"train.eval_every=2 epochs"}), "7115894d385b43b8");
  EXPECT_NE(hash_with({"scheduler.interval=step"}), "7115894d385b43b8");
  // memory_format's default became auto (it was contiguous): a spec that leaves it out
  // hashes as before; one that names a layout hashes apart, as it may train apart.
  EXPECT_EQ(hash_with({"train.memory_format=auto"}), "7115894d385b43b8");
  EXPECT_NE(hash_with({"train.memory_format=contiguous"}), "7115894d385b43b8");
  EXPECT_NE(hash_with({"train.memory_format=channels_last"}), "7115894d385b43b8");
  EXPECT_NE(hash_with({"train.memory_format=contiguous"}), hash_with({"train.memory_format=channels_last"}));
  EXPECT_EQ(hash_with({"train.precision=fp32"}), "7115894d385b43b8");
  EXPECT_NE(hash_with({"train.precision=bf16"}), "7115894d385b43b8");
}

}  // namespace

namespace {

std::vector<double> lrs_of(const torchsweep::SweepPlan& plan) {
  std::vector<double> out;
  for (const auto& run : plan.runs) out.push_back(run.config["optimizer"]["lr"].get<double>());
  return out;
}

TEST(SweepTest, CommaListsChoiceAndRangeSweepFromTheCommandLine) {
  const std::string spec = kBase + "optimizer: {name: sgd, lr: 0.1}\n";
  EXPECT_EQ(lrs_of(plan_of(spec, {"optimizer.lr=0.1,0.2,0.5"})), (std::vector<double>{0.1, 0.2, 0.5}));
  EXPECT_EQ(lrs_of(plan_of(spec, {"optimizer.lr=choice(0.1, 0.2)"})), (std::vector<double>{0.1, 0.2}));
  const auto steps = plan_of(spec, {"train.steps=range(1,4)"});
  ASSERT_EQ(steps.runs.size(), 3u);
  EXPECT_EQ(steps.runs[2].config["train"]["steps"].get<int64_t>(), 3);
  // Two comma sweeps make a grid, as Hydra's multirun does.
  EXPECT_EQ(plan_of(spec, {"optimizer.lr=0.1,0.2", "seed=1,2,3"}).runs.size(), 6u);
  // An interval draws in random mode, with a hint when the mode is not random.
  const auto drawn = plan_of(spec, {"optimizer.lr=tag(log, interval(0.001, 0.1))", "sweep.mode=random",
                                    "sweep.samples=5"});
  ASSERT_EQ(drawn.runs.size(), 5u);
  for (const double lr : lrs_of(drawn)) {
    EXPECT_GE(lr, 0.001);
    EXPECT_LT(lr, 0.1);
  }
  ASSERT_THROWS_WITH(plan_of(spec, {"optimizer.lr=interval(0.001, 0.1)"}), SpecError,
                     "a distribution needs sweep.mode: random");
}

TEST(SweepTest, NoConfigurationIsTrainedTwiceInOneSweep) {
  const std::string spec = kBase + "optimizer: {name: sgd, lr: 0.1}\n";
  // Random draws from a finite space never repeat a point...
  const auto random = plan_of(spec, {"sweep={mode: random, samples: 4, repeats: 3}",
                                     "sweep.parameters.optimizer.lr=[0.1,0.2,0.5,1.0]"});
  ASSERT_EQ(random.runs.size(), 12u);
  std::set<std::string> hashes;
  for (const auto& run : random.runs) hashes.insert(run.config_hash);
  EXPECT_EQ(hashes.size(), 12u);
  std::vector<double> lrs = lrs_of(random);
  EXPECT_EQ(std::set<double>(lrs.begin(), lrs.end()), (std::set<double>{0.1, 0.2, 0.5, 1.0}));
  // ...and say so when the space is smaller than the samples asked for.
  ASSERT_THROWS_WITH(plan_of(spec, {"sweep={mode: random, samples: 5}", "sweep.parameters.seed=[1,2]",
                                    "sweep.parameters.optimizer.lr=[0.1,0.2]"}),
                     SpecError, "the axes have 4 distinct points (seed: 2 values, optimizer.lr: 2 values), fewer than "
                                "the 5 samples asked for: ask for at most 4, take every point with mode grid, or sweep "
                                "a key over a distribution, e.g. the override 'optimizer.lr=tag(log, interval(0.1, 0.2))'");
  // What changes nothing of the training is not swept.
  ASSERT_THROWS_WITH(plan_of(spec, {"description=[a,b]"}), SpecError, "description: cannot be swept");
  ASSERT_THROWS_WITH(plan_of(spec, {R"(name="a,b","c,d")"}), SpecError, "name: cannot be swept");
  // The same value twice is the same run twice.
  ASSERT_THROWS_WITH(plan_of(spec, {"optimizer.lr=[0.1,0.2,0.1]"}), SpecError,
                     "runs 1 and 3 would train the same configuration");
  ASSERT_THROWS_WITH(plan_of(spec, {"optimizer.lr=1,1.0"}), SpecError, "runs 1 and 2 would train the same");
}

TEST(SweepTest, LeftoverOverrideTextIsBadInputNotDropped) {
  const std::string spec = kBase + "optimizer: {name: sgd, lr: 0.1}\n";
  ASSERT_THROWS_WITH(plan_of(spec, {"seed=[3] junk"}), SpecError, "override 'seed=[3] junk':1:10:");
  ASSERT_THROWS_WITH(plan_of(spec, {"optimizer.lr=[1,2,3]'"}), SpecError, "override 'optimizer.lr=[1,2,3]'':1:21:");
}

TEST(SweepTest, TooFewPointsForARandomSearchSayWhatToDoAndTheHintRuns) {
  // The README's random search on the seed's spec: its six learning rates are six
  // points, fewer than 20 samples.
  const std::string spec = torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml";
  std::string message;
  try {
    torchsweep::load_sweep(spec, {"sweep={mode: random, samples: 20, repeats: 3}"});
  } catch (const SpecError& e) {
    message = e.what();
  }
  const std::string hint = "e.g. the override '";
  ASSERT_NE(message.find("sweep.samples: the axes have 6 distinct points (optimizer.lr: 6 values), fewer than the 20 "
                         "samples asked for: ask for at most 6, take every point with mode grid, or sweep a key over a "
                         "distribution, " + hint + "optimizer.lr=tag(log, interval(0.1, 2))'"),
            std::string::npos)
      << message;
  // The override the message shows, added as shown, gives the 20 points x 3 seeds,
  // each learning rate within the list's range.
  const size_t at = message.find(hint) + hint.size();
  const std::string suggested = message.substr(at, message.rfind('\'') - at);
  const auto plan = torchsweep::load_sweep(spec, {"sweep={mode: random, samples: 20, repeats: 3}", suggested});
  ASSERT_EQ(plan.runs.size(), 60u);
  std::set<double> lrs;
  for (const auto& run : plan.runs) {
    const double lr = run.config["optimizer"]["lr"].get<double>();
    EXPECT_GE(lr, 0.1);
    EXPECT_LT(lr, 2.0);
    lrs.insert(lr);
  }
  EXPECT_EQ(lrs.size(), 20u);
}

TEST(SweepTest, TheReadmesRandomSearchRunsAsWritten) {
  // README.md, "At scale": the same line, less --workers.
  const auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml",
                                           {"optimizer.lr=tag(log, interval(0.01, 5))",
                                            "sweep={mode: random, samples: 20, repeats: 3}"});
  ASSERT_EQ(plan.runs.size(), 60u);
  EXPECT_EQ(plan.mode, "random");
  EXPECT_EQ(plan.repeats, 3);
}


const std::string kSearch =
    "optimizer: {name: sgd, lr: 0.1}\n"
    "sweep:\n"
    "  mode: tpe\n"
    "  samples: 30\n"
    "  seed: 4\n"
    "  metric: {name: val_loss}\n"
    "  parameters:\n"
    "    optimizer.lr: {distribution: log_uniform, low: 1.0e-5, high: 1}\n"
    "    optimizer.momentum: [0.0, 0.5, 0.9]\n";

/// kSearch with `from` replaced by `to`.
std::string search_with(const std::string& from, const std::string& to) {
  std::string text = kBase + kSearch;
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(SweepTest, TpeAndBayesPlanTheirStartUpRunsAsRandomModeDrawsThem) {
  const auto tpe = plan_of(kBase + kSearch);
  std::string random_text = search_with("  metric: {name: val_loss}\n", "");
  random_text.replace(random_text.find("mode: tpe"), 9, "mode: random");
  const auto random = plan_of(random_text);
  ASSERT_EQ(random.mode, "random");
  ASSERT_EQ(random.runs.size(), 30u);
  EXPECT_EQ(tpe.mode, "tpe");
  // Optuna's 10 start-up trials: the first 10 of random mode's 30 draws with that seed.
  ASSERT_EQ(tpe.runs.size(), 10u);
  for (size_t i = 0; i < tpe.runs.size(); ++i) {
    EXPECT_EQ(tpe.runs[i].config_hash, random.runs[i].config_hash) << i;
    EXPECT_EQ(tpe.runs[i].swept, random.runs[i].swept) << i;
  }
  EXPECT_EQ(tpe.search.metric, "val_loss");
  EXPECT_EQ(tpe.search.goal, "minimize");
  EXPECT_EQ(tpe.search.samples, 30);
  EXPECT_EQ(tpe.search.startup, 10);
  EXPECT_EQ(tpe.search.seed, 4u);
  EXPECT_EQ(torchsweep::search_space_to_json(tpe.search.space), nlohmann::json::parse(R"([
    {"key": "optimizer.lr", "distribution": "log_uniform", "low": 1e-05, "high": 1.0},
    {"key": "optimizer.momentum", "distribution": "choice", "values": [0.0, 0.5, 0.9]}])"));
  // W&B's bayes starts from 2 random runs; sweep.startup sets it; samples caps it.
  const auto bayes = plan_of(search_with("mode: tpe", "mode: bayes"));
  EXPECT_EQ(bayes.runs.size(), 2u);
  EXPECT_EQ(bayes.runs[1].config_hash, random.runs[1].config_hash);
  EXPECT_EQ(plan_of(search_with("  seed: 4\n", "  seed: 4\n  startup: 5\n")).runs.size(), 5u);
  const auto few = plan_of(search_with("samples: 30", "samples: 3"));
  EXPECT_EQ(few.runs.size(), 3u);
  EXPECT_EQ(few.search.startup, 3);
  EXPECT_EQ(plan_of(search_with("{name: val_loss}", "{name: val_accuracy, goal: maximize}")).search.goal, "maximize");
}

TEST(SweepTest, TpeAndBayesNeedAMetricAndSamplesAndDistributionsOrLists) {
  ASSERT_THROWS_WITH(plan_of(search_with("  metric: {name: val_loss}\n", "")), SpecError,
                     "s.yaml:8:3: sweep.metric: mode tpe proposes runs from the finished runs' metric: expected metric: "
                     "{name: val_loss, goal: minimize}");
  ASSERT_THROWS_WITH(plan_of(search_with("{name: val_loss}", "{name: val_loss, goal: lowest}")), SpecError,
                     "s.yaml:11:34: sweep.metric.goal: expected minimize or maximize, got \"lowest\"");
  ASSERT_THROWS_WITH(plan_of(search_with("{name: val_loss}", "{goal: minimize}")), SpecError,
                     "s.yaml:11:11: sweep.metric: expected {name: METRIC, goal: minimize|maximize}, got {goal");
  ASSERT_THROWS_WITH(plan_of(search_with("{name: val_loss}", "val_loss")), SpecError,
                     "s.yaml:11:11: sweep.metric: expected {name: METRIC, goal: minimize|maximize}, got \"val_loss\"");
  ASSERT_THROWS_WITH(plan_of(search_with("  samples: 30\n", "")), SpecError,
                     "sweep.samples: expected the number of runs in all (mode tpe proposes them one by one)");
  ASSERT_THROWS_WITH(plan_of(search_with("  seed: 4\n", "  seed: 4\n  repeats: 2\n")), SpecError,
                     "s.yaml:11:12: sweep.repeats: mode tpe proposes each point once");
  ASSERT_THROWS_WITH(plan_of(search_with("  seed: 4\n", "  seed: 4\n  startup: 31\n")), SpecError,
                     "s.yaml:11:12: sweep.startup: expected at most samples (30) runs drawn at random, got 31");
  ASSERT_THROWS_WITH(plan_of(search_with("[0.0, 0.5, 0.9]", "0.9")), SpecError,
                     "s.yaml:14:25: sweep.parameters.optimizer.momentum: expected a list to choose from or a "
                     "distribution, got 0.9");
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2]}\nsweep: {startup: 3}\n"), SpecError,
                     "s.yaml:7:9: sweep.startup: only applies to mode tpe or bayes, got mode grid");
  // A grid's metric is W&B's, which says what the sweep is about and is only checked.
  EXPECT_EQ(plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2]}\nsweep: {metric: {name: val_loss}}\n").runs.size(), 2u);
}

TEST(SweepTest, AProposedRunIsTheSpecAtThePoint) {
  const auto plan = plan_of(kBase + kSearch);
  TempDir dir;
  const auto written = torchsweep::load_spec_file(dir.write("s.yaml", kBase + kSearch));
  const auto run = torchsweep::proposed_run(written, plan.search.space,
                                            {{"optimizer.lr", 0.004}, {"optimizer.momentum", 0.9}}, 10);
  EXPECT_EQ(run.index, 10);
  EXPECT_EQ(run.swept, (nlohmann::json{{"optimizer.lr", 0.004}, {"optimizer.momentum", 0.9}}));
  // The configuration a spec written with these values has.
  const auto alone = plan_of(kBase + "optimizer: {name: sgd, lr: 0.004, momentum: 0.9}\nseed: 0\n");
  EXPECT_EQ(run.config_hash, alone.runs.front().config_hash);
  EXPECT_EQ(run.config["optimizer"]["lr"], 0.004);
  // A value the spec refuses is refused here too.
  EXPECT_THROW(torchsweep::proposed_run(written, plan.search.space,
                                        {{"optimizer.lr", -1.0}, {"optimizer.momentum", 0.9}}, 10),
               SpecError);
  // Recorded and read back, the settings are the same.
  const auto back = torchsweep::search_settings_from_json(torchsweep::search_settings_to_json(plan.search));
  EXPECT_EQ(torchsweep::search_settings_to_json(back), torchsweep::search_settings_to_json(plan.search));
  // Each run's proposal draws from a generator of its own.
  std::set<uint64_t> seeds;
  for (int64_t i = 0; i < 100; ++i) seeds.insert(torchsweep::proposal_seed(4, i));
  for (uint64_t s = 0; s < 100; ++s) seeds.insert(torchsweep::proposal_seed(s, 7));
  EXPECT_EQ(seeds.size(), 199u);  // (4, 7) is in both
  EXPECT_EQ(torchsweep::proposal_seed(4, 7), torchsweep::proposal_seed(4, 7));
}

}  // namespace
