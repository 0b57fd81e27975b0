#include "train/run_parts.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "device/devices.h"
#include "optim/optimizers.h"
#include "spec/registries.h"

namespace torchsweep {

namespace {

void configure_threads(const nlohmann::json& train, int64_t default_threads) {
  const auto threads = train.at("threads").get<int64_t>();
  const auto cores = default_threads > 0 ? default_threads
                                         : static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(threads > 0 ? threads : cores));
}

void configure_determinism(const nlohmann::json& train, const torch::Device& device) {
  const bool deterministic = train.at("deterministic").get<bool>();
  // LibTorch refuses deterministic mode on CUDA without a fixed cuBLAS workspace; the
  // torchsweep program fixes it at start, a program of the user's may not have.
  if (deterministic && device.is_cuda()) fix_cublas_workspace();
  at::globalContext().setDeterministicAlgorithms(deterministic, /*warn_only=*/false);
}

/// Puts the model in train.memory_format's layout and returns the layout it trains in.
/// `auto` is channels_last where that is measured to pay: a model with convolutions (4-D
/// parameters) on the CPU, where oneDNN's kernels work channel-innermost (bench/README.md:
/// the seed CNN's step and evaluation about 1.5x contiguous's). On CUDA it stays
/// contiguous until measured there. Configs recorded before the option existed trained
/// contiguous.
///
/// channels_last stores every 4-D parameter (a convolution's weight) with the channel
/// innermost: a convolution whose weight is channels-last runs oneDNN's kernels directly
/// (its input converted on the way) instead of reordering to and from them at every
/// call. Gradients and optimizer state take the weights' layout, and checkpoints keep it.
/// Every kernel is copied into channels-last strides, as PyTorch's Module.to does, not
/// made channels-last contiguous: a weight with one input channel or a 1x1 kernel is both
/// already, keeps its contiguous strides under contiguous(), and then reads as contiguous
/// to the convolution, which runs that layer, its batch norm and their backward in the
/// slower layout with a reorder on each side (measured: the seed CNN's step about 10%
/// slower than PyTorch's channels-last loop).
std::string apply_memory_format(const nlohmann::json& train, Model& model, const torch::Device& device) {
  std::vector<torch::Tensor> kernels;
  for (auto& p : model.parameters())
    if (p.dim() == 4) kernels.push_back(p);
  std::string format = train.value("memory_format", "contiguous");
  if (format == "auto") format = device.is_cpu() && !kernels.empty() ? "channels_last" : "contiguous";
  if (format != "channels_last") return format;
  torch::NoGradGuard no_grad;
  for (auto& p : kernels) p.set_data(p.clone(torch::MemoryFormat::ChannelsLast));
  return format;
}

}  // namespace

RunParts build_run(const nlohmann::json& config, int64_t default_threads) {
  auto& reg = registries();
  const auto& train = config.at("train");
  RunParts run;
  configure_threads(train, default_threads);
  run.seed = config.at("seed").get<uint64_t>();
  torch::manual_seed(run.seed);
  run.device = resolve_device(config.at("device").get<std::string>());
  // Configs recorded before train.precision existed trained in fp32.
  run.precision = parse_precision(train.value("precision", "fp32"));
  if (const std::string obstacle = precision_obstacle(run.precision, run.device); !obstacle.empty())
    throw InputError(obstacle);
  configure_determinism(train, run.device);

  const auto& model_cfg = config.at("model");
  run.model = reg.models.get(model_cfg.at("name")).factory(model_cfg);
  run.model->to(run.device, run.model->dtype());
  run.memory_format = apply_memory_format(train, *run.model, run.device);
  run.model->train();
  const auto& data_cfg = config.at("data");
  run.data = reg.datasets.get(data_cfg.at("name")).factory(data_cfg);
  run.data->place_on(run.device);
  const auto& loss_cfg = config.at("loss");
  run.loss = reg.losses.get(loss_cfg.at("name")).factory(loss_cfg);
  const auto& opt_cfg = config.at("optimizer");
  run.optimizer = reg.optimizers.get(opt_cfg.at("name")).factory(run.model->parameters(), opt_cfg);
  run.base_lr = current_lr(*run.optimizer);

  run.plan = plan_training(config, run.data->train_batches());
  if (config.contains("scheduler") && !config.at("scheduler").is_null()) {
    const auto& cfg = config.at("scheduler");
    run.schedule = reg.schedules.get(cfg.at("name")).factory(cfg, run.plan.schedule_context());
  }
  return run;
}

}  // namespace torchsweep
