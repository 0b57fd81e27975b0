#include "optim/device_scalars.h"

#include <cmath>

namespace torchsweep {

namespace {
torch::TensorOptions device_doubles(const torch::optim::OptimizerParamGroup& group) {
  TORCH_CHECK(!group.params().empty(), "a capturable optimizer: a parameter group without parameters");
  return torch::TensorOptions().dtype(torch::kFloat64).device(group.params().front().device());
}
}  // namespace

void DeviceScalars::start(const torch::optim::Optimizer& optimizer) {
  started_ = true;
  sync_lr(optimizer);
}

void DeviceScalars::add_group(const torch::optim::Optimizer& optimizer,
                              const torch::optim::OptimizerParamGroup& group) {
  const double lr = group.options().get_lr();
  lrs_.push_back(torch::full({}, lr, device_doubles(group)));
  lr_values_.push_back(lr);
  steps_.push_back(host_steps(optimizer, group).to(device_doubles(group)));
}

torch::Tensor DeviceScalars::host_steps(const torch::optim::Optimizer& optimizer,
                                        const torch::optim::OptimizerParamGroup& group) const {
  const auto& params = group.params();
  auto out = torch::empty({static_cast<int64_t>(params.size())}, torch::kFloat64);
  auto at = out.accessor<double, 1>();
  for (size_t i = 0; i < params.size(); ++i)
    at[static_cast<int64_t>(i)] = static_cast<double>(read_(optimizer, params[i]));
  return out;
}

void DeviceScalars::sync_lr(const torch::optim::Optimizer& optimizer) {
  if (!started_) return;
  torch::NoGradGuard no_grad;
  const auto& groups = optimizer.param_groups();
  while (lrs_.size() < groups.size()) add_group(optimizer, groups[lrs_.size()]);
  for (size_t g = 0; g < groups.size(); ++g) {
    const double lr = groups[g].options().get_lr();
    if (lr == lr_values_[g]) continue;
    lrs_[g].fill_(lr);
    lr_values_[g] = lr;
  }
}

void DeviceScalars::reload_steps(const torch::optim::Optimizer& optimizer) {
  if (!started_) return;
  torch::NoGradGuard no_grad;
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < steps_.size() && g < groups.size(); ++g) steps_[g].copy_(host_steps(optimizer, groups[g]));
  sync_lr(optimizer);
}

void DeviceScalars::write_steps(const torch::optim::Optimizer& optimizer) const {
  if (!started_) return;
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < steps_.size() && g < groups.size(); ++g) {
    const auto host = steps_[g].to(torch::kCPU);
    const auto at = host.accessor<double, 1>();
    const auto& params = groups[g].params();
    for (size_t i = 0; i < params.size(); ++i) write_(optimizer, params[i], std::llround(at[static_cast<int64_t>(i)]));
  }
}

torch::Tensor DeviceScalars::advance(size_t g, const std::vector<size_t>& stepping) {
  auto& steps = steps_.at(g);
  if (static_cast<int64_t>(stepping.size()) == steps.numel()) {
    steps.add_(1);
  } else if (!stepping.empty()) {
    auto views = pick(steps, stepping);
    at::_foreach_add_(views, 1);
  }
  return steps;
}

std::vector<torch::Tensor> DeviceScalars::pick(const torch::Tensor& per_param, const std::vector<size_t>& indices) {
  std::vector<torch::Tensor> out;
  out.reserve(indices.size());
  for (const size_t i : indices) out.push_back(per_param.select(0, static_cast<int64_t>(i)));
  return out;
}

}  // namespace torchsweep
