// Validation of whole specs: every class of bad input gives one line
// `FILE:LINE:COL: key: what was expected, what was found`.
#include "spec/spec.h"

#include <torch/torch.h>

#include "spec/spec_loader.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::InputError;
using torchsweep::SpecError;
using torchsweep::testing::TempDir;

const char* kGood =
    "name: t\n"                         // 1
    "seed: 1\n"                         // 2
    "model: backprop_2x2x2\n"           // 3
    "data: seed_example\n"              // 4
    "loss: half_sse\n"                  // 5
    "optimizer:\n"                      // 6
    "  name: sgd\n"                     // 7
    "  lr: 0.5\n"                       // 8
    "train:\n"                          // 9
    "  steps: 10\n";                    // 10

/// The spec with line `line` (1-based) replaced by `replacement`.
std::string with_line(int line, const std::string& replacement) {
  std::string text = kGood, out;
  std::stringstream in(text);
  std::string current;
  for (int n = 1; std::getline(in, current); ++n) out += (n == line ? replacement : current) + "\n";
  return out;
}

std::string error_of(const std::string& text) {
  TempDir dir;
  const std::string path = dir.write("spec.yaml", text);
  try {
    torchsweep::load_sweep(path, {});
  } catch (const InputError& e) {
    const std::string message = e.what();
    return message.substr(message.find("spec.yaml"));
  }
  return "no error";
}

TEST(SpecTest, GoodSpecResolvesEveryOption) {
  TempDir dir;
  const auto plan = torchsweep::load_sweep(dir.write("spec.yaml", kGood), {});
  ASSERT_EQ(plan.runs.size(), 1u);
  const auto& c = plan.runs[0].config;
  EXPECT_EQ(c["name"], "t");
  EXPECT_EQ(c["device"], "auto");
  EXPECT_EQ(c["optimizer"]["name"], "sgd");
  EXPECT_DOUBLE_EQ(c["optimizer"]["lr"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(c["optimizer"]["momentum"].get<double>(), 0.0);
  EXPECT_EQ(c["model"]["weights"].size(), 8u);
  EXPECT_EQ(c["loss"]["name"], "half_sse");
  EXPECT_EQ(c["train"]["steps"], 10);
  EXPECT_TRUE(c["train"]["epochs"].is_null());
  EXPECT_EQ(c["train"]["precision"], "fp32");
}

TEST(SpecTest, PrecisionIsOneOfItsNamesAndFp16IsRefusedOnTheCpu) {
  EXPECT_EQ(error_of(std::string(kGood) + "  precision: fp8\n"),
            "spec.yaml:11:14: train.precision: expected one of fp32, bf16, fp16, got \"fp8\"");
  // Named `cpu`, fp16 can never run: refused with the spec. On `auto` it depends on the
  // machine, and the run refuses it where it lands on the CPU (train/run_parts).
  EXPECT_EQ(error_of("device: cpu\n" + std::string(kGood) + "  precision: fp16\n"),
            "spec.yaml:12:14: train.precision: expected fp32 or bf16 on device cpu, got \"fp16\": fp16 needs a CUDA "
            "device (bf16 is the CPU's lower precision)");
  TempDir dir;
  const auto plan = torchsweep::load_sweep(dir.write("spec.yaml", std::string(kGood) + "  precision: bf16\n"),
                                           {"device=cpu"});
  EXPECT_EQ(plan.runs.at(0).config["train"]["precision"], "bf16");
  EXPECT_EQ(torchsweep::load_sweep(dir.write("auto.yaml", std::string(kGood) + "  precision: fp16\n"), {})
                .runs.at(0)
                .config["train"]["precision"],
            "fp16");
}

TEST(SpecTest, UnknownKeySuggestsTheCloseOne) {
  EXPECT_EQ(error_of(with_line(8, "  lrr: 0.5")),
            "spec.yaml:8:3: optimizer.lrr: unknown key, did you mean 'optimizer.lr'? (expected one of: lr, momentum, "
            "dampening, weight_decay, nesterov, name)");
  EXPECT_EQ(error_of(with_line(2, "sed: 1")).rfind("spec.yaml:2:1: sed: unknown key, did you mean 'seed'?", 0), 0u);
  EXPECT_EQ(error_of(with_line(2, "steps: 4")),
            "spec.yaml:2:1: steps: unknown key at the top level, did you mean 'train.steps'? (it belongs under train:)");
}

TEST(SpecTest, WrongTypesAndRanges) {
  EXPECT_EQ(error_of(with_line(8, "  lr: fast")), "spec.yaml:8:7: optimizer.lr: expected a positive number, got \"fast\"");
  EXPECT_EQ(error_of(with_line(8, "  lr: -0.1")), "spec.yaml:8:7: optimizer.lr: expected a positive number, got -0.1");
  EXPECT_EQ(error_of(with_line(8, "  lr: 0")), "spec.yaml:8:7: optimizer.lr: expected a positive number, got 0");
  EXPECT_EQ(error_of(with_line(8, "  lr: .nan")), "spec.yaml:8:7: optimizer.lr: expected a positive number, got nan");
  EXPECT_EQ(error_of(with_line(8, "  lr: .inf")), "spec.yaml:8:7: optimizer.lr: expected a positive number, got inf");
  EXPECT_EQ(error_of(with_line(10, "  steps: 0")), "spec.yaml:10:10: train.steps: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of(with_line(10, "  steps: 2.5")), "spec.yaml:10:10: train.steps: expected an integer >= 1, got 2.5");
  EXPECT_EQ(error_of(with_line(2, "seed: [1, x]")), "spec.yaml:2:11: seed: expected an integer >= 0, got \"x\"");
  EXPECT_EQ(error_of(with_line(3, "model: {name: backprop_2x2x2, weights: [1, 2]}")),
            "spec.yaml:3:40: model.weights: expected a list of 8 finite numbers, got 2 values");
  EXPECT_EQ(error_of(with_line(7, "  name: [sgd, 3]")), "spec.yaml:7:15: optimizer.name: expected a string, got 3");
}

TEST(SpecTest, ControlCharactersInTextAreRefused) {
  EXPECT_EQ(error_of(with_line(1, "name: \"a\\0b\"")),
            "spec.yaml:1:7: name: expected a non-empty string without control characters or line breaks, got "
            "\"a\\x00b\" (U+0000 at character 2)");
  EXPECT_EQ(error_of(with_line(1, "name: \"two\\nlines\"")),
            "spec.yaml:1:7: name: expected a non-empty string without control characters or line breaks, got "
            "\"two\\nlines\" (U+000A at character 4)");
  EXPECT_EQ(error_of(with_line(3, "model: \"backprop_2x2x2\\e\"")).rfind("spec.yaml:3:8: model: expected a string "
                                                                        "without control characters or line breaks", 0),
            0u);
  // Free text may have line breaks and tabs, and nothing else below a space.
  EXPECT_EQ(error_of(kGood + std::string("description: |\n  two\n  \tlines\n")), "no error");
  EXPECT_EQ(error_of(kGood + std::string("description: \"bell\\a\"\n")),
            "spec.yaml:11:14: description: expected a string without control characters, got \"bell\\x07\" (U+0007 at "
            "character 5)");
}

TEST(SpecTest, EmptyListsAreRejected) {
  EXPECT_EQ(error_of(with_line(8, "  lr: []")),
            "spec.yaml:8:7: optimizer.lr: expected a non-empty list of values to sweep, got []");
}

TEST(SpecTest, UnknownRegistryNamesListTheNamesThatExist) {
  const std::string e = error_of(with_line(7, "  name: sgdd"));
  EXPECT_EQ(e.rfind("spec.yaml:7:9: optimizer.name: unknown optimizer 'sgdd', expected one of: ", 0), 0u) << e;
  EXPECT_NE(e.find("adam, "), std::string::npos) << e;
  EXPECT_NE(e.find(", sgd"), std::string::npos) << e;
  EXPECT_NE(e.find("(did you mean 'sgd'?)"), std::string::npos) << e;
  EXPECT_EQ(error_of(with_line(5, "loss: hinge")).rfind("spec.yaml:5:7: loss: unknown loss 'hinge', expected one of: ", 0), 0u);
}

TEST(SpecTest, MissingRequiredKeys) {
  EXPECT_EQ(error_of(with_line(1, "description: no name")),
            "spec.yaml:1:1: name: missing required key, expected a non-empty string");
  EXPECT_EQ(error_of(with_line(5, "")).rfind("spec.yaml:1:1: loss: missing required key", 0), 0u);
  EXPECT_EQ(error_of(with_line(10, "  log_every: 2")), "spec.yaml:10:3: train: expected steps or epochs, got neither");
  EXPECT_EQ(error_of(with_line(7, "  momentum: 0.1")).rfind("spec.yaml:7:3: optimizer.name: missing required key", 0),
            0u);
}

TEST(SpecTest, DuplicateKeysMalformedYamlAndMissingFiles) {
  EXPECT_EQ(error_of(with_line(2, "name: again")),
            "spec.yaml:2:1: name: duplicate key, expected each key once (first at line 1)");
  EXPECT_EQ(error_of(with_line(8, "  lr: [0.1, 0.2")).rfind("spec.yaml:", 0), 0u);
  EXPECT_NE(error_of(with_line(8, "  lr: [0.1, 0.2")).find("malformed YAML"), std::string::npos);
  ASSERT_THROWS_WITH(torchsweep::load_sweep("/nonexistent/spec.yaml", {}), InputError,
                     "/nonexistent/spec.yaml: cannot read the spec: No such file or directory");
}

TEST(SpecTest, CudaWithoutAGpuIsBadInput) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  const std::string e = error_of(with_line(2, "device: cuda"));
  EXPECT_EQ(e.rfind("spec.yaml:2:9: device: expected a device this machine has, got \"cuda\": CUDA is not available", 0), 0u)
      << e;
  EXPECT_EQ(error_of(with_line(2, "device: gpu")), "spec.yaml:2:9: device: expected auto, cpu, cuda or cuda:N, got \"gpu\"");
}

TEST(SpecTest, OverrideErrorsNameTheOverride) {
  TempDir dir;
  const std::string path = dir.write("spec.yaml", kGood);
  ASSERT_THROWS_WITH(torchsweep::load_sweep(path, {"optimizer.lr=-1"}), SpecError,
                     "override 'optimizer.lr=-1':1:14: optimizer.lr: expected a positive number, got -1");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(path, {"model.name=resnet"}), SpecError,
                     "override 'model.name=resnet':1:12: model.name: unknown model 'resnet'");
}

TEST(SpecTest, TomlErrorsCarryPositions) {
  TempDir dir;
  const std::string path = dir.write("spec.toml", "name = \"t\"\nmodel = \"backprop_2x2x2\"\ndata = \"seed_example\"\n"
                                                   "loss = \"half_sse\"\n[optimizer]\nname = \"sgd\"\nlr = -2.0\n"
                                                   "[train]\nsteps = 3\n");
  if (!torchsweep::toml_supported()) {
    ASSERT_THROWS_WITH(torchsweep::load_sweep(path, {}), InputError, "built without TOML++");
    return;
  }
  ASSERT_THROWS_WITH(torchsweep::load_sweep(path, {}), SpecError,
                     "spec.toml:7:6: optimizer.lr: expected a positive number, got -2");
}

}  // namespace

namespace {

TEST(SpecTest, EvaluationAndCheckpointCadencesNeedTheirUnit) {
  EXPECT_EQ(error_of(kGood + std::string("  eval_every: 2\n")),
            "spec.yaml:11:15: train.eval_every: expected a count with its unit, such as `1 epoch`, `2 epochs` or "
            "`500 steps`, or `end`, got 2");
  EXPECT_EQ(error_of(kGood + std::string("  checkpoint_every: 3 weeks\n")),
            "spec.yaml:11:21: train.checkpoint_every: expected a count with its unit, such as `1 epoch`, `2 epochs` "
            "or `500 steps`, or `end`, got \"3 weeks\"");
  TempDir dir;
  const auto plan = torchsweep::load_sweep(dir.write("spec.yaml", kGood + std::string("  eval_every: 5steps\n")), {});
  EXPECT_EQ(plan.runs[0].config["train"]["eval_every"], "5 steps");
  EXPECT_EQ(plan.runs[0].config["train"]["checkpoint_every"], "end") << "the step budget's default, resolved";
}

TEST(SpecTest, AScheduleThatCannotFitTheRunIsRefusedAtTheSchedulerSection) {
  EXPECT_EQ(error_of(with_line(10, "  steps: 1") + "scheduler: {name: onecycle}\n"),
            "spec.yaml:11:12: scheduler: onecycle needs a run of at least 2 steps to rise and fall, this run has 1");
  EXPECT_EQ(error_of(kGood + std::string("scheduler: {name: step, interval: hourly}\n")),
            "spec.yaml:11:35: scheduler.interval: expected one of epoch, step, got \"hourly\"");
}

}  // namespace

namespace {

TEST(SpecTest, AModelThatDoesNotFitTheDataIsRefusedAtTheModelSection) {
  EXPECT_EQ(error_of(with_line(3, "model: mlp")),
            "spec.yaml:3:8: model: model 'mlp' does not fit data 'seed_example' with loss 'half_sse': mat1 and mat2 "
            "shapes cannot be multiplied (1x2 and 784x128)");
}

}  // namespace

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line.substr(line.find("spec.yaml")));
  return out;
}

TEST(SpecTest, EveryIndependentMistakeIsReportedInOnePass) {
  // Four mistakes in four places: a top-level value, a registry name, an option, a
  // misspelt key of train. One pass shows them all, in the order of the file.
  std::string text = with_line(2, "seed: -1");
  text = text.replace(text.find("loss: half_sse"), 14, "loss: hinge");
  text = text.replace(text.find("lr: 0.5"), 7, "lr: -0.5");
  text = text.replace(text.find("steps: 10"), 9, "stepz: 10");
  const auto lines = lines_of(error_of(text));
  ASSERT_EQ(lines.size(), 4u) << error_of(text);
  EXPECT_EQ(lines[0], "spec.yaml:2:7: seed: expected an integer >= 0, got -1");
  EXPECT_EQ(lines[1].rfind("spec.yaml:5:7: loss: unknown loss 'hinge', expected one of: ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], "spec.yaml:8:7: optimizer.lr: expected a positive number, got -0.5");
  EXPECT_EQ(lines[3].rfind("spec.yaml:10:3: train.stepz: unknown key, did you mean 'train.steps'?", 0), 0u) << lines[3];
}

TEST(SpecTest, TheSweepSectionsMistakesAreReportedWithTheSpecs) {
  // The sweep cannot expand (a misspelt mode), and the spec has a mistake of its own.
  const std::string text = with_line(8, "  lr: [0.1, -0.5]") + "  stepz: 3\nsweep: {mode: gird}\n";
  const auto lines = lines_of(error_of(text));
  ASSERT_EQ(lines.size(), 2u) << error_of(text);
  EXPECT_EQ(lines[0], "spec.yaml:11:3: train.stepz: unknown key, did you mean 'train.steps'? (expected one of: steps, "
                      "epochs, log_every, eval_every, checkpoint_every, threads, deterministic, memory_format, precision, "
                      "cuda_graph)");
  EXPECT_EQ(lines[1], "spec.yaml:12:15: sweep.mode: expected one of grid, zip, random, tpe, bayes, got \"gird\" "
                      "(did you mean 'grid'?)");
  // The spec is checked as its first run (lr 0.1): the runs, and so lr's -0.5, depend
  // on the mode and are checked once the sweep expands.
}

TEST(SpecTest, EachRunsMistakesAreReportedOnce) {
  // Two bad values of one swept list, and an unknown key every run has: three lines.
  const std::string text = with_line(8, "  lr: [-1, 0.5, -2]") + "  stepz: 3\n";
  const auto lines = lines_of(error_of(text));
  ASSERT_EQ(lines.size(), 3u) << error_of(text);
  EXPECT_EQ(lines[0], "spec.yaml:8:8: optimizer.lr: expected a positive number, got -1");
  EXPECT_EQ(lines[1], "spec.yaml:8:17: optimizer.lr: expected a positive number, got -2");
  EXPECT_EQ(lines[2].rfind("spec.yaml:11:3: train.stepz: unknown key", 0), 0u);
}

TEST(SpecTest, ChecksThatNeedEarlierValuesStillStopAtTheFirst) {
  // Whether the model fits the data needs every section valid: with a bad learning
  // rate, only the learning rate is reported.
  const std::string text = with_line(3, "model: mlp");
  EXPECT_EQ(error_of(text.substr(0, text.find("lr: 0.5")) + "lr: -0.5" + text.substr(text.find("lr: 0.5") + 7)),
            "spec.yaml:8:7: optimizer.lr: expected a positive number, got -0.5");
  // A budget of both steps and epochs is checked once train's keys are valid.
  EXPECT_EQ(error_of(kGood + std::string("  epochs: 2\n  stepz: 1\n")).find("got both"), std::string::npos);
}

TEST(SpecTest, StepsAndEpochsTogetherSayHowToRemoveTheOther) {
  // Both in the file: the later one is taken as meant.
  EXPECT_EQ(error_of(kGood + std::string("  epochs: 2\n")),
            "spec.yaml:11:3: train.epochs: expected either steps or epochs, got both (train.steps: 10 at line 10); to "
            "train by epochs, remove steps with the override ~train.steps");
  // A step budget given on the command line to a spec that counts epochs: the message
  // says to remove epochs, and that override works.
  TempDir dir;
  const std::string path = dir.write("spec.yaml", with_line(10, "  epochs: 3"));
  ASSERT_THROWS_WITH(torchsweep::load_sweep(path, {"train.steps=50"}), SpecError,
                     "override 'train.steps=50':1:1: train.steps: expected either steps or epochs, got both "
                     "(train.epochs: 3 at " + path + ":10:3); to train by steps, remove epochs with the override "
                     "~train.epochs");
  const auto plan = torchsweep::load_sweep(path, {"train.steps=50", "~train.epochs"});
  EXPECT_EQ(plan.runs[0].config["train"]["steps"], 50);
  EXPECT_TRUE(plan.runs[0].config["train"]["epochs"].is_null());
}

}  // namespace
