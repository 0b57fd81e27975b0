#include "device/cuda_graph.h"
#include "torchsweep/config.h"

#if TORCHSWEEP_HAVE_CUDA_GRAPHS
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace torchsweep {

#if TORCHSWEEP_HAVE_CUDA_GRAPHS

bool cuda_graphs_built() { return true; }

struct CudaGraph::State {
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

namespace {

c10::DeviceIndex index_of(const torch::Device& device) {
  return device.has_index() ? device.index() : c10::cuda::current_device();
}

/// Makes `waiter` wait (on the device) for everything queued on `stream` so far.
void wait_for(const c10::cuda::CUDAStream& stream, const c10::cuda::CUDAStream& waiter) {
  at::cuda::CUDAEvent event;
  event.record(stream);
  event.block(waiter);
}

}  // namespace

CudaGraph::CudaGraph() : state_(std::make_unique<State>()) {}
CudaGraph::~CudaGraph() = default;

void CudaGraph::run_on_side_stream(const torch::Device& device, const std::function<void()>& work) {
  c10::cuda::CUDAGuard on_device(index_of(device));
  const auto current = c10::cuda::getCurrentCUDAStream();
  const auto side = c10::cuda::getStreamFromPool();
  wait_for(current, side);
  {
    c10::cuda::CUDAStreamGuard on_side(side);
    work();
  }
  wait_for(side, current);
}

std::string CudaGraph::capture(const torch::Device& device, const std::function<void()>& work) {
  state_->graph.reset();
  c10::cuda::CUDAGuard on_device(index_of(device));
  const auto current = c10::cuda::getCurrentCUDAStream();
  // Everything queued so far finishes first: the capture must not see pending work. A
  // one-time wait, allowed where steps may not wait (CUDA's sync debug mode).
  auto& warnings = c10::cuda::warning_state();
  const auto mode = warnings.get_sync_debug_mode();
  warnings.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
  current.synchronize();
  warnings.set_sync_debug_mode(mode);
  const auto side = c10::cuda::getStreamFromPool();
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  try {
    c10::cuda::CUDAStreamGuard on_side(side);
    graph->capture_begin();
    try {
      work();
    } catch (...) {
      // Leave capture mode whatever happened, or the stream stays unusable.
      try {
        graph->capture_end();
      } catch (...) {
      }
      throw;
    }
    graph->capture_end();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  }
  state_->graph = std::move(graph);
  return "";
}

void CudaGraph::replay() {
  TORCH_CHECK(state_->graph, "CudaGraph::replay: nothing was captured");
  state_->graph->replay();
}

bool CudaGraph::captured() const { return state_->graph != nullptr; }

#else  // a LibTorch without CUDA (or graphs switched off at configure time)

bool cuda_graphs_built() { return false; }

struct CudaGraph::State {};

CudaGraph::CudaGraph() : state_(std::make_unique<State>()) {}
CudaGraph::~CudaGraph() = default;

void CudaGraph::run_on_side_stream(const torch::Device&, const std::function<void()>& work) { work(); }

std::string CudaGraph::capture(const torch::Device&, const std::function<void()>&) {
  return "this build has no CUDA graphs (its LibTorch has no CUDA, or TORCHSWEEP_CUDA_GRAPHS is OFF)";
}

void CudaGraph::replay() { TORCH_CHECK(false, "CudaGraph::replay: this LibTorch was built without CUDA"); }

bool CudaGraph::captured() const { return false; }

#endif

}  // namespace torchsweep
