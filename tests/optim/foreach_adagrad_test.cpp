// ForeachAdagrad against LibTorch's own Adagrad: the same numbers for every option across a
// schedule (on the CPU bit for bit; made capturable, within rounding), the same state
// (checkpoints move between the two both ways), and on a GPU a step captured in a CUDA
// graph that follows LibTorch's as it is replayed (tests/optim/optimizer_pairs.h).
#include "optim/foreach_adagrad.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::AdagradOptions;

struct AdagradCase {
  using Ours = ForeachAdagrad;
  using Theirs = torch::optim::Adagrad;
  using Options = AdagradOptions;
  using State = torch::optim::AdagradParamState;
  static constexpr double kLr = 1e-2;
  static std::vector<std::pair<std::string, AdagradOptions>> options() {
    return {{"defaults", AdagradOptions(1e-2)},
            {"lr decay", AdagradOptions(5e-2).lr_decay(0.05)},
            {"weight decay", AdagradOptions(1e-2).weight_decay(1e-2)},
            {"initial accumulator", AdagradOptions(1e-2).initial_accumulator_value(0.1)},
            {"everything",
             AdagradOptions(2e-2).lr_decay(0.01).weight_decay(5e-3).initial_accumulator_value(0.5).eps(1e-6)}};
  }
};

}  // namespace
}  // namespace torchsweep

namespace torchsweep::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ForeachAdagrad, CapturableOptimizerTest, AdagradCase);
}  // namespace torchsweep::testing
