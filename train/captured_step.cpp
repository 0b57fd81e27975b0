#include "train/captured_step.h"

#include "models/torchscript_model.h"

namespace torchsweep {

std::string capture_obstacle(const torch::optim::Optimizer& optimizer, const torch::Device& device) {
  if (!device.is_cuda()) return "CUDA graphs need a CUDA device (this run is on " + device.str() + ")";
  if (!cuda_graphs_built()) return "this build's LibTorch has no CUDA";
  if (!as_capturable(optimizer)) return "this optimizer's update is not capturable";
  return "";
}

CapturedStep::CapturedStep(Model& model, CapturableOptimizer& optimizer, const LossFn& loss, bool classification,
                           const torch::Device& device, Capture capture, int64_t warmup_steps,
                           Precision precision)
    : model_(model),
      optimizer_(optimizer),
      loss_(loss),
      classification_(classification),
      device_(device),
      capture_(capture),
      precision_(precision),
      warmup_left_(warmup_steps),
      uncaptured_(model, optimizer.optimizer(), loss, precision) {
  optimizer_.make_capturable();
}

bool CapturedStep::capture() {
  // Gradients start undefined, so that backward allocates them inside the graph's pool
  // and each replay writes the same ones.
  for (auto& p : model_.parameters()) p.mutable_grad() = torch::Tensor();
  const std::string failed = graph_.capture(device_, [&] {
    torch::Tensor outputs, loss;
    {
      AutocastScope autocast(precision_, device_, /*cache=*/false);
      outputs = model_.forward(inputs_);
      loss = loss_(outputs, targets_);
    }
    torch::Tensor correct;
    {
      torch::NoGradGuard no_grad;
      correct = classification_ ? outputs.detach().argmax(1).eq(targets_).sum()
                                : torch::zeros({}, outputs.options().dtype(torch::kInt64));
    }
    if (GradScaler* scaler = uncaptured_.grad_scaler()) {
      scaler->scale(loss).backward();
      scaler->step(optimizer_.optimizer(), GradScaler::Skip::OnDevice);
      scaler->update();
    } else {
      loss.backward();
      optimizer_.optimizer().step();
    }
    torch::NoGradGuard no_grad;
    outputs_ = outputs.detach();
    stats_ = torch::stack({loss.detach().to(torch::kFloat64), correct.to(torch::kFloat64)});
  });
  if (failed.empty()) return true;
  fallback_ = "the step could not be captured as a CUDA graph: " + failed;
  return false;
}

void CapturedStep::step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) {
  optimizer_.sync_device_state();
  const bool same_shape = !inputs_.defined() || (batch.inputs.sizes() == inputs_.sizes() &&
                                                  batch.targets.sizes() == targets_.sizes());
  const bool reads_model = before_update && model_.reads_itself_at_logged_steps();
  if (capture_ == Capture::Never || !fallback_.empty() || !same_shape || reads_model) {
    return uncaptured_.step(batch, step, meter, before_update);
  }
  if (warmup_left_ > 0) {
    CudaGraph::run_on_side_stream(device_, [&] { uncaptured_.step(batch, step, meter, before_update); });
    if (!uncaptured_.skipped_last()) --warmup_left_;
    return;
  }
  torch::NoGradGuard no_grad;
  if (!inputs_.defined()) {
    inputs_ = torch::empty_like(batch.inputs);
    targets_ = torch::empty_like(batch.targets);
  }
  inputs_.copy_(batch.inputs);
  targets_.copy_(batch.targets);
  if (!graph_.captured()) {
    // A TorchScript module may keep state on the host that a graph would freeze; its
    // warm-up steps have shown whether it does.
    if (const auto* scripted = dynamic_cast<const TorchScriptModel*>(&model_);
        scripted && !scripted->capture_obstacle().empty()) {
      fallback_ = "the step was not captured as a CUDA graph: " + scripted->capture_obstacle();
      return uncaptured_.step(batch, step, meter, before_update);
    }
    at::AutoGradMode grad(true);
    if (!capture()) return uncaptured_.step(batch, step, meter, before_update);
  }
  graph_.replay();
  ++replayed_;
  // The graph overwrites stats_ at the next replay: the meter keeps a copy.
  const auto stats = stats_.clone();
  meter.add_counted(step, stats[0], stats[1], batch.inputs.size(0));
  if (before_update) (*before_update)(inputs_, targets_, outputs_);
}

}  // namespace torchsweep
