#include "optim/foreach_adam.h"

#include "optim/adam_update.h"

namespace torchsweep {

torch::Tensor ForeachAdam::step(LossClosure closure) {
  if (!foreach_step()) return torch::optim::Adam::step(std::move(closure));
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const auto& group = param_groups_[g];
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    auto tensors = gather_adam_group<torch::optim::AdamParamState>(*this, group, options.amsgrad(), !capturable());
    if (tensors.params.empty()) continue;
    // grad = grad + weight_decay * p (L2, coupled)
    if (options.weight_decay() != 0)
      tensors.grads = at::_foreach_add(tensors.grads, tensors.params, options.weight_decay());
    const AdamNumbers numbers{options.lr(), std::get<0>(options.betas()), std::get<1>(options.betas()), options.eps(),
                              options.amsgrad()};
    adam_update(tensors, numbers, capturable() ? &device_ : nullptr, g);
  }
  return loss;
}

}  // namespace torchsweep
