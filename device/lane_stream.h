// A CUDA stream of its own for one lane of a group. Lanes take turns on the host, but
// what each queues runs on its own stream, so the GPU overlaps one lane's kernels (or
// replayed graph) with the next lane's instead of running them one after another on
// the default stream. A lane's work, from building its model on, stays on its stream,
// so no lane waits for another's. On the CPU (or a build without CUDA) it does nothing.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

namespace torchsweep {

class LaneStream {
 public:
  explicit LaneStream(const torch::Device& device);
  ~LaneStream();
  LaneStream(const LaneStream&) = delete;
  LaneStream& operator=(const LaneStream&) = delete;

  /// Runs `work` with this stream as its device's current stream.
  void run(const std::function<void()>& work);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace torchsweep
