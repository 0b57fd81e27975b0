// ResNet-18 (CIFAR form) against torchvision: Debian's python3-torchvision builds
// resnet18(num_classes=10) with a 3x3 stride-1 stem and no max-pool, counts its
// parameters, and writes its state dict and its outputs on a fixed input; ours must
// have the same parameters in the same order and shapes, and, given those weights,
// the same outputs in eval and train mode.
#include "models/resnet.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "models/summary.h"
#include "spec/registries.h"
#include "sweep/sweep.h"
#include "train/checkpoint.h"
#include "sweep/lane_groups.h"
#include "train/trainer.h"
#include "train/trainer.h"
#include "../test_helpers.h"

namespace {

using torchsweep::ResNet18Cifar;

constexpr int64_t kTorchvisionParameters = 11173962;  // the issue's figure, also counted in Python below

bool python_has_torchvision() {
  return std::system("/usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1") == 0;
}

// Writes, into the folder given as argv[1]: count (the parameter count), params (one
// line per parameter in named_parameters order: name and shape), state (one line per
// state dict entry but num_batches_tracked: name and numel) with state.bin (their
// float32 values in that order), input.bin ([4, 3, 32, 32]) and eval.bin / train.bin
// (log_softmax of the outputs in each mode; train mode after eval mode). Batch norm's
// statistics and affine weights are drawn at random so that eval mode exercises them.
const char* kReferenceScript = R"PY(
import sys, torch, torchvision
out = sys.argv[1]
torch.manual_seed(23)
m = torchvision.models.resnet18(num_classes=10)
m.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
m.maxpool = torch.nn.Identity()
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.normal_(1, 0.1)
            mod.bias.normal_(0, 0.1)
open(out + "/count", "w").write(str(sum(p.numel() for p in m.parameters())))
with open(out + "/params", "w") as f:
    for name, p in m.named_parameters():
        f.write(name + " " + " ".join(str(d) for d in p.shape) + "\n")
with open(out + "/state", "w") as f, open(out + "/state.bin", "wb") as b:
    for name, t in m.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        f.write(name + " " + str(t.numel()) + "\n")
        b.write(t.detach().float().contiguous().numpy().tobytes())
x = torch.randn(4, 3, 32, 32)
open(out + "/input.bin", "wb").write(x.numpy().tobytes())
m.eval()
with torch.no_grad():
    open(out + "/eval.bin", "wb").write(torch.log_softmax(m(x), 1).numpy().tobytes())
    m.train()
    open(out + "/train.bin", "wb").write(torch.log_softmax(m(x), 1).numpy().tobytes())
)PY";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

torch::Tensor read_floats(const std::string& path, std::vector<int64_t> shape) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto t = torch::empty(shape, torch::kFloat32);
  EXPECT_EQ(bytes.size(), static_cast<size_t>(t.numel()) * sizeof(float)) << path;
  if (bytes.size() == static_cast<size_t>(t.numel()) * sizeof(float)) std::memcpy(t.data_ptr<float>(), bytes.data(), bytes.size());
  return t;
}

class ResNetReference : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python_has_torchvision()) GTEST_SKIP() << "/usr/bin/python3 lacks torch or torchvision (python3-torchvision)";
    const std::string script = dir_.write("reference.py", kReferenceScript);
    ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + dir_.path()).c_str()), 0) << "the reference script failed";
  }
  torchsweep::testing::TempDir dir_;
};

TEST_F(ResNetReference, HasTorchvisionsParameterCountAndParameterShapesInOrder) {
  ResNet18Cifar model;
  EXPECT_EQ(std::stoll(read_text(dir_.file("count"))), kTorchvisionParameters);
  EXPECT_EQ(torchsweep::count_parameters(model), kTorchvisionParameters);
  std::istringstream lines(read_text(dir_.file("params")));
  const auto ours = model.named_parameters();
  size_t i = 0;
  for (std::string line; std::getline(lines, line); ++i) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    std::vector<int64_t> shape;
    for (int64_t d; fields >> d;) shape.push_back(d);
    ASSERT_LT(i, ours.size()) << "torchvision has more parameters, from " << name;
    EXPECT_EQ(ours[i].value().sizes().vec(), shape) << "parameter " << i << ": " << name;
    EXPECT_EQ(ours[i].key(), name) << "parameter " << i;
  }
  EXPECT_EQ(i, ours.size()) << "as many parameters as torchvision's";
  EXPECT_EQ(i, 62u) << "20 convolutions (3 of them shortcuts), 20 batch norms with two each, the head's two";
}

TEST_F(ResNetReference, GivenTorchvisionsWeightsGivesItsOutputsInEvalAndTrainMode) {
  ResNet18Cifar model;
  std::map<std::string, torch::Tensor> ours;
  for (const auto& p : model.named_parameters()) ours[p.key()] = p.value();
  for (const auto& b : model.named_buffers())
    if (b.key().find("num_batches_tracked") == std::string::npos) ours[b.key()] = b.value();

  std::istringstream lines(read_text(dir_.file("state")));
  std::ifstream values(dir_.file("state.bin"), std::ios::binary);
  size_t loaded = 0;
  torch::NoGradGuard no_grad;
  for (std::string name; lines >> name;) {
    int64_t numel = 0;
    lines >> numel;
    auto it = ours.find(name);
    ASSERT_NE(it, ours.end()) << "ours has no " << name;
    ASSERT_EQ(it->second.numel(), numel) << name;
    auto from = torch::empty({numel}, torch::kFloat32);
    values.read(reinterpret_cast<char*>(from.data_ptr<float>()), static_cast<std::streamsize>(numel * sizeof(float)));
    ASSERT_TRUE(values) << "state.bin ends inside " << name;
    it->second.copy_(from.view(it->second.sizes()));
    ++loaded;
  }
  EXPECT_EQ(loaded, ours.size()) << "every parameter and statistic of ours came from torchvision";

  const auto input = read_floats(dir_.file("input.bin"), {4, 3, 32, 32});
  model.eval();
  const auto eval = model.forward(input);
  model.train();
  const auto train = model.forward(input);
  const auto eval_expected = read_floats(dir_.file("eval.bin"), {4, 10});
  const auto train_expected = read_floats(dir_.file("train.bin"), {4, 10});
  EXPECT_LT((eval - eval_expected).abs().max().item<double>(), 1e-5) << eval << eval_expected;
  EXPECT_LT((train - train_expected).abs().max().item<double>(), 1e-5) << train << train_expected;
  EXPECT_GT((eval - train).abs().max().item<double>(), 1e-3) << "batch norm's two modes differ on this input";
}

TEST(ResNetTest, SummaryCountsEveryParameterAndEndsInTheHead) {
  ResNet18Cifar model;
  const auto summary = torchsweep::summarize_model(model);
  EXPECT_EQ(summary.total_parameters, kTorchvisionParameters);
  EXPECT_EQ(summary.trainable_parameters, kTorchvisionParameters);
  EXPECT_EQ(summary.input_shape, (std::vector<int64_t>{3, 32, 32}));
  int64_t listed = 0, convs = 0, blocks = 0;
  for (const auto& layer : summary.layers) {
    listed += layer.parameters;
    convs += layer.name.rfind("Conv2d-", 0) == 0;
    blocks += layer.name.rfind("BasicBlock-", 0) == 0;
  }
  EXPECT_EQ(listed, kTorchvisionParameters) << "the table's rows add up to the total";
  EXPECT_EQ(convs, 20);
  EXPECT_EQ(blocks, 8);
  ASSERT_FALSE(summary.layers.empty());
  EXPECT_EQ(summary.layers.front().name, "Conv2d-1");
  EXPECT_EQ(summary.layers.front().output, (std::vector<int64_t>{64, 32, 32})) << "the stem keeps 32x32";
  const auto& head = summary.layers[summary.layers.size() - 2];
  EXPECT_EQ(head.name.substr(0, 7), "Linear-");
  EXPECT_EQ(head.parameters, 512 * 10 + 10);
  // Each stage's output shape, as the table lists the last block of each.
  std::vector<std::vector<int64_t>> block_shapes;
  for (const auto& layer : summary.layers)
    if (layer.name.rfind("BasicBlock-", 0) == 0) block_shapes.push_back(layer.output);
  EXPECT_EQ(block_shapes[1], (std::vector<int64_t>{64, 32, 32}));
  EXPECT_EQ(block_shapes[3], (std::vector<int64_t>{128, 16, 16}));
  EXPECT_EQ(block_shapes[5], (std::vector<int64_t>{256, 8, 8}));
  EXPECT_EQ(block_shapes[7], (std::vector<int64_t>{512, 4, 4}));
}

TEST(ResNetTest, TheLayerTableMatchesTheForwardPassForOtherOptions) {
  torchsweep::ResNetOptions options;
  options.classes = 7;
  options.width = 4;
  options.in_channels = 1;
  ResNet18Cifar model(options);
  // Widths w, 2w, 4w, 8w: 3x3 convolutions, batch norms, 1x1 shortcuts in stages 2-4, the head.
  const int64_t w = 4;
  int64_t expected = 9 * 1 * w + 2 * w;  // stem
  int64_t in = w;
  for (int64_t s = 0; s < 4; ++s) {
    const int64_t out = w << s;
    expected += 9 * in * out + 9 * out * out + 4 * out + 9 * out * out + 9 * out * out + 4 * out;
    if (s > 0) expected += in * out + 2 * out;
    in = out;
  }
  expected += 8 * w * 7 + 7;
  EXPECT_EQ(torchsweep::count_parameters(model), expected);
  EXPECT_EQ(torchsweep::summarize_model(model).total_parameters, expected);
  int64_t listed = 0;
  for (const auto& layer : model.layer_info()) listed += layer.parameters;
  EXPECT_EQ(listed, expected);
  model.eval();
  const auto out = model.forward(torch::randn({2, 1, 32, 32}));
  EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, 7}));
  EXPECT_NEAR(out.exp().sum(1)[0].item<double>(), 1.0, 1e-5) << "log-probabilities";
}

TEST(ResNetTest, StartsAsTorchvisionInitialisesIt) {
  torch::manual_seed(5);
  ResNet18Cifar model;
  for (const auto& p : model.named_parameters()) {
    const auto& t = p.value();
    if (p.key().find("bn") != std::string::npos || p.key().find("downsample.1") != std::string::npos) {
      const double want = p.key().substr(p.key().size() - 6) == "weight" ? 1.0 : 0.0;
      EXPECT_TRUE(t.eq(want).all().item<bool>()) << p.key();
    } else if (t.dim() == 4) {
      // kaiming normal, fan_out, gain sqrt(2): std sqrt(2 / (out * kernel area)).
      const double want = std::sqrt(2.0 / static_cast<double>(t.size(0) * t.size(2) * t.size(3)));
      const double sd = t.std().item<double>();
      EXPECT_NEAR(sd / want, 1.0, t.numel() > 100000 ? 0.01 : 0.1) << p.key();
      EXPECT_NEAR(t.mean().item<double>() / want, 0.0, 0.05) << p.key();
    } else {
      // Linear's default: uniform within 1 / sqrt(fan_in).
      const double bound = 1.0 / std::sqrt(512.0);
      EXPECT_LE(t.abs().max().item<double>(), bound) << p.key();
      EXPECT_GT(t.abs().max().item<double>(), 0.5 * bound) << p.key();
    }
  }
}

TEST(ResNetTest, CheckpointsRestoreWeightsStatisticsAndMomentum) {
  torchsweep::testing::TempDir dir;
  torchsweep::ResNetOptions small;
  small.width = 4;
  torch::manual_seed(1);
  ResNet18Cifar model(small);
  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  model.train();
  const auto x = torch::randn({8, 3, 32, 32});
  const auto y = torch::randint(0, 10, {8});
  auto step = [&](ResNet18Cifar& m, torch::optim::SGD& o) {
    o.zero_grad();
    torch::nll_loss(m.forward(x), y).backward();
    o.step();
  };
  step(model, optimizer);
  torchsweep::save_checkpoint(dir.path(), model, optimizer, {}, torch::kCPU);
  torch::manual_seed(2);
  ResNet18Cifar restored(small);
  torch::optim::SGD restored_optimizer(restored.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  ASSERT_TRUE(torchsweep::load_checkpoint(dir.path(), restored, restored_optimizer, torch::kCPU));
  restored.train();
  step(model, optimizer);
  step(restored, restored_optimizer);
  const auto a = model.named_parameters(), b = restored.named_parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].value(), b[i].value())) << a[i].key();
  const auto ab = model.named_buffers(), bb = restored.named_buffers();
  ASSERT_EQ(ab.size(), 60u) << "20 batch norms: mean, variance, batches seen";
  for (size_t i = 0; i < ab.size(); ++i) EXPECT_TRUE(torch::equal(ab[i].value(), bb[i].value())) << ab[i].key();
}

TEST(ResNetTest, MovesToDoubleWithItsBuffers) {
  torchsweep::ResNetOptions small;
  small.width = 2;
  ResNet18Cifar model(small);
  model.to(torch::kDouble);
  for (const auto& b : model.named_buffers())
    if (b.key().find("num_batches_tracked") == std::string::npos) {
      EXPECT_EQ(b.value().scalar_type(), torch::kDouble) << b.key();
    }
  model.eval();
  EXPECT_EQ(model.forward(torch::randn({1, 3, 32, 32}, torch::kDouble)).scalar_type(), torch::kDouble);
}

/// The shipped CIFAR-10 sweep, its data root pointed at files in CIFAR-10's binary
/// format (random pixels): it validates as four runs of the learning rates, and its
/// first run trains a step with its augmentation, on the CPU.
TEST(ResNetTest, TheShippedCifarSweepValidatesAndTrains) {
  if (!torchsweep::registries().datasets.has("cifar10")) GTEST_SKIP() << "no cifar10 data set in this build";
  torchsweep::testing::TempDir dir;
  const int64_t records = 20;  // per file
  for (const std::string name : {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                                 "test_batch"}) {
    std::string bytes;
    for (int64_t r = 0; r < records; ++r) {
      bytes += static_cast<char>(r % 10);
      for (int64_t p = 0; p < 3072; ++p) bytes += static_cast<char>((r * 7 + p * 13) % 256);
    }
    dir.write(name + ".bin", bytes);
  }
  const std::string spec = torchsweep::testing::source_dir() + "/experiments/cifar10_resnet18.yaml";
  const auto plan = torchsweep::load_sweep(spec, {"data.root=" + dir.path()});
  ASSERT_EQ(plan.runs.size(), 4u);
  std::vector<double> rates;
  for (const auto& run : plan.runs) rates.push_back(run.config.at("optimizer").at("lr").get<double>());
  EXPECT_EQ(rates, (std::vector<double>{0.01, 0.05, 0.1, 0.2}));
  const auto& config = plan.runs.front().config;
  EXPECT_EQ(config.at("model").at("name"), "resnet18_cifar");
  EXPECT_EQ(config.at("data").at("crop_padding"), 4);
  EXPECT_EQ(config.at("data").at("flip"), true);
  EXPECT_EQ(config.at("train").at("epochs"), 30);

  const auto short_run = torchsweep::load_sweep(
      spec, {"data.root=" + dir.path(), "device=cpu", "optimizer.lr=0.1", "~train.epochs", "train.steps=1",
             "data.batch_size=16", "model.width=8"});
  ASSERT_EQ(short_run.runs.size(), 1u);
  torchsweep::MemorySink sink;
  const auto outcome = torchsweep::train_run(short_run.runs.front().config, sink);
  EXPECT_EQ(outcome.status, torchsweep::RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.steps, 1);
  EXPECT_TRUE(std::isfinite(outcome.final_loss));
}

/// A lane group (sweep.fuse: on) of ResNet-18 runs: each lane is an ordinary run, so a
/// model of any shape groups, and each lane records its run alone's numbers.
TEST(ResNetTest, ALaneGroupTrainsEachRunToItsOwnNumbers) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // One channel of 28x28: the adaptive average pool takes any size.
  const auto plan = torchsweep::load_sweep(
      torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
      {"model=resnet18_cifar", "model.width=2", "model.in_channels=1", "device=cpu", "~train.epochs", "~scheduler",
       "train.steps=3", "train.log_every=1", "data.batch_size=16", "data.train_limit=64", "data.test_limit=32",
       "optimizer.lr=0.01,0.05", "sweep.fuse=on"});
  ASSERT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(torchsweep::lane_groups({plan.runs[0].config, plan.runs[1].config}, "on").size(), 1u);
  std::vector<torchsweep::MemorySink> fused(2), alone(2);
  std::vector<torchsweep::LaneSpec> lanes;
  for (size_t k = 0; k < 2; ++k) lanes.push_back({plan.runs[k].config, &fused[k], ""});
  const auto outcomes = torchsweep::train_group(lanes);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(outcomes[k].status, torchsweep::RunStatus::Finished) << outcomes[k].error;
    EXPECT_EQ(outcomes[k].steps, 3);
    torchsweep::train_run(plan.runs[k].config, alone[k]);
    EXPECT_EQ(fused[k].values("train/loss"), alone[k].values("train/loss")) << "run " << k;
    EXPECT_EQ(fused[k].values("test/acc"), alone[k].values("test/acc")) << "run " << k;
  }
  EXPECT_NE(fused[0].values("train/loss").back(), fused[1].values("train/loss").back()) << "each its own rate";
}

}  // namespace
