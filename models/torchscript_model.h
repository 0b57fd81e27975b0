// A model written in Python and saved as TorchScript:
//
//   scripted = torch.jit.script(model)      # or torch.jit.trace(model, example)
//   scripted.save("net.pt")
//
// loaded per run with torch::jit::load (on the CPU, then moved like any model). The
// scripted module's parameters and buffers are registered into this nn::Module under
// their own names (conv1.weight, bn1.running_mean, ...), the very tensors the scripted
// code reads, so our optimizers, checkpoints, exact resume and the device and dtype
// moves work on it unchanged. The weights saved in the file are the run's initial
// weights: the seed orders the data and draws dropout masks, it does not initialise.
//
// The file's SHA-1 is part of the run's config (`sha1`, filled in at validation when
// the spec leaves it out), so a rerun, a continued sweep or a Slurm task trains the
// file that was validated, or refuses to.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

#include "models/model.h"

namespace torchsweep {

struct TorchScriptOptions {
  /// The TorchScript file (absolute once validated).
  std::string path;
  /// The file's content SHA-1 in hex; "" loads whatever the file holds.
  std::string sha1;
  /// The dtype of the floating-point parameters, buffers and inputs.
  torch::Dtype dtype = torch::kFloat32;
  /// Per-sample input shape, for `torchsweep summary`; empty when not given.
  std::vector<int64_t> input_shape;
  /// Whether the JIT's graph executor optimizes the forward pass (profiles it, fuses
  /// operations, differentiates fused groups itself). Off, every operation is the
  /// kernel LibTorch's modules call, so the numbers equal a built-in model's, and a
  /// step captured as a CUDA graph replays exactly what ran eagerly.
  bool optimize = false;
};

class TorchScriptModel : public Model {
 public:
  /// Wraps a loaded module (on the CPU), registering its parameters and buffers.
  TorchScriptModel(torch::jit::Module module, TorchScriptOptions options);

  torch::Tensor forward(const torch::Tensor& inputs) override;
  torch::Dtype dtype() const override { return options_.dtype; }
  std::vector<int64_t> input_shape() const override { return options_.input_shape; }
  bool reads_itself_at_logged_steps() const override { return false; }

  /// Switches the scripted module's `training` flags too (dropout, batch norm).
  void train(bool on = true) override;
  /// Moves every tensor the scripted module holds (parameters, buffers, and tensor
  /// attributes that are neither); a dtype applies to floating-point tensors only, as
  /// in Python (an integer buffer such as batch norm's count stays an integer).
  void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, bool non_blocking = false) override;

  /// The scripted module itself (its tensors are this model's).
  torch::jit::Module& module() { return module_; }

  /// Why a training step of this module cannot be captured as a CUDA graph ("" when
  /// nothing says so yet): a forward pass that changes the module's own non-tensor
  /// attributes (a step counter, a flag) keeps state on the host, which a replayed
  /// graph would freeze at its captured value. Watched over the first forward passes,
  /// which the warm-up steps before a capture are.
  const std::string& capture_obstacle() const { return capture_obstacle_; }

 private:
  void move(c10::optional<torch::Device> device, c10::optional<torch::Dtype> dtype, bool non_blocking);
  /// The non-tensor, non-module attributes as text, by name.
  std::vector<std::pair<std::string, std::string>> host_state() const;

  torch::jit::Module module_;
  TorchScriptOptions options_;
  int64_t watched_calls_ = 0;
  std::string capture_obstacle_;
};

/// What a look at a file finds: its content's SHA-1, and why it is not a TorchScript
/// module ("" when it loads as one).
struct TorchScriptFile {
  std::string sha1;
  std::string problem;
};

/// Reads and checks the file (a missing file, one that is not a zip archive, one that
/// torch.save wrote rather than torch.jit.save, one that does not load), remembering
/// the answer per file content so that a sweep's runs load it once.
TorchScriptFile look_at_torchscript_file(const std::string& path);

/// Loads the model: InputError naming the file when it is missing, is not TorchScript
/// or its SHA-1 is not `options.sha1` (when given).
std::shared_ptr<TorchScriptModel> load_torchscript_model(const TorchScriptOptions& options);

TorchScriptOptions torchscript_options_from_json(const nlohmann::json& options);

void register_torchscript_model(ModelRegistry& registry);

}  // namespace torchsweep
