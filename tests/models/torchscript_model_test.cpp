#include "models/torchscript_model.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/paths.h"
#include "models/summary.h"
#include "spec/registries.h"
#include "spec/spec.h"
#include "sweep/sweep.h"
#include "tests/command_helpers.h"
#include "tests/test_helpers.h"
#include "train/batch_source.h"
#include "sweep/lane_groups.h"
#include "train/trainer.h"

namespace {

using torchsweep::MemorySink;
using torchsweep::RunStatus;
using torchsweep::testing::TempDir;
using torchsweep::testing::read_file;
using torchsweep::testing::run_in;
using torchsweep::testing::shell_quote;

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

const std::string kScript = torchsweep::testing::source_dir() + "/tests/models/torchscript_s6_cnn.py";

bool python_has_torch() { return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0; }

/// The seed's CNN scripted by Python, made once for the suite: `s6.pt` (dropout 0)
/// and `s6_dropout.pt` (dropout 0.5).
class TorchScriptModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!python_has_torch()) return;
    dir_ = new TempDir();
    const auto saved = run_in(*dir_, "/usr/bin/python3 " + shell_quote(kScript) + " save s6.pt 0");
    python_parameters_ = saved.code == 0 ? nlohmann::json::parse(saved.out).at("parameters").get<int64_t>() : -1;
    run_in(*dir_, "/usr/bin/python3 " + shell_quote(kScript) + " save s6_dropout.pt 0.5");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!dir_) GTEST_SKIP() << "/usr/bin/python3 cannot import torch (Debian's python3-torch)";
    ASSERT_GT(python_parameters_, 0) << "the Python script failed";
  }
  static std::string file(const std::string& name) { return dir_->file(name); }

  static std::shared_ptr<torchsweep::TorchScriptModel> load(const std::string& path) {
    torchsweep::TorchScriptOptions options;
    options.path = path;
    return torchsweep::load_torchscript_model(options);
  }

  static TempDir* dir_;
  static int64_t python_parameters_;
};
TempDir* TorchScriptModelTest::dir_ = nullptr;
int64_t TorchScriptModelTest::python_parameters_ = -1;

/// A spec training `model` (YAML text) on 1,280 Fashion-MNIST images, 10 batches an epoch.
std::string spec_text(const std::string& model, int64_t steps) {
  return "name: ts\nseed: 1\ndevice: cpu\nmodel: " + model +
         "\ndata: {name: idx, root: /usr/share/datasets/fashion-mnist, batch_size: 128, mean: 0.1307, std: 0.3081, "
         "train_limit: 1280, test_limit: 500}\n"
         "loss: nll\noptimizer: {name: sgd, lr: 0.01, momentum: 0.9}\ntrain: {steps: " +
         std::to_string(steps) + ", log_every: 1, threads: 1, deterministic: true}\n";
}

nlohmann::json config_of(const std::string& spec_path, const std::vector<std::string>& overrides = {}) {
  return torchsweep::load_sweep(spec_path, overrides).runs.at(0).config;
}

TEST_F(TorchScriptModelTest, RegistersTheScriptedParametersAndBuffersUnderTheirNames) {
  const auto model = load(file("s6.pt"));
  EXPECT_EQ(torchsweep::count_parameters(*model), 19642);
  EXPECT_EQ(torchsweep::count_parameters(*model), python_parameters_);
  const auto summary = torchsweep::summarize_model(*model);
  EXPECT_EQ(summary.total_parameters, python_parameters_);
  EXPECT_EQ(summary.trainable_parameters, python_parameters_);
  // The names the Python module gives them, and the very tensors it holds.
  const auto ours = model->named_parameters();
  size_t n = 0;
  for (const auto& p : model->module().named_parameters()) {
    ASSERT_TRUE(ours.contains(p.name)) << p.name;
    EXPECT_TRUE(ours[p.name].is_same(p.value)) << p.name;
    ++n;
  }
  EXPECT_EQ(n, ours.size());
  const auto buffers = model->named_buffers();
  EXPECT_EQ(buffers.size(), 9u * 3u) << "running mean, variance and count of nine batch norms";
  EXPECT_TRUE(buffers.contains("layers.2.num_batches_tracked"));
}

TEST_F(TorchScriptModelTest, MovesTheScriptedTensorsToAnotherDtypeAndKeepsThemShared) {
  const auto model = load(file("s6.pt"));
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  model->to(torch::kFloat64);
  for (const auto& p : model->module().named_parameters()) {
    EXPECT_EQ(p.value.scalar_type(), torch::kFloat64) << p.name;
    EXPECT_TRUE(model->named_parameters()[p.name].is_same(p.value)) << p.name;
  }
  for (const auto& b : model->module().named_buffers())
    EXPECT_EQ(b.value.scalar_type(), b.name.find("num_batches_tracked") != std::string::npos ? torch::kInt64
                                                                                              : torch::kFloat64)
        << b.name;
  // Forward in float64, and an update through the optimizer built before the move
  // reaches the scripted module.
  const auto inputs = torch::randn({4, 1, 28, 28}, torch::kFloat64);
  const auto out = model->forward(inputs);
  EXPECT_EQ(out.scalar_type(), torch::kFloat64);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{4, 10}));
  const auto before = model->module().attr("layers").toModule().attr("35").toModule().attr("weight").toTensor().clone();
  out.sum().backward();
  sgd.step();
  const auto after = model->module().attr("layers").toModule().attr("35").toModule().attr("weight").toTensor();
  EXPECT_FALSE(torch::equal(before, after)) << "the optimizer updates the scripted module's own weight";
}

TEST_F(TorchScriptModelTest, TrainAndEvalSwitchTheScriptedModule) {
  const auto model = load(file("s6_dropout.pt"));
  torch::NoGradGuard no_grad;
  const auto inputs = torch::randn({8, 1, 28, 28});
  model->eval();
  EXPECT_FALSE(model->module().is_training());
  EXPECT_FALSE(model->module().attr("layers").toModule().is_training());
  EXPECT_TRUE(torch::equal(model->forward(inputs), model->forward(inputs))) << "no dropout, no batch statistics";
  model->train();
  EXPECT_TRUE(model->module().attr("layers").toModule().is_training());
  EXPECT_FALSE(torch::equal(model->forward(inputs), model->forward(inputs))) << "dropout 0.5 draws new masks";
}

TEST_F(TorchScriptModelTest, AForwardPassThatChangesHostStateIsNotCaptured) {
  TempDir dir;
  ASSERT_EQ(run_in(dir, "/usr/bin/python3 " + shell_quote(kScript) + " counting counting.pt").code, 0);
  const auto counting = load(dir.file("counting.pt"));
  counting->forward(torch::ones({3, 4}));
  EXPECT_EQ(counting->capture_obstacle(),
            "the TorchScript module's forward changes its attribute calls (0 to 1), state on the host that a "
            "replayed CUDA graph would not change");
  const auto s6 = load(file("s6_dropout.pt"));
  s6->forward(torch::ones({2, 1, 28, 28}));
  s6->eval();
  s6->forward(torch::ones({2, 1, 28, 28}));
  EXPECT_EQ(s6->capture_obstacle(), "") << "train() and eval() between calls are not the forward pass's doing";
}

// The acceptance test: the seed's CNN scripted by Python, given the built-in s6_cnn's
// initial weights, trains to the built-in model's losses on the same batches; and both
// to those of PyTorch's own loop.
TEST_F(TorchScriptModelTest, TheScriptedSeedCnnTrainsToTheBuiltInOnesLosses) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  constexpr int64_t kSteps = 50;
  TempDir dir;
  // Contiguous weights, as PyTorch's loop below keeps them (channels-last differs from it
  // by rounding, more than the tolerance after a few steps).
  const std::vector<std::string> contiguous = {"train.memory_format=contiguous"};
  const auto builtin_config =
      config_of(dir.write("builtin.yaml", spec_text("{name: s6_cnn, dropout: 0}", kSteps)), contiguous);
  // The built-in model's initial weights, drawn as its run draws them (seed 1), written
  // into the scripted module and saved.
  torch::manual_seed(1);
  const auto builtin =
      torchsweep::registries().models.get("s6_cnn").factory(builtin_config.at("model"));
  const auto scripted = load(file("s6.pt"));
  {
    torch::NoGradGuard no_grad;
    const auto from = builtin->parameters(), to = scripted->parameters();
    ASSERT_EQ(from.size(), to.size());
    for (size_t i = 0; i < from.size(); ++i) {
      ASSERT_EQ(from[i].sizes(), to[i].sizes()) << i;
      to[i].copy_(from[i]);
    }
    const auto from_b = builtin->buffers(), to_b = scripted->buffers();
    ASSERT_EQ(from_b.size(), to_b.size());
    for (size_t i = 0; i < from_b.size(); ++i) to_b[i].copy_(from_b[i]);
  }
  scripted->module().save(dir.file("s6_same.pt"));
  const auto scripted_config =
      config_of(dir.write("scripted.yaml", spec_text("{name: torchscript, path: s6_same.pt}", kSteps)), contiguous);

  MemorySink a, b;
  const auto builtin_run = torchsweep::train_run(builtin_config, a);
  const auto scripted_run = torchsweep::train_run(scripted_config, b);
  ASSERT_EQ(builtin_run.status, RunStatus::Finished) << builtin_run.error;
  ASSERT_EQ(scripted_run.status, RunStatus::Finished) << scripted_run.error;
  const auto expected = a.values("train/loss");
  const auto got = b.values("train/loss");
  ASSERT_EQ(expected.size(), static_cast<size_t>(kSteps));
  ASSERT_EQ(got.size(), static_cast<size_t>(kSteps));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-6) << "step " << i;
  EXPECT_LT(got.back(), got.front()) << "it learns";

  // PyTorch's own loop (an eager nn.Module, torch.optim.SGD) on the same weights and
  // batches: the batches as the run drew them, written for Python to read.
  const auto& data_config = scripted_config.at("data");
  const auto data = torchsweep::registries().datasets.get("idx").factory(data_config);
  torchsweep::BatchSource batches(*data, torch::kCPU, torch::kFloat32, 1);
  std::vector<torch::Tensor> inputs, targets;
  const int64_t per_epoch = data->train_batches();
  for (int64_t step = 0; step < kSteps; ++step) {
    if (step % per_epoch == 0) batches.start_epoch(step / per_epoch + 1);
    const auto batch = batches.batch(step % per_epoch);
    inputs.push_back(batch.inputs.contiguous());
    targets.push_back(batch.targets.to(torch::kInt64).contiguous());
  }
  const auto all_inputs = torch::stack(inputs).contiguous(), all_targets = torch::stack(targets).contiguous();
  std::ofstream(dir.file("batches.inputs"), std::ios::binary)
      .write(static_cast<const char*>(all_inputs.data_ptr()), static_cast<std::streamsize>(all_inputs.nbytes()));
  std::ofstream(dir.file("batches.targets"), std::ios::binary)
      .write(static_cast<const char*>(all_targets.data_ptr()), static_cast<std::streamsize>(all_targets.nbytes()));
  const auto reference = run_in(dir, "/usr/bin/python3 " + shell_quote(kScript) + " reference s6_same.pt batches " +
                                         std::to_string(kSteps) + " 0.01 0.9");
  ASSERT_EQ(reference.code, 0) << reference.err;
  const auto python = nlohmann::json::parse(reference.out).get<std::vector<double>>();
  ASSERT_EQ(python.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], python[i], 1e-5) << "step " << i;
}

TEST_F(TorchScriptModelTest, APathInASpecIsReadFromTheSpecsFolderAndAnOverrideFromTheWorkingDirectory) {
  TempDir dir;
  torchsweep::create_directories(dir.file("specs/models"));
  const std::string copy = read_file(file("s6.pt"));
  std::ofstream(dir.file("specs/models/net.pt"), std::ios::binary) << copy;
  std::ofstream(dir.file("net.pt"), std::ios::binary) << copy;
  const auto spec = dir.write("specs/spec.yaml", spec_text("{name: torchscript, path: models/net.pt}", 2));
  // Validated from elsewhere: the folder of the spec, not the working directory, counts.
  const auto config = config_of(spec);
  EXPECT_EQ(config["model"]["path"], dir.file("specs/models/net.pt"));
  EXPECT_EQ(config["model"]["sha1"], c10::sha1(copy).str()) << "the content's hash is recorded";
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir.path().c_str()), 0);
  nlohmann::json overridden;
  try {
    overridden = config_of(spec, {"model.path=net.pt"});
  } catch (...) {
    ASSERT_EQ(chdir(cwd), 0);
    throw;
  }
  ASSERT_EQ(chdir(cwd), 0);
  EXPECT_EQ(overridden["model"]["path"], dir.file("net.pt"));
}

TEST_F(TorchScriptModelTest, AFileThatIsNotTorchScriptIsRefusedAtItsLine) {
  TempDir dir;
  dir.write("notes.pt", "not a model\n");
  // What torch.save writes (a zip archive without TorchScript's code), and tensors
  // saved from C++ (TorchScript without a forward method).
  ASSERT_EQ(run_in(dir, "/usr/bin/python3 " + shell_quote(kScript) + " state_dict weights_only.pt").code, 0);
  {
    torch::serialize::OutputArchive archive;
    archive.write("weight", torch::ones({2}));
    archive.save_to(dir.file("tensors.pt"));
  }
  const auto refused = [&](const std::string& path, const std::string& why) {
    const auto spec = dir.write("spec.yaml", spec_text("{name: torchscript,\n  path: " + path + "}", 2));
    ASSERT_THROWS_WITH(config_of(spec), torchsweep::SpecError,
                       spec + ":5:9: model.path: expected a TorchScript file (torch.jit.script(model).save(path)), got " +
                           dir.file(path) + ": " + why);
  };
  refused("missing.pt", "no such file");
  refused("notes.pt", "not a zip archive");
  refused("tensors.pt", "a TorchScript archive without a forward method");
  torchsweep::create_directories(dir.file("folder"));
  refused("folder", "a folder");

  // On the command line: exit 2, one line, and no database.
  const auto spec = dir.write("spec.yaml", spec_text("{name: torchscript,\n  path: notes.pt}", 2));
  auto r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " run spec.yaml --db none.db");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err, "spec.yaml:5:9: model.path: expected a TorchScript file (torch.jit.script(model).save(path)), got " +
                       dir.file("notes.pt") + ": not a zip archive, as torch.jit.save writes\n");
  EXPECT_FALSE(torchsweep::path_exists(dir.file("none.db")));
  r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " summary torchscript path=weights_only.pt");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("model.path: expected a TorchScript file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir.file("weights_only.pt") + ": an archive of torch.save"), std::string::npos) << r.err;
}

TEST_F(TorchScriptModelTest, AnArchiveWhoseCodeDoesNotCompileAndAModuleThatDoesNotFitTheDataAreOneLineEach) {
  TempDir dir;
  // s6.pt with its forward's code broken: LibTorch's compiler refuses it with an
  // ErrorReport (not a c10::Error) and a message over several lines.
  const std::string s6 = TorchScriptModelTest::dir_->file("s6.pt");
  const std::string broken = dir.file("broken.pt");
  const std::string rewrite =
      "import sys, zipfile\n"
      "src, dst = sys.argv[1], sys.argv[2]\n"
      "with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as b:\n"
      "    for item in a.infolist():\n"
      "        data = a.read(item)\n"
      "        if item.filename.endswith('.py'):\n"
      "            data = data.replace(b'def forward(', b'def forward(((', 1)\n"
      "        b.writestr(item, data)\n";
  dir.write("rewrite.py", rewrite);
  ASSERT_EQ(run_in(dir, "/usr/bin/python3 rewrite.py " + shell_quote(s6) + " broken.pt").code, 0);
  dir.write("spec.yaml", spec_text("{name: torchscript,\n  path: broken.pt}", 2));
  auto r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " validate spec.yaml");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("spec.yaml:5:9: model.path: expected a TorchScript file (torch.jit.script(model).save(path)), got " +
                            broken + ": it does not load as a TorchScript module: ",
                        0),
            0u)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // A module that loads but does not take the data (a table of two features into the
  // seed CNN's convolutions): the first-batch check names LibTorch's own error, the
  // last line of the interpreter's message, not its traceback header.
  dir.write("table.csv", "x1,x2,y\n0.5,1.5,0\n1.0,2.0,1\n");
  dir.write("table.yaml", "name: ts\nseed: 1\ndevice: cpu\nmodel: {name: torchscript, path: " + s6 +
                              "}\ndata: {name: csv, path: table.csv, target: y}\nloss: nll\n"
                              "optimizer: {name: sgd, lr: 0.01}\ntrain: {steps: 1}\n");
  r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " validate table.yaml");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.find("The following operation failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("table.yaml:4:8: model: model 'torchscript' does not fit data 'csv' with loss 'nll': "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("conv2d"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(TorchScriptModelTest, SummaryAndModelsCountTheScriptedParameters) {
  TempDir dir;
  std::ofstream(dir.file("net.pt"), std::ios::binary) << read_file(file("s6.pt"));
  auto r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " summary torchscript path=net.pt input=[1,28,28]");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Total params: 19,642"), std::string::npos) << r.out;
  EXPECT_EQ(19642, python_parameters_);
  r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " models");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("torchscript"), std::string::npos) << r.out;
}

TEST_F(TorchScriptModelTest, APinnedHashThatDiffersIsRefused) {
  TempDir dir;
  std::ofstream(dir.file("net.pt"), std::ios::binary) << read_file(file("s6.pt"));
  const std::string sha1 = c10::sha1(read_file(file("s6.pt"))).str();
  const auto spec = dir.write("spec.yaml", spec_text("{name: torchscript, path: net.pt,\n  sha1: " + sha1 + "}", 2));
  EXPECT_EQ(config_of(spec)["model"]["sha1"], sha1);
  const std::string other(40, '0');
  ASSERT_THROWS_WITH(config_of(spec, {"model.sha1=" + other}), torchsweep::SpecError,
                     "model.sha1: " + dir.file("net.pt") + " has sha1 " + sha1 + ", expected " + other);
}

TEST_F(TorchScriptModelTest, ARerunRefusesAChangedFileNamingBothHashes) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  std::ofstream(dir.file("net.pt"), std::ios::binary) << read_file(file("s6.pt"));
  dir.write("spec.yaml", spec_text("{name: torchscript, path: net.pt}", 2));
  auto r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " run spec.yaml --db r.db");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string before = c10::sha1(read_file(dir.file("net.pt"))).str();
  // Unchanged, it reruns.
  r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " rerun 1 --db r.db");
  ASSERT_EQ(r.code, 0) << r.err;
  // Changed (other weights), it is refused before anything is written.
  std::ofstream(dir.file("net.pt"), std::ios::binary) << read_file(file("s6_dropout.pt"));
  const std::string after = c10::sha1(read_file(dir.file("net.pt"))).str();
  ASSERT_NE(before, after);
  r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " rerun 1 --db r.db");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err, "rerun: run 1's config: model.sha1: " + dir.file("net.pt") + " has sha1 " + after + ", expected " +
                       before + ": the file changed since that hash was taken\n");
  r = run_in(dir, std::string(TORCHSWEEP_BINARY) + " results list --sweep all --db r.db --format csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << "the run and its first rerun only:\n" << r.out;
}

TEST_F(TorchScriptModelTest, AMidEpochCheckpointContinuesExactlyAsAnUnbrokenRun) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  std::ofstream(dir.file("net.pt"), std::ios::binary) << read_file(file("s6_dropout.pt"));
  const auto spec = dir.write("spec.yaml", spec_text("{name: torchscript, path: net.pt}", 17));
  MemorySink whole, twelve, rest;
  torchsweep::train_run(config_of(spec), whole);
  TempDir checkpoints;
  torchsweep::TrainOptions options;
  options.checkpoint_dir = checkpoints.path();
  const auto first = torchsweep::train_run(config_of(spec, {"train.steps=12", "train.checkpoint_every=6 steps"}),
                                           twelve, options);
  ASSERT_EQ(first.status, RunStatus::Finished) << first.error;
  options.resume = true;
  const auto outcome = torchsweep::train_run(config_of(spec, {"train.checkpoint_every=6 steps"}), rest, options);
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(rest.started.resumed_at_step, 12);
  const auto expected = whole.values("train/loss");
  const auto got = rest.values("train/loss");
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(got[i], expected[12 + i]) << "step " << 12 + i;
  EXPECT_EQ(rest.values("test/acc"), whole.values("test/acc"));
}

TEST_F(TorchScriptModelTest, ItsRunsTrainAsTheLanesOfAGroupEachToItsOwnNumbers) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  std::ofstream(dir.file("net.pt"), std::ios::binary) << read_file(file("s6.pt"));
  const auto spec = dir.write("spec.yaml", spec_text("{name: torchscript, path: net.pt}", 2));
  auto low = config_of(spec), high = low;
  high["optimizer"]["lr"] = 0.05;
  // Each lane loads its own module from the file: nothing is shared between lanes.
  EXPECT_EQ(torchsweep::lane_groups({low, high}, "on").size(), 1u);
  std::vector<MemorySink> grouped(2), alone(2);
  const auto outcomes = torchsweep::train_group({{low, &grouped[0], ""}, {high, &grouped[1], ""}});
  torchsweep::train_run(low, alone[0]);
  torchsweep::train_run(high, alone[1]);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(outcomes[k].status, RunStatus::Finished) << outcomes[k].error;
    EXPECT_EQ(grouped[k].values("train/loss"), alone[k].values("train/loss")) << "run " << k;
    EXPECT_EQ(grouped[k].values("test/acc"), alone[k].values("test/acc")) << "run " << k;
  }
  EXPECT_NE(grouped[0].values("train/loss").back(), grouped[1].values("train/loss").back()) << "each its own rate";
}

}  // namespace
