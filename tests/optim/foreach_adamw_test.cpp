// ForeachAdamW against LibTorch's own AdamW: the same numbers for every option across a
// schedule (on the CPU bit for bit; made capturable, within rounding), the same state
// (checkpoints move between the two both ways), and on a GPU a step captured in a CUDA
// graph that follows LibTorch's as it is replayed (tests/optim/optimizer_pairs.h).
#include "optim/foreach_adamw.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::AdamWOptions;

struct AdamWCase {
  using Ours = ForeachAdamW;
  using Theirs = torch::optim::AdamW;
  using Options = AdamWOptions;
  using State = torch::optim::AdamWParamState;
  static constexpr double kLr = 1e-3;
  static std::vector<std::pair<std::string, AdamWOptions>> options() {
    return {{"defaults (weight decay 0.01)", AdamWOptions(1e-3)},
            {"no weight decay", AdamWOptions(1e-3).weight_decay(0)},
            {"weight decay 0.1", AdamWOptions(2e-3).weight_decay(0.1)},
            {"amsgrad", AdamWOptions(1e-3).amsgrad(true)},
            {"amsgrad, weight decay", AdamWOptions(5e-3).amsgrad(true).weight_decay(5e-3)},
            {"betas, eps", AdamWOptions(1e-2).betas(std::make_tuple(0.8, 0.95)).eps(1e-6)}};
  }
};

}  // namespace
}  // namespace torchsweep

namespace torchsweep::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ForeachAdamW, CapturableOptimizerTest, AdamWCase);
}  // namespace torchsweep::testing
