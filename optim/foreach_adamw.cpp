#include "optim/foreach_adamw.h"

#include "optim/adam_update.h"

namespace torchsweep {

torch::Tensor ForeachAdamW::step(LossClosure closure) {
  if (!foreach_step()) return torch::optim::AdamW::step(std::move(closure));
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const auto& group = param_groups_[g];
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    auto tensors = gather_adam_group<torch::optim::AdamWParamState>(*this, group, options.amsgrad(), !capturable());
    if (tensors.params.empty()) continue;
    // p = p * (1 - lr * weight_decay), before the Adam step (decoupled decay)
    if (options.weight_decay() != 0) {
      if (!capturable()) {
        at::_foreach_mul_(tensors.params, 1 - options.lr() * options.weight_decay());
      } else {
        const auto factor = (device_.lr(g) * options.weight_decay()).neg_().add_(1);
        for (auto& p : tensors.params) p.mul_(factor);
      }
    }
    const AdamNumbers numbers{options.lr(), std::get<0>(options.betas()), std::get<1>(options.betas()), options.eps(),
                              options.amsgrad()};
    adam_update(tensors, numbers, capturable() ? &device_ : nullptr, g);
  }
  return loss;
}

}  // namespace torchsweep
