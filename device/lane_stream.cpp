#include "device/lane_stream.h"
#include "torchsweep/config.h"

#include <optional>

#if TORCHSWEEP_HAVE_CUDA_GRAPHS
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace torchsweep {

#if TORCHSWEEP_HAVE_CUDA_GRAPHS

struct LaneStream::State {
  std::optional<c10::cuda::CUDAStream> stream;  ///< none on the CPU
};

LaneStream::LaneStream(const torch::Device& device) : state_(std::make_unique<State>()) {
  if (!device.is_cuda()) return;
  const c10::DeviceIndex index = device.has_index() ? device.index() : c10::cuda::current_device();
  state_->stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, index);
}

LaneStream::~LaneStream() = default;

void LaneStream::run(const std::function<void()>& work) {
  if (!state_->stream) return work();
  c10::cuda::CUDAStreamGuard on_lane(*state_->stream);
  work();
}

#else  // a LibTorch without CUDA

struct LaneStream::State {};

LaneStream::LaneStream(const torch::Device&) : state_(std::make_unique<State>()) {}
LaneStream::~LaneStream() = default;
void LaneStream::run(const std::function<void()>& work) { work(); }

#endif

}  // namespace torchsweep
