// Devices: "auto", "cpu", "cuda", "cuda:N".
#pragma once

#include <torch/torch.h>

#include <string>

namespace torchsweep {

/// Whether `text` names a device this machine has; an explanation when it does not
/// (empty when it does).
std::string check_device(const std::string& text);

/// The device to train on ("auto" picks CUDA when available).
torch::Device resolve_device(const std::string& text);

/// How many CUDA devices this process sees (0 without CUDA).
int cuda_device_count();

/// A human name for the device: the CPU model, or the GPU's name.
std::string device_name(const torch::Device& device);

/// The device's memory in bytes (0 for the CPU, or without CUDA support).
int64_t device_memory_bytes(const torch::Device& device);

/// While alive, makes any operation that waits for `device` to finish (item(), a copy
/// to the host, a synchronize) throw, where LibTorch can tell (CUDA's sync debug mode).
/// Tests use it to show that a training step never waits on the host. Nothing on the CPU.
class HostSyncCheck {
 public:
  HostSyncCheck(const torch::Device& device, bool enabled);
  ~HostSyncCheck();
  HostSyncCheck(const HostSyncCheck&) = delete;
  HostSyncCheck& operator=(const HostSyncCheck&) = delete;

 private:
  bool active_ = false;
};

}  // namespace torchsweep
