#include "optim/foreach_adagrad.h"

namespace torchsweep {

torch::Tensor ForeachAdagrad::step(LossClosure closure) {
  if (!foreach_step()) return torch::optim::Adagrad::step(std::move(closure));
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  using State = torch::optim::AdagradParamState;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const auto& group = param_groups_[g];
    const auto& options = static_cast<const torch::optim::AdagradOptions&>(group.options());
    std::vector<size_t> indices;
    std::vector<torch::Tensor> params, grads, sums;
    std::vector<c10::Scalar> neg_clrs;
    for (size_t i = 0; i < group.params().size(); ++i) {
      const auto& p = group.params()[i];
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "ForeachAdagrad's multi-tensor step does not take sparse gradients");
      State* state = find_param_state<State>(*this, p);
      TORCH_CHECK(state, "state found NULL for the Tensor ", p);
      if (!capturable()) {
        state->step(state->step() + 1);
        // clr = lr / (1 + (step - 1) * lr_decay)
        neg_clrs.emplace_back(-(options.lr() / (1 + static_cast<double>(state->step() - 1) * options.lr_decay())));
      }
      indices.push_back(i);
      params.push_back(p);
      grads.push_back(p.grad());
      sums.push_back(state->sum());
    }
    if (params.empty()) continue;

    // grad = grad + weight_decay * p; sum = sum + grad²; std = sqrt(sum) + eps
    if (options.weight_decay() != 0) grads = at::_foreach_add(grads, params, options.weight_decay());
    at::_foreach_addcmul_(sums, grads, grads, 1.0);
    auto stds = at::_foreach_sqrt(sums);
    at::_foreach_add_(stds, options.eps());
    // p = p - clr * grad / std
    if (!capturable()) {
      at::_foreach_addcdiv_(params, grads, stds, neg_clrs);
      continue;
    }
    const auto steps = device_.advance(g, indices);
    const auto neg_clr = (device_.lr(g) / (steps - 1).mul_(options.lr_decay()).add_(1)).neg_();
    // addcdiv computes p + (value * grad) / std: the product first, as here.
    const auto scaled = at::_foreach_mul(grads, DeviceScalars::pick(neg_clr, indices));
    at::_foreach_addcdiv_(params, scaled, stds);
  }
  return loss;
}

}  // namespace torchsweep
