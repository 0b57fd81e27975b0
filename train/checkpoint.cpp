#include "train/checkpoint.h"

#include <ATen/Context.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <mutex>

#include "base/error.h"
#include "base/paths.h"

namespace torchsweep {

namespace {

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw RuntimeFailure(tmp + ": cannot write");
  }
  rename_path(tmp, path);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// The default generator that draws on `device`'s random numbers (dropout, …).
at::Generator generator_of(const torch::Device& device) {
  if (device.is_cuda())
    return at::globalContext().defaultGenerator(torch::Device(torch::kCUDA, device.has_index() ? device.index() : 0));
  return at::globalContext().defaultGenerator(torch::Device(torch::kCPU));
}

torch::Tensor generator_state(const torch::Device& device) {
  at::Generator generator = generator_of(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  at::Generator generator = generator_of(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace

std::string save_checkpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                            const CheckpointPosition& position, const torch::Device& device,
                            const GradScaler* scaler) {
  create_directories(dir);
  const std::string name = "step-" + std::to_string(position.step);
  const std::string folder = join_path(dir, name);
  remove_all(folder);
  create_directories(folder);
  {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    archive.save_to(join_path(folder, "model.pt"));
  }
  torch::save(optimizer, join_path(folder, "optimizer.pt"));
  // Models are built on the CPU, so its generator matters on every device; a CUDA
  // run's dropout draws from the CUDA generator, saved beside it.
  torch::save(generator_state(torch::Device(torch::kCPU)), join_path(folder, "rng.pt"));
  if (device.is_cuda()) torch::save(generator_state(device), join_path(folder, "rng_cuda.pt"));
  if (scaler) {
    torch::serialize::OutputArchive archive;
    scaler->save(archive);
    archive.save_to(join_path(folder, "scaler.pt"));
  }
  const nlohmann::json where = {{"epoch", position.epoch},       {"step", position.step},
                                {"batch", position.batch},       {"loss_sum", position.loss_sum},
                                {"correct", position.correct},   {"samples", position.samples},
                                {"pending", position.pending},   {"last_loss", position.last_loss}};
  write_atomically(join_path(folder, "position.json"), where.dump());
  // Only now does the checkpoint become the latest; older ones are removed after.
  const std::string latest = join_path(dir, "latest");
  const std::string previous = path_exists(latest) ? read_first_line(latest) : "";
  write_atomically(latest, name + "\n");
  if (!previous.empty() && previous != name) remove_all(join_path(dir, previous));
  return folder;
}

std::optional<CheckpointPosition> load_checkpoint(const std::string& dir, torch::nn::Module& model,
                                                  torch::optim::Optimizer& optimizer, const torch::Device& device,
                                                  GradScaler* scaler) {
  const std::string latest = join_path(dir, "latest");
  if (dir.empty() || !path_exists(latest)) return std::nullopt;
  const std::string folder = join_path(dir, read_first_line(latest));
  {
    torch::serialize::InputArchive archive;
    archive.load_from(join_path(folder, "model.pt"), device);
    model.load(archive);
  }
  torch::load(optimizer, join_path(folder, "optimizer.pt"), device);
  torch::Tensor rng;
  torch::load(rng, join_path(folder, "rng.pt"));
  set_generator_state(torch::Device(torch::kCPU), rng);
  // A checkpoint written by a CPU run, or by an earlier version, has no CUDA state.
  if (device.is_cuda() && path_exists(join_path(folder, "rng_cuda.pt"))) {
    torch::Tensor cuda_rng;
    torch::load(cuda_rng, join_path(folder, "rng_cuda.pt"));
    set_generator_state(device, cuda_rng);
  }
  if (scaler && path_exists(join_path(folder, "scaler.pt"))) {
    torch::serialize::InputArchive archive;
    archive.load_from(join_path(folder, "scaler.pt"));
    scaler->load(archive);
  }
  nlohmann::json position;
  std::ifstream(join_path(folder, "position.json")) >> position;
  CheckpointPosition out;
  out.epoch = position.at("epoch").get<int64_t>();
  out.step = position.at("step").get<int64_t>();
  // Epoch-end checkpoints of earlier versions have no mid-epoch fields.
  out.batch = position.value("batch", int64_t{0});
  out.loss_sum = position.value("loss_sum", 0.0);
  out.correct = position.value("correct", int64_t{0});
  out.samples = position.value("samples", int64_t{0});
  out.pending = position.value("pending", false);
  if (position.contains("last_loss") && position.at("last_loss").is_number())
    out.last_loss = position.at("last_loss").get<double>();
  return out;
}

}  // namespace torchsweep
