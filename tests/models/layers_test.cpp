// Declared layers: shapes, parameter counts, and the errors a layer that does not fit gives.
#include "models/layers.h"

#include "models/s6_cnn.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "spec/registries.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::LayerError;
using torchsweep::SpecError;
using nlohmann::json;

TEST(LayersTest, SeedCnnHas19642ParametersAndTheNotebooksShapes) {
  torchsweep::LayeredModel model(torchsweep::s6_cnn_layers(), {1, 28, 28});
  EXPECT_EQ(torchsweep::count_parameters(model), 19642);
  // Output shapes after each block's BatchNorm (seed-values.md §2), in block order.
  const std::vector<std::vector<int64_t>> blocks = {{16, 26, 26}, {16, 24, 24}, {16, 22, 22}, {16, 11, 11}, {16, 9, 9},
                                                    {16, 7, 7},   {16, 5, 5},   {16, 5, 5},   {32, 5, 5}};
  std::vector<std::vector<int64_t>> after_batchnorm;
  for (const auto& layer : model.layer_info())
    if (layer.name.rfind("BatchNorm2d", 0) == 0) after_batchnorm.push_back(layer.output);
  EXPECT_EQ(after_batchnorm, blocks);
  EXPECT_EQ(model.layer_info().back().output, (std::vector<int64_t>{10}));
  const auto out = model.forward(torch::zeros({2, 1, 28, 28}));
  EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, 10}));
  // log_softmax: each row's probabilities sum to 1.
  EXPECT_NEAR(out.exp().sum(1)[0].item<double>(), 1.0, 1e-5);
}

TEST(LayersTest, ParameterCountsFollowTheFormulas) {
  // conv: in*out*k*k + out; batchnorm: 2*channels; linear: in*out + out.
  const auto built = torchsweep::build_layers(
      json::array({{{"conv2d", {{"out", 4}, {"kernel", 3}}}}, "batchnorm2d", "flatten", {{"linear", {{"out", 5}}}}}),
      {2, 6, 6});
  ASSERT_EQ(built.layers.size(), 4u);
  EXPECT_EQ(built.layers[0].parameters, 2 * 4 * 9 + 4);
  EXPECT_EQ(built.layers[1].parameters, 8);
  EXPECT_EQ(built.layers[2].output, (std::vector<int64_t>{4 * 4 * 4}));
  EXPECT_EQ(built.layers[3].parameters, 64 * 5 + 5);
  torchsweep::LayeredModel lenet(torchsweep::lenet5_layers(), {1, 28, 28});
  EXPECT_EQ(torchsweep::count_parameters(lenet), 156 + 2416 + 48120 + 10164 + 850);
  torchsweep::LayeredModel mlp(torchsweep::mlp_layers({784, 128, 10}, "relu"), {1, 28, 28});
  EXPECT_EQ(torchsweep::count_parameters(mlp), 784 * 128 + 128 + 128 * 10 + 10);
}

TEST(LayersTest, LayersThatDoNotFitNameTheLayer) {
  auto error_index = [](const json& layers, const std::vector<int64_t>& input) -> size_t {
    try {
      torchsweep::build_layers(layers, input);
    } catch (const LayerError& e) {
      return e.index();
    }
    return 999;
  };
  EXPECT_EQ(error_index(json::array({"relu", {{"conv2d", {{"out", 4}, {"kernel", 9}}}}}), {1, 5, 5}), 1u);
  EXPECT_EQ(error_index(json::array({{{"linear", {{"out", 3}}}}}), {1, 4, 4}), 0u);  // needs flatten first
  EXPECT_EQ(error_index(json::array({"flatten", {{"linear", {{"in", 10}, {"out", 3}}}}}), {1, 4, 4}), 1u);
  EXPECT_EQ(error_index(json::array({"relu", "swish"}), {3}), 1u);
  EXPECT_EQ(error_index(json::array({{{"conv2d", {{"out", 4}, {"kernel", 3}, {"dilation", 2}}}}}), {1, 9, 9}), 0u);
  EXPECT_EQ(error_index(json::array({{{"maxpool2d", {{"kernel", 4}}}}}), {1, 3, 3}), 0u);
  ASSERT_THROWS_WITH(torchsweep::build_layers(json::array({"flatten", {{"linear", {{"in", 10}, {"out", 3}}}}}), {1, 4, 4}),
                     LayerError, "linear.in: the layer before gives 16, got 10");
}

TEST(LayersTest, SequentialSpecOfTheSeedCnnHasTheSameParameters) {
  const auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_sequential.yaml", {});
  const auto& model_cfg = plan.runs.at(0).config.at("model");
  const auto model = torchsweep::registries().models.get("sequential").factory(model_cfg);
  EXPECT_EQ(torchsweep::count_parameters(*model), 19642);
}

TEST(LayersTest, SequentialShapeErrorIsASpecErrorAtTheLayersLine) {
  torchsweep::testing::TempDir dir;
  const std::string spec = dir.write("seq.yaml",
                                     "name: s\n"
                                     "model:\n"
                                     "  name: sequential\n"
                                     "  input: [1, 8, 8]\n"
                                     "  layers:\n"
                                     "    - conv2d: {out: 4, kernel: 3}\n"
                                     "    - maxpool2d: {kernel: 7}\n"
                                     "    - flatten\n"
                                     "data: seed_example\nloss: nll\noptimizer: sgd\ntrain: {steps: 1}\n");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), SpecError,
                     "seq.yaml:7:7: model.layers[1]: maxpool2d: kernel 7 does not fit input 4x6x6");
}

TEST(LayersTest, SummaryTotalsAndMemoryLikeTorchsummary) {
  torchsweep::LayeredModel model(torchsweep::s6_cnn_layers(), {1, 28, 28});
  const auto s = torchsweep::summarize_model(model);
  EXPECT_EQ(s.total_parameters, 19642);
  EXPECT_EQ(s.trainable_parameters, 19642);
  EXPECT_NEAR(s.parameters_mb, 19642 * 4.0 / (1024 * 1024), 1e-9);
  EXPECT_NEAR(s.input_mb, 784 * 4.0 / (1024 * 1024), 1e-9);
  std::ostringstream text;
  torchsweep::print_summary(s, text);
  EXPECT_NE(text.str().find("Conv2d-1"), std::string::npos);
  EXPECT_NE(text.str().find("[-1, 16, 26, 26]"), std::string::npos);
  EXPECT_NE(text.str().find("Total params: 19,642"), std::string::npos);
}

}  // namespace
