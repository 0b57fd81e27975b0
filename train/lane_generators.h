// The random numbers of a lane group's runs. A run alone draws its dropout masks from
// the device's default generator, in the state its seed (or its checkpoint) left it.
// K lanes trained in one process take turns, and would draw one after another from that
// one generator, so lane 2's masks would be the ones lane 1's run alone never drew: a
// run's numbers would depend on its place in the group. LaneGenerators keeps one
// generator state per lane and lends it to the default generator while that lane's
// operations run, so each lane draws the masks of its run alone, in the same order and
// shapes, and its checkpoints keep its own state.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace torchsweep {

class LaneGenerators {
 public:
  explicit LaneGenerators(const torch::Device& device) : device_(device) {}

  /// Adds a lane whose generator starts in the default generator's present state (call
  /// it where the lane's run alone would begin to draw: right after building the run).
  void add_lane_from_default();
  int64_t lanes() const { return static_cast<int64_t>(states_.size()); }

  /// Runs `f` with lane k's generator as the device's default generator: what `f` draws
  /// (dropout masks) comes from lane k's state, which then moves on; the default
  /// generator's own state is put back afterwards.
  template <typename F>
  decltype(auto) in_lane(int64_t lane, F&& f) {
    Lent lent(*this, lane);
    return std::forward<F>(f)();
  }

 private:
  /// The lending, undone on every way out (an exception from a lane's step included).
  class Lent {
   public:
    Lent(LaneGenerators& owner, int64_t lane);
    ~Lent();
    Lent(const Lent&) = delete;
    Lent& operator=(const Lent&) = delete;

   private:
    LaneGenerators& owner_;
    size_t lane_;
    torch::Tensor outside_;  ///< the default generator's state before the lending
  };

  torch::Device device_;
  std::vector<torch::Tensor> states_;  ///< per lane, as Generator::get_state gives it
};

}  // namespace torchsweep
