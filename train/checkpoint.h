// Checkpoints: model, optimizer, RNG state, position and an fp16 run's loss scale, written as the run's
// train.checkpoint_every says (at an epoch's end or mid-epoch) and when a run is
// interrupted, into its artifact folder. A checkpoint is complete or absent: it is
// written into a fresh folder, then the `latest` pointer file is replaced atomically.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "train/precision.h"

namespace torchsweep {

struct CheckpointPosition {
  int64_t epoch = 0;  ///< epochs completed
  int64_t step = 0;   ///< optimizer steps completed
  /// Batches of the next epoch already trained (a mid-epoch checkpoint), with that
  /// epoch's running sums so that its means stay exact; 0 at an epoch's end.
  int64_t batch = 0;
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t samples = 0;
  /// What was due after step `step` (an evaluation, the epoch's row, the epoch-based
  /// schedule) is not done yet: a stop cut its evaluation short. `batch` is then the
  /// batches trained (per epoch at an epoch's end), and a continued run does that work
  /// before its next step.
  bool pending = false;
  /// The run's last train/loss: its final loss when a continued run trains no more
  /// steps (it only does the pending work).
  double last_loss = 0.0;
};

/// Writes a checkpoint under `dir` and returns its folder. It holds torch's CPU
/// generator state and, for a run on a CUDA `device`, that device's generator state;
/// with a `scaler` (an fp16 run's), its scale and growth count.
std::string save_checkpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                            const CheckpointPosition& position, const torch::Device& device,
                            const GradScaler* scaler = nullptr);

/// Restores the latest checkpoint under `dir` into model, optimizer (their tensors
/// onto `device`), the generators and, given a `scaler`, the loss scale saved with it
/// (a checkpoint without one, written at another precision, leaves the scaler as it
/// is); nullopt when there is none.
std::optional<CheckpointPosition> load_checkpoint(const std::string& dir, torch::nn::Module& model,
                                                  torch::optim::Optimizer& optimizer, const torch::Device& device,
                                                  GradScaler* scaler = nullptr);

}  // namespace torchsweep
