#include "runner/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "runner/error.h"

namespace torchsweep {

namespace fs = std::filesystem;

namespace {
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw RuntimeFailure(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, path);
}
}  // namespace

std::string save_checkpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                            const CheckpointPosition& position) {
  fs::create_directories(dir);
  const std::string name = "step-" + std::to_string(position.step);
  const fs::path folder = fs::path(dir) / name;
  fs::remove_all(folder);
  fs::create_directories(folder);
  {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    archive.save_to((folder / "model.pt").string());
  }
  torch::save(optimizer, (folder / "optimizer.pt").string());
  auto generator = at::detail::getDefaultCPUGenerator();
  torch::Tensor rng;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    rng = generator.get_state();
  }
  torch::save(rng, (folder / "rng.pt").string());
  const nlohmann::json where = {{"epoch", position.epoch},       {"step", position.step},
                                {"batch", position.batch},       {"loss_sum", position.loss_sum},
                                {"correct", position.correct},   {"samples", position.samples}};
  write_atomically(folder / "position.json", where.dump());
  // Only now does the checkpoint become the latest; older ones are removed after.
  const fs::path latest = fs::path(dir) / "latest";
  std::string previous;
  if (fs::exists(latest)) std::getline(std::ifstream(latest), previous);
  write_atomically(latest, name + "\n");
  if (!previous.empty() && previous != name) fs::remove_all(fs::path(dir) / previous);
  return folder.string();
}

std::optional<CheckpointPosition> load_checkpoint(const std::string& dir, torch::nn::Module& model,
                                                  torch::optim::Optimizer& optimizer) {
  const fs::path latest = fs::path(dir) / "latest";
  if (dir.empty() || !fs::exists(latest)) return std::nullopt;
  std::string name;
  std::getline(std::ifstream(latest), name);
  const fs::path folder = fs::path(dir) / name;
  {
    torch::serialize::InputArchive archive;
    archive.load_from((folder / "model.pt").string());
    model.load(archive);
  }
  torch::load(optimizer, (folder / "optimizer.pt").string());
  torch::Tensor rng;
  torch::load(rng, (folder / "rng.pt").string());
  auto generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  }
  nlohmann::json position;
  std::ifstream(folder / "position.json") >> position;
  CheckpointPosition out;
  out.epoch = position.at("epoch").get<int64_t>();
  out.step = position.at("step").get<int64_t>();
  // Epoch-end checkpoints of earlier versions have no mid-epoch fields.
  out.batch = position.value("batch", int64_t{0});
  out.loss_sum = position.value("loss_sum", 0.0);
  out.correct = position.value("correct", int64_t{0});
  out.samples = position.value("samples", int64_t{0});
  return out;
}

}  // namespace torchsweep
