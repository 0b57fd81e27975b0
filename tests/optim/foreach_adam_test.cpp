// ForeachAdam against LibTorch's own Adam: the same numbers for every option across a
// schedule (on the CPU bit for bit; made capturable, within rounding), the same state
// (checkpoints move between the two both ways), and on a GPU a step captured in a CUDA
// graph that follows LibTorch's as it is replayed (tests/optim/optimizer_pairs.h).
#include "optim/foreach_adam.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::AdamOptions;

struct AdamCase {
  using Ours = ForeachAdam;
  using Theirs = torch::optim::Adam;
  using Options = AdamOptions;
  using State = torch::optim::AdamParamState;
  static constexpr double kLr = 1e-3;
  static std::vector<std::pair<std::string, AdamOptions>> options() {
    return {{"defaults", AdamOptions(1e-3)},
            {"weight decay", AdamOptions(2e-3).weight_decay(1e-2)},
            {"amsgrad", AdamOptions(1e-3).amsgrad(true)},
            {"amsgrad, weight decay", AdamOptions(5e-3).amsgrad(true).weight_decay(5e-3)},
            {"betas, eps", AdamOptions(1e-2).betas(std::make_tuple(0.8, 0.95)).eps(1e-6)}};
  }
};

}  // namespace
}  // namespace torchsweep

namespace torchsweep::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ForeachAdam, CapturableOptimizerTest, AdamCase);
}  // namespace torchsweep::testing
