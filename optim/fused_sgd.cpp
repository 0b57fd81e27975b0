#include "optim/fused_sgd.h"

#include "optim/sgd_state.h"

namespace torchsweep {

FusedSGD::FusedSGD(std::vector<torch::Tensor> params, const std::vector<torch::optim::SGDOptions>& lanes)
    : params_(std::move(params)), buffers_(params_.size()), lanes_(static_cast<int64_t>(lanes.size())) {
  TORCH_CHECK(!lanes.empty() && !params_.empty(), "FusedSGD needs lanes and parameters");
  std::vector<double> momentum, dampening, decay;
  nesterov_ = lanes.front().nesterov();
  for (const auto& o : lanes) {
    TORCH_CHECK(o.nesterov() == nesterov_, "FusedSGD: lanes differ in nesterov");
    lrs_.push_back(o.lr());
    momentums_.push_back(o.momentum());
    dampenings_.push_back(o.dampening());
    weight_decays_.push_back(o.weight_decay());
    momentum.push_back(o.momentum());
    // A lane without momentum never uses its buffer in torch's SGD: a coefficient of 1
    // makes buf = 0 * buf + d_p = d_p, the same update.
    dampening.push_back(o.momentum() != 0 ? o.dampening() : 0.0);
    decay.push_back(o.weight_decay());
    any_momentum_ = any_momentum_ || o.momentum() != 0;
    any_decay_ = any_decay_ || o.weight_decay() != 0;
  }
  const auto on = params_.front().options();
  auto column = [&](const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64).to(on).view({lanes_, 1}); };
  lr_ = column(lrs_);
  momentum_ = column(momentum);
  dampening_ = column(dampening);
  weight_decay_ = column(decay);
}

void FusedSGD::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void FusedSGD::set_lr(int64_t lane, double lr) {
  lrs_.at(static_cast<size_t>(lane)) = lr;
  torch::NoGradGuard no_grad;
  lr_[lane].fill_(lr);
}

void FusedSGD::freeze(int64_t lane) { set_lr(lane, 0.0); }

void FusedSGD::step() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    auto param = p.view({lanes_, -1});
    auto grad = p.grad().view({lanes_, -1});
    auto& buf = buffers_[i];
    const bool first = !buf.defined();
    if (first && any_momentum_) buf = torch::empty_like(param);
    if (!p.is_cuda()) {
      // Lane by lane with scalar settings: torch::optim::SGD's own operations (its
      // fused multiply-adds included), so a lane's numbers are the unfused run's bits.
      for (int64_t k = 0; k < lanes_; ++k) {
        const auto lane = static_cast<size_t>(k);
        auto d_p = grad[k];
        if (weight_decays_[lane] != 0) d_p = d_p.add(param[k], weight_decays_[lane]);
        if (momentums_[lane] != 0) {
          auto lane_buf = buf[k];
          if (first)
            lane_buf.copy_(d_p);
          else
            lane_buf.mul_(momentums_[lane]).add_(d_p, 1 - dampenings_[lane]);
          d_p = nesterov_ ? d_p.add(lane_buf, momentums_[lane]) : lane_buf;
        } else if (any_momentum_) {
          buf[k].copy_(d_p);
        }
        param[k].add_(d_p, -1 * lrs_[lane]);
      }
      continue;
    }
    // On a GPU, every lane at once with [K, 1] settings: a few kernels per parameter,
    // and rates that live on the device.
    auto d_p = grad;
    if (any_decay_) d_p = d_p + weight_decay_ * param;
    if (any_momentum_) {
      if (first)
        buf.copy_(d_p);
      else
        buf.mul_(momentum_).add_(d_p * (1 - dampening_));
      d_p = nesterov_ ? d_p + momentum_ * buf : buf;
    }
    param.sub_(d_p * lr_);
  }
}

void FusedSGD::write_lane_state(int64_t lane, torch::optim::Optimizer& replica) const {
  if (!any_momentum_) return;
  const auto& groups = replica.param_groups();
  std::vector<torch::Tensor> replica_params;
  for (const auto& g : groups)
    for (const auto& p : g.params()) replica_params.push_back(p);
  TORCH_CHECK(replica_params.size() == params_.size(), "write_lane_state: the replica has other parameters");
  const auto& options = static_cast<const torch::optim::SGDOptions&>(groups.front().options());
  if (options.momentum() == 0) return;
  for (size_t i = 0; i < params_.size(); ++i)
    if (buffers_[i].defined())
      set_momentum_buffer(replica, replica_params[i], buffers_[i][lane].view_as(replica_params[i]).clone());
}

}  // namespace torchsweep
