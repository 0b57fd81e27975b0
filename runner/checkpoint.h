// Checkpoints: model, optimizer, RNG state and position, written after every epoch
// into a run's artifact folder. A checkpoint is complete or absent: it is written
// into a fresh folder, then the `latest` pointer file is replaced atomically.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

namespace torchsweep {

struct CheckpointPosition {
  int64_t epoch = 0;  ///< epochs completed
  int64_t step = 0;   ///< optimizer steps completed
};

/// Writes a checkpoint under `dir` and returns its folder.
std::string save_checkpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                            const CheckpointPosition& position);

/// Restores the latest checkpoint under `dir` into model, optimizer and torch's CPU
/// generator; nullopt when there is none.
std::optional<CheckpointPosition> load_checkpoint(const std::string& dir, torch::nn::Module& model,
                                                  torch::optim::Optimizer& optimizer);

}  // namespace torchsweep
