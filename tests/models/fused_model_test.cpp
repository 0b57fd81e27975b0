// Fused lanes compute what their replicas compute: the exact form bit for bit, the
// grouped form (one call per layer) to rounding, and a lane written back is its replica.
#include "models/fused_model.h"

#include "models/backprop_2x2x2.h"
#include "models/lane_generators.h"
#include "models/s6_cnn.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::FusedModel;
using torchsweep::LaneForm;
using torchsweep::Model;

std::vector<std::shared_ptr<Model>> cnn_replicas(int lanes) {
  std::vector<std::shared_ptr<Model>> out;
  for (int k = 0; k < lanes; ++k) {
    torch::manual_seed(100 + k);  // each lane its own initial weights
    torchsweep::S6CnnOptions options;
    options.dropout = 0;
    out.push_back(std::make_shared<torchsweep::LayeredModel>(torchsweep::s6_cnn_layers(options),
                                                             std::vector<int64_t>{1, 28, 28}));
  }
  return out;
}

double max_relative(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs() / b.abs().clamp_min(1e-3)).max().item<double>();
}

TEST(FusedModelTest, ExactLanesAreTheirReplicasBitForBit) {
  auto replicas = cnn_replicas(3);
  auto fused = torchsweep::fuse_models(replicas, LaneForm::Exact).model;
  ASSERT_TRUE(fused);
  EXPECT_EQ(fused->lanes(), 3);
  EXPECT_EQ(torchsweep::count_parameters(*fused), 3 * torchsweep::count_parameters(*replicas[0]));
  torch::manual_seed(7);
  const auto inputs = torch::randn({3, 8, 1, 28, 28});
  const auto outputs = fused->forward(inputs);
  ASSERT_EQ(outputs.sizes(), (std::vector<int64_t>{3, 8, 10}));
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(torch::equal(outputs[k], replicas[k]->forward(inputs[k]))) << "lane " << k;
}

TEST(FusedModelTest, GroupedLanesAgreeWithExactLanesToRounding) {
  auto replicas = cnn_replicas(3);
  auto exact = torchsweep::fuse_models(replicas, LaneForm::Exact).model;
  auto grouped = torchsweep::fuse_models(replicas, LaneForm::Grouped).model;
  torch::manual_seed(7);
  const auto inputs = torch::randn({3, 8, 1, 28, 28});
  const auto a = exact->forward(inputs), b = grouped->forward(inputs);
  EXPECT_LT(max_relative(b, a), 1e-4);
  a.sum().backward();
  b.sum().backward();
  const auto pa = exact->parameters(), pb = grouped->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].sizes(), pb[i].sizes());
    EXPECT_LT((pb[i].grad() - pa[i].grad()).abs().max().item<double>(),
              1e-4 * std::max(1.0, pa[i].grad().abs().max().item<double>()))
        << "parameter " << i;
  }
}

TEST(FusedModelTest, ALaneWrittenBackIsItsReplicaWithGradientsAndBuffers) {
  auto replicas = cnn_replicas(2);
  auto fused = torchsweep::fuse_models(replicas).model;
  const auto out = fused->forward(torch::randn({2, 4, 1, 28, 28}));
  out[1].sum().backward();
  auto fresh = cnn_replicas(2)[1];
  fused->write_lane(1, *fresh);
  const auto fp = fused->parameters();
  const auto rp = fresh->parameters();
  for (size_t i = 0; i < rp.size(); ++i) {
    EXPECT_TRUE(torch::equal(rp[i], fp[i].view({2, -1})[1].view_as(rp[i])));
    EXPECT_TRUE(torch::equal(rp[i].grad(), fp[i].grad().view({2, -1})[1].view_as(rp[i])));
  }
  // Batch norm's running statistics moved with the forward pass, and came back too.
  const auto rb = fresh->buffers();
  const auto fb = fused->buffers();
  EXPECT_TRUE(torch::equal(rb[0], fb[0].view({2, -1})[1]));
}

std::vector<std::shared_ptr<Model>> seed_replicas(int lanes) {
  std::vector<std::shared_ptr<Model>> replicas;
  for (int k = 0; k < lanes; ++k) {
    torchsweep::Backprop2x2x2Options o;
    o.weights[0] += 0.01 * k;
    o.weights[6] -= 0.03 * k;
    replicas.push_back(std::make_shared<torchsweep::Backprop2x2x2>(o));
  }
  return replicas;
}

TEST(FusedModelTest, TheSeedNetworkOnTheCpuIsItsReplicasBitForBitGradientsIncluded) {
  auto replicas = seed_replicas(4);
  auto fused = torchsweep::fuse_models(replicas).model;  // Auto: on the CPU, exact
  ASSERT_TRUE(fused);
  EXPECT_TRUE(fused->exact());
  torch::manual_seed(3);
  const auto inputs = torch::rand({4, 5, 2}, torch::kFloat64), targets = torch::rand({4, 5, 2}, torch::kFloat64);
  const auto outputs = fused->forward(inputs);
  torch::Tensor total;
  for (int k = 0; k < 4; ++k) {
    const auto loss = 0.5 * (targets[k] - outputs[k]).pow(2).sum(1).mean();
    total = total.defined() ? total + loss : loss;
  }
  total.backward();
  const auto fp = fused->parameters();
  for (int k = 0; k < 4; ++k) {
    const auto alone = replicas[k]->forward(inputs[k]);
    EXPECT_TRUE(torch::equal(outputs[k], alone)) << "lane " << k;
    (0.5 * (targets[k] - alone).pow(2).sum(1).mean()).backward();
    const auto rp = replicas[k]->parameters();
    for (size_t i = 0; i < rp.size(); ++i)
      EXPECT_TRUE(torch::equal(fp[i].grad()[k], rp[i].grad())) << "lane " << k << " parameter " << i;
  }
}

TEST(FusedModelTest, TheSeedNetworkGroupedIsBatchedProductsEqualToRounding) {
  auto replicas = seed_replicas(4);
  auto fused = torchsweep::fuse_models(replicas, LaneForm::Grouped).model;
  ASSERT_TRUE(fused);
  EXPECT_FALSE(fused->exact());
  const auto inputs = torch::tensor({0.05, 0.1}, torch::kFloat64).expand({4, 1, 2});
  const auto outputs = fused->forward(inputs);
  for (int k = 0; k < 4; ++k)
    EXPECT_LT((outputs[k] - replicas[k]->forward(inputs[k])).abs().max().item<double>(), 1e-15);
}

TEST(FusedModelTest, ExactDropoutLanesDrawTheirRunsAloneMasks) {
  // Three replicas of one seed with element-wise and channel dropout: alone, each
  // draws the same masks; fused, lane 1 must not draw after lane 0.
  const nlohmann::json layers = {{{"conv2d", {{"out", 4}, {"kernel", 3}}}}, {{"dropout2d", {{"p", 0.5}}}}, "flatten",
                                 {{"dropout", {{"p", 0.5}}}}, {{"linear", {{"out", 10}}}}, "log_softmax"};
  std::vector<std::shared_ptr<Model>> replicas;
  torchsweep::LaneGenerators generators(torch::kCPU);
  for (int k = 0; k < 3; ++k) {
    torch::manual_seed(11);
    replicas.push_back(std::make_shared<torchsweep::LayeredModel>(layers, std::vector<int64_t>{1, 8, 8}));
    generators.add_lane_from_default();
  }
  auto fused = torchsweep::fuse_models(replicas).model;
  ASSERT_TRUE(fused && fused->exact());
  fused->train();
  fused->draw_from(&generators);
  torch::manual_seed(5);
  const auto inputs = torch::randn({3, 6, 1, 8, 8});
  const auto outputs = fused->forward(inputs);
  for (int k = 0; k < 3; ++k) {
    torch::manual_seed(11);
    auto alone = std::make_shared<torchsweep::LayeredModel>(layers, std::vector<int64_t>{1, 8, 8});
    alone->train();
    EXPECT_TRUE(torch::equal(outputs[k], alone->forward(inputs[k]))) << "lane " << k;
  }
}

}  // namespace

namespace {

TEST(FusedModelTest, ExactLanesHaveTheirReplicasGradientsBitForBit) {
  auto replicas = cnn_replicas(3);
  auto fused = torchsweep::fuse_models(replicas, LaneForm::Exact).model;
  torch::manual_seed(7);
  const auto inputs = torch::randn({3, 8, 1, 28, 28});
  const auto targets = torch::randint(0, 10, {3, 8});
  const auto outputs = fused->forward(inputs);
  torch::Tensor total;
  for (int k = 0; k < 3; ++k) {
    const auto loss = torch::nll_loss(outputs[k], targets[k]);
    total = total.defined() ? total + loss : loss;
  }
  total.backward();
  const auto fp = fused->parameters();
  for (int k = 0; k < 3; ++k) {
    torch::nll_loss(replicas[k]->forward(inputs[k]), targets[k]).backward();
    const auto rp = replicas[k]->parameters();
    for (size_t i = 0; i < rp.size(); ++i)
      EXPECT_TRUE(torch::equal(fp[i].grad().view({3, -1})[k].view_as(rp[i]), rp[i].grad()))
          << "lane " << k << " parameter " << i << " of " << rp.size();
  }
}

}  // namespace
