// The eager step against the seed's spreadsheet (../shared/reference/seed-values.md):
// one step of the 2-2-2 network at η = 1.0 from the seed weights.
#include "train/step_engine.h"

#include "models/backprop_2x2x2.h"
#include "tests/test_helpers.h"

namespace {

TEST(EagerStepTest, OneStepOfTheSeedNetworkIsTheSpreadsheetsFirstIteration) {
  torchsweep::Backprop2x2x2 net;
  torch::optim::SGD sgd(net.parameters(), torch::optim::SGDOptions(1.0));
  const torchsweep::LossFn half_sse = [](const torch::Tensor& outputs, const torch::Tensor& targets) {
    return 0.5 * (targets - outputs).pow(2).sum(1).mean();
  };
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torchsweep::Batch batch{torch::tensor({{0.05, 0.1}}, f64), torch::tensor({{0.5, 0.5}}, f64)};
  torchsweep::EpochMeter meter(torch::kCPU, /*classification=*/false);
  torchsweep::EagerStep engine(net, sgd, half_sse);
  double a_o1 = 0, weight_seen = 0;
  const torchsweep::StepEngine::BeforeUpdate look = [&](const torch::Tensor&, const torch::Tensor&,
                                                        const torch::Tensor& outputs) {
    a_o1 = outputs[0][0].item<double>();
    weight_seen = net.weights()[4];  // w5 before the update
  };
  engine.step(batch, 0, meter, &look);
  EXPECT_STREQ(engine.name(), "eager");
  EXPECT_NEAR(meter.read().mean_loss(), 0.01418137794, 1e-11) << "E_total at iteration 0";
  EXPECT_NEAR(a_o1, 0.6064777322, 1e-10);
  EXPECT_DOUBLE_EQ(weight_seen, 0.4) << "the metrics see the weights the loss was computed with";
  // w5 ← w5 − η·∂E/∂w5 = 0.4 − 0.01288081863.
  EXPECT_NEAR(net.weights()[4], 0.4 - 0.01288081863, 1e-10);
  EXPECT_NEAR(net.weights()[0], 0.15 - 0.0003169933959, 1e-12);
}

}  // namespace
