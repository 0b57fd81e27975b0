// ForeachRMSprop against LibTorch's own RMSprop: the same numbers for every option across a
// schedule (on the CPU bit for bit; made capturable, within rounding), the same state
// (checkpoints move between the two both ways), and on a GPU a step captured in a CUDA
// graph that follows LibTorch's as it is replayed (tests/optim/optimizer_pairs.h).
#include "optim/foreach_rmsprop.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::RMSpropOptions;

struct RMSpropCase {
  using Ours = ForeachRMSprop;
  using Theirs = torch::optim::RMSprop;
  using Options = RMSpropOptions;
  using State = torch::optim::RMSpropParamState;
  static constexpr double kLr = 1e-2;
  static std::vector<std::pair<std::string, RMSpropOptions>> options() {
    return {{"defaults", RMSpropOptions(1e-2)},
            {"weight decay", RMSpropOptions(1e-2).weight_decay(1e-2)},
            {"momentum", RMSpropOptions(5e-3).momentum(0.9)},
            {"centered", RMSpropOptions(1e-2).centered(true)},
            {"centered, momentum, weight decay", RMSpropOptions(5e-3).centered(true).momentum(0.5).weight_decay(5e-3)},
            {"alpha, eps", RMSpropOptions(2e-2).alpha(0.9).eps(1e-4)}};
  }
};

}  // namespace
}  // namespace torchsweep

namespace torchsweep::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ForeachRMSprop, CapturableOptimizerTest, RMSpropCase);
}  // namespace torchsweep::testing
