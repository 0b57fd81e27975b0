// Reaching an optimizer's per-parameter state the way LibTorch keys it, so that state
// written by torchsweep's own optimizer steps is state LibTorch's optimizers and their
// serialisation recognise.
#pragma once

#include <torch/torch.h>

#include <sstream>
#include <type_traits>

namespace torchsweep {

/// LibTorch keys optimizer state by the parameter's TensorImpl: as a printed pointer
/// in 1.x, as the pointer itself in 2.x.
template <typename StateMap>
typename StateMap::key_type state_key(const torch::Tensor& p) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

/// Parameter p's state in `optimizer`, or nullptr before its first step. The state
/// objects are not const even where the optimizer is: LibTorch owns them through
/// unique_ptr, and a const save() may bring a copy in them up to date.
template <typename ParamState>
ParamState* find_param_state(const torch::optim::Optimizer& optimizer, const torch::Tensor& p) {
  const auto& state = optimizer.state();
  using StateMap = std::remove_const_t<std::remove_reference_t<decltype(state)>>;
  const auto found = state.find(state_key<StateMap>(p));
  return found == state.end() || !found->second ? nullptr : &static_cast<ParamState&>(*found->second);
}

/// Stores `entry` as parameter p's state (replacing any) and returns it.
template <typename ParamState>
ParamState& set_param_state(torch::optim::Optimizer& optimizer, const torch::Tensor& p,
                            std::unique_ptr<ParamState> entry) {
  auto& state = optimizer.state();
  using StateMap = std::remove_reference_t<decltype(state)>;
  ParamState& out = *entry;
  state[state_key<StateMap>(p)] = std::move(entry);
  return out;
}

}  // namespace torchsweep
