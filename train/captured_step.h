// A training step captured once as a CUDA graph and replayed (train.cuda_graph).
//
// The seed's CNN at batch 128 is bound by the host's cost of launching ~300 small
// kernels a step, not by the GPU; replaying the whole step (forward, loss, backward and
// the update) as one graph removes that cost. What a graph cannot do is handled around
// it, so that a run records what it would record eagerly:
// - The batch is copied into static input buffers; a batch of another shape (the last,
//   smaller batch of an epoch) runs uncaptured with the same operations.
// - The optimizer is made capturable (optim/capturable.h: SGD, Adam, AdamW, RMSprop,
//   Adagrad): the learning rate lives in a device tensor the captured update reads,
//   refreshed before each step, so a schedule keeps working; step counts and the bias
//   corrections computed from them advance on the device.
// - The loss and correct count are computed inside the graph; a copy of them goes to
//   the epoch meter, which reads it with the others at the next read.
// - The first steps run uncaptured on a side stream (warm-up: cuDNN, cuBLAS and
//   autograd set themselves up there, not inside the capture).
// - Logged steps of a model that reads itself between backward and the update (the
//   seed network's spreadsheet columns) run uncaptured.
// - A capture that fails falls back to uncaptured steps for the rest of the run, with
//   the reason kept for the record.
// - At bf16 or fp16 (train/precision.h) the forward pass and the loss run under
//   autocast, without its cache of cast weights inside the graph. fp16's loss scaler
//   lives in the graph too: its scale, count and inf flag are device tensors, and a step
//   whose gradients overflowed is undone on the device (GradScaler::Skip::OnDevice),
//   since the graph cannot ask the host whether to skip. The warm-up lasts until the
//   optimizer's state exists (a warm-up step skipped by the scaler does not count), as
//   an undone step cannot undo the state's creation.
// Without capture (Capture::Never, or on the CPU) the engine runs the same operations
// uncaptured every step, which is what tests compare.
#pragma once

#include <torch/torch.h>

#include <string>

#include "device/cuda_graph.h"
#include "optim/capturable.h"
#include "train/step_engine.h"

namespace torchsweep {

class CapturedStep : public StepEngine {
 public:
  enum class Capture { Cuda, Never };

  /// `warmup_steps` uncaptured steps come first; the next batch's shape is the one
  /// captured (batches of another shape run uncaptured). The optimizer is the run's;
  /// it is made capturable.
  CapturedStep(Model& model, CapturableOptimizer& optimizer, const LossFn& loss, bool classification,
               const torch::Device& device, Capture capture = Capture::Cuda, int64_t warmup_steps = 3,
               Precision precision = Precision::Fp32);

  void step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) override;
  /// "cuda_graph" until a capture fails, then "eager".
  const char* name() const override { return fallback_.empty() ? "cuda_graph" : "eager"; }
  /// Why capturing stopped ("" while it works).
  const std::string& fallback_reason() const { return fallback_; }
  /// Steps replayed from the graph so far.
  int64_t replayed() const { return replayed_; }
  /// The scaler of the eager steps, which the graph shares.
  GradScaler* grad_scaler() override { return uncaptured_.grad_scaler(); }

 private:
  bool capture();

  Model& model_;
  CapturableOptimizer& optimizer_;
  const LossFn& loss_;
  bool classification_;
  torch::Device device_;
  Capture capture_;
  Precision precision_;
  int64_t warmup_left_;
  std::string fallback_;
  int64_t replayed_ = 0;
  /// The same step uncaptured: the eager step, over the optimizer in its capturable
  /// form.
  EagerStep uncaptured_;
  CudaGraph graph_;
  /// The graph's buffers: inputs and targets are copied in before each replay; outputs
  /// and stats ([loss, correct] in float64) are written by it.
  torch::Tensor inputs_, targets_, outputs_, stats_;
};

/// Why a run with this model, optimizer and device cannot have its steps captured
/// ("" when it can): CUDA graphs are for CUDA devices and builds, and for optimizers
/// whose update is capturable.
std::string capture_obstacle(const torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace torchsweep
