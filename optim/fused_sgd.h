// SGD for K lanes trained as one (models/fused_model.h): every parameter is [K, ...]
// lane-major, and each lane has its own learning rate, momentum, dampening and weight
// decay. On the CPU a step runs lane by lane with torch::optim::SGD's own operations,
// so each lane's numbers are bit for bit the unfused run's. On a GPU the settings are
// [K, 1] tensors on the device and a step is a few kernels for all lanes — a schedule
// changes a lane's rate by writing a tensor (which a captured CUDA graph keeps
// reading). A lane that diverged is stopped by a rate of 0.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace torchsweep {

class FusedSGD {
 public:
  /// `lanes[k]` are lane k's settings; nesterov must be the same for all lanes.
  FusedSGD(std::vector<torch::Tensor> params, const std::vector<torch::optim::SGDOptions>& lanes);

  void zero_grad();
  void step();

  double lr(int64_t lane) const { return lrs_.at(static_cast<size_t>(lane)); }
  void set_lr(int64_t lane, double lr);
  /// Stops updating a lane (its parameters stay as they are).
  void freeze(int64_t lane);

  /// Writes lane k's momentum buffers into `replica`, an SGD over a replica model's
  /// parameters in the same order, so a checkpoint of the replica is the unfused run's.
  void write_lane_state(int64_t lane, torch::optim::Optimizer& replica) const;

 private:
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> buffers_;  ///< momentum buffers, undefined before the first step
  int64_t lanes_;
  std::vector<double> lrs_, momentums_, dampenings_, weight_decays_;  ///< per lane, on the host
  torch::Tensor lr_, momentum_, dampening_, weight_decay_;  ///< [K, 1]
  bool any_momentum_ = false, any_decay_ = false, nesterov_ = false;
};

}  // namespace torchsweep
