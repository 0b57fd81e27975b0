// SGD's per-parameter state (the momentum buffer) as LibTorch keeps it, so that state
// written by torchsweep's own SGD steps is state torch::optim::SGD and its
// serialisation recognise.
#pragma once

#include <torch/torch.h>

#include <sstream>
#include <type_traits>

namespace torchsweep {

/// LibTorch keys optimizer state by the parameter's TensorImpl: as a printed pointer
/// in 1.x, as the pointer itself in 2.x.
template <typename StateMap>
typename StateMap::key_type sgd_state_key(const torch::Tensor& p) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

/// Sets parameter p's momentum buffer in an SGD optimizer (replacing any).
inline void set_momentum_buffer(torch::optim::Optimizer& sgd, const torch::Tensor& p, torch::Tensor buffer) {
  auto& state = sgd.state();
  using StateMap = std::remove_reference_t<decltype(state)>;
  auto entry = std::make_unique<torch::optim::SGDParamState>();
  entry->momentum_buffer(std::move(buffer));
  state[sgd_state_key<StateMap>(p)] = std::move(entry);
}

}  // namespace torchsweep
