// A piece of GPU work captured once as a CUDA graph and replayed: one launch for what
// would be hundreds of small kernels, each launched by the host. This is the only place
// that speaks CUDA's graph API; built against a LibTorch without CUDA it compiles, and
// every capture reports that graphs are unavailable.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

namespace torchsweep {

/// Whether this build can capture CUDA graphs (its LibTorch has CUDA).
bool cuda_graphs_built();

class CudaGraph {
 public:
  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  /// Runs `work` on a side stream of `device` and makes the current stream wait for it.
  /// Work that is to be captured should run like this a few times first: lazy set-up
  /// (cuDNN's and cuBLAS's handles and workspaces, autograd's buffers) must not happen
  /// inside a capture, and capturing requires a stream other than the default one.
  static void run_on_side_stream(const torch::Device& device, const std::function<void()>& work);

  /// Records `work` on a side stream of `device` without running it. Tensors `work`
  /// allocates live in the graph's own memory pool, and each replay writes the same
  /// ones, so `work` should keep the ones it wants to read afterwards. Returns "" once
  /// captured, or why the capture failed (the graph is then empty, and none of `work`'s
  /// kernels ran; the host-side effects of running `work` happened).
  std::string capture(const torch::Device& device, const std::function<void()>& work);

  /// Launches the captured work on the current stream (no wait for the host).
  void replay();

  bool captured() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace torchsweep
