#include "device/devices.h"
#include "torchsweep/config.h"

#include <cstdlib>
#include <fstream>
#include <regex>

#if TORCHSWEEP_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace torchsweep {

std::string check_device(const std::string& text) {
  static const std::regex pattern("auto|cpu|cuda(:[0-9]+)?");
  if (!std::regex_match(text, pattern)) return "expected auto, cpu, cuda or cuda:N, got \"" + text + "\"";
  if (text.rfind("cuda", 0) != 0) return "";
  if (!torch::cuda::is_available())
    return "expected a device this machine has, got \"" + text +
           "\": CUDA is not available here (no GPU, or this LibTorch was built without CUDA); use cpu or auto";
  if (text.size() > 5) {
    const auto index = std::stoll(text.substr(5));
    const auto count = static_cast<long long>(torch::cuda::device_count());
    if (index >= count)
      return "expected a device this machine has, got \"" + text + "\": it has " + std::to_string(count) +
             " CUDA device(s)";
  }
  return "";
}

torch::Device resolve_device(const std::string& text) {
  if (text == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cuda") return torch::Device(torch::kCUDA, 0);
  return torch::Device(text);
}

std::string device_name(const torch::Device& device) {
  if (device.is_cuda()) {
#if TORCHSWEEP_HAVE_CUDA
    return at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index())->name;
#else
    return "CUDA device";
#endif
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "CPU";
}

void fix_cublas_workspace() { ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0); }

int64_t device_memory_bytes(const torch::Device& device) {
#if TORCHSWEEP_HAVE_CUDA
  if (device.is_cuda())
    return static_cast<int64_t>(at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index())->totalGlobalMem);
#else
  (void)device;
#endif
  return 0;
}

HostSyncCheck::HostSyncCheck(const torch::Device& device, bool enabled) {
#if TORCHSWEEP_HAVE_CUDA
  if (enabled && device.is_cuda()) {
    previous_mode_ = static_cast<int>(c10::cuda::warning_state().get_sync_debug_mode());
    c10::cuda::warning_state().set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
    active_ = true;
  }
#else
  (void)device;
  (void)enabled;
#endif
}

HostSyncCheck::~HostSyncCheck() {
#if TORCHSWEEP_HAVE_CUDA
  if (active_) c10::cuda::warning_state().set_sync_debug_mode(static_cast<c10::cuda::SyncDebugMode>(previous_mode_));
#endif
}

int cuda_device_count() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

}  // namespace torchsweep
