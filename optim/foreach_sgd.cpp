#include "optim/foreach_sgd.h"

#include <type_traits>

#include "optim/sgd_state.h"

namespace torchsweep {

ForeachSGD::ForeachSGD(std::vector<torch::Tensor> params, torch::optim::SGDOptions options, Use use)
    : torch::optim::SGD(std::move(params), std::move(options)), use_(use) {}

torch::Tensor ForeachSGD::step(LossClosure closure) {
  if (!foreach_step_wanted(use_, lr_on_device_, param_groups_)) return torch::optim::SGD::step(std::move(closure));

  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  using StateMap = std::remove_reference_t<decltype(state_)>;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    auto& group = param_groups_[g];
    const auto& options = static_cast<const torch::optim::SGDOptions&>(group.options());
    const double momentum = options.momentum(), dampening = options.dampening();
    std::vector<torch::Tensor> params, grads;
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      params.push_back(p);
      grads.push_back(p.grad());
    }
    if (params.empty()) continue;
    // d_p = grad + weight_decay * p
    if (options.weight_decay() != 0) grads = at::_foreach_add(grads, params, options.weight_decay());
    if (momentum != 0) {
      // A parameter's first step starts its buffer as a copy of d_p; later steps
      // update all buffers together: buf = momentum * buf + (1 - dampening) * d_p.
      std::vector<torch::Tensor> bufs(params.size()), old_bufs, old_grads;
      for (size_t i = 0; i < params.size(); ++i) {
        const auto key = state_key<StateMap>(params[i]);
        auto found = state_.find(key);
        if (found == state_.end()) {
          bufs[i] = torch::clone(grads[i]).detach();
          auto state = std::make_unique<torch::optim::SGDParamState>();
          state->momentum_buffer(bufs[i]);
          state_[key] = std::move(state);
        } else {
          bufs[i] = static_cast<torch::optim::SGDParamState&>(*found->second).momentum_buffer();
          old_bufs.push_back(bufs[i]);
          old_grads.push_back(grads[i]);
        }
      }
      if (!old_bufs.empty()) {
        at::_foreach_mul_(old_bufs, momentum);
        at::_foreach_add_(old_bufs, old_grads, 1 - dampening);
      }
      // Nesterov: d_p = d_p + momentum * buf; else d_p = buf.
      grads = options.nesterov() ? at::_foreach_add(grads, bufs, momentum) : bufs;
    }
    if (!lr_on_device_) {
      at::_foreach_add_(params, grads, -1 * options.lr());
      continue;
    }
    // p += d_p * (-lr): one rounding of the same product as add_'s alpha, with the rate
    // read from the device.
    for (size_t i = 0; i < params.size(); ++i) params[i].addcmul_(grads[i], device_neg_lr_[g]);
  }
  return loss;
}

void ForeachSGD::make_capturable() {
  if (lr_on_device_) return;
  for (const auto& group : param_groups_) {
    TORCH_CHECK(!group.params().empty(), "ForeachSGD: a parameter group without parameters");
    const auto& first = group.params().front();
    const double lr = static_cast<const torch::optim::SGDOptions&>(group.options()).lr();
    device_neg_lr_.push_back(torch::full({}, -lr, first.options().requires_grad(false)));
    device_lr_value_.push_back(lr);
  }
  lr_on_device_ = true;
}

void ForeachSGD::sync_device_state() {
  if (!lr_on_device_) return;
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const double lr = static_cast<const torch::optim::SGDOptions&>(param_groups_[g].options()).lr();
    if (lr == device_lr_value_[g]) continue;
    device_neg_lr_[g].fill_(-lr);
    device_lr_value_[g] = lr;
  }
}

}  // namespace torchsweep
