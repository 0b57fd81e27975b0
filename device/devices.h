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

/// Sets CUBLAS_WORKSPACE_CONFIG=:4096:8 unless the user set it. cuBLAS is deterministic
/// only with a fixed workspace, and LibTorch reads the setting once per process, at the
/// first use of cuBLAS: so programs call this before any CUDA work, so that a
/// `train.deterministic` run is reproducible whichever runs came before it in the process.
void fix_cublas_workspace();

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
  int previous_mode_ = 0;  ///< the sync debug mode to restore
};

}  // namespace torchsweep
