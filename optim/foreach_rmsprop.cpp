#include "optim/foreach_rmsprop.h"

namespace torchsweep {

torch::Tensor ForeachRMSprop::step(LossClosure closure) {
  if (!foreach_step()) return torch::optim::RMSprop::step(std::move(closure));
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  using State = torch::optim::RMSpropParamState;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const auto& group = param_groups_[g];
    const auto& options = static_cast<const torch::optim::RMSpropOptions&>(group.options());
    const double alpha = options.alpha();
    const bool momentum = options.momentum() > 0;
    std::vector<size_t> indices;
    std::vector<torch::Tensor> params, grads, square_avgs, grad_avgs, bufs;
    for (size_t i = 0; i < group.params().size(); ++i) {
      const auto& p = group.params()[i];
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "RMSprop does not support sparse gradients");
      State* state = find_param_state<State>(*this, p);
      if (!state) {
        auto entry = std::make_unique<State>();
        entry->step(0);
        entry->square_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        if (momentum) entry->momentum_buffer(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        if (options.centered()) entry->grad_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        state = &set_param_state(*this, p, std::move(entry));
      }
      if (!capturable()) state->step(state->step() + 1);
      indices.push_back(i);
      params.push_back(p);
      grads.push_back(p.grad());
      square_avgs.push_back(state->square_avg());
      if (options.centered()) grad_avgs.push_back(state->grad_avg());
      if (momentum) bufs.push_back(state->momentum_buffer());
    }
    if (params.empty()) continue;
    if (capturable()) device_.advance(g, indices);

    // grad = grad + weight_decay * p; square_avg = alpha * square_avg + (1 - alpha) * grad²
    if (options.weight_decay() != 0) grads = at::_foreach_add(grads, params, options.weight_decay());
    at::_foreach_mul_(square_avgs, alpha);
    at::_foreach_addcmul_(square_avgs, grads, grads, 1 - alpha);
    // avg = sqrt(square_avg - grad_avg²) + eps (centered), else sqrt(square_avg) + eps
    std::vector<torch::Tensor> avgs;
    if (options.centered()) {
      at::_foreach_mul_(grad_avgs, alpha);
      at::_foreach_add_(grad_avgs, grads, 1 - alpha);
      avgs = at::_foreach_addcmul(square_avgs, grad_avgs, grad_avgs, -1);
      at::_foreach_sqrt_(avgs);
    } else {
      avgs = at::_foreach_sqrt(square_avgs);
    }
    at::_foreach_add_(avgs, options.eps());

    if (momentum) {
      // buf = momentum * buf + grad / avg; p = p - lr * buf
      at::_foreach_mul_(bufs, options.momentum());
      at::_foreach_addcdiv_(bufs, grads, avgs);
      if (!capturable()) {
        at::_foreach_add_(params, bufs, -options.lr());
      } else {
        const auto neg_lr = device_.lr(g).neg();
        for (size_t i = 0; i < params.size(); ++i) params[i].addcmul_(bufs[i], neg_lr);
      }
    } else if (!capturable()) {
      at::_foreach_addcdiv_(params, grads, avgs, -options.lr());
    } else {
      // addcdiv computes p + (value * grad) / avg: the product first, as here.
      const auto scaled = at::_foreach_mul(grads, std::vector<torch::Tensor>(grads.size(), device_.lr(g).neg()));
      at::_foreach_addcdiv_(params, scaled, avgs);
    }
  }
  return loss;
}

}  // namespace torchsweep
