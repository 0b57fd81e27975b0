#include "train/lane_generators.h"

#include <ATen/Context.h>

#include <mutex>

namespace torchsweep {

namespace {

at::Generator default_generator(const torch::Device& device) {
  if (device.is_cuda())
    return at::globalContext().defaultGenerator(torch::Device(torch::kCUDA, device.has_index() ? device.index() : 0));
  return at::globalContext().defaultGenerator(torch::Device(torch::kCPU));
}

torch::Tensor state_of(at::Generator& generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_state(at::Generator& generator, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace

void LaneGenerators::add_lane_from_default() {
  at::Generator generator = default_generator(device_);
  states_.push_back(state_of(generator));
}

LaneGenerators::Lent::Lent(LaneGenerators& owner, int64_t lane) : owner_(owner), lane_(static_cast<size_t>(lane)) {
  TORCH_CHECK(lane_ < owner_.states_.size(), "LaneGenerators: no lane ", lane);
  at::Generator generator = default_generator(owner_.device_);
  outside_ = state_of(generator);
  set_state(generator, owner_.states_[lane_]);
}

LaneGenerators::Lent::~Lent() {
  at::Generator generator = default_generator(owner_.device_);
  owner_.states_[lane_] = state_of(generator);
  set_state(generator, outside_);
}

}  // namespace torchsweep
