#include "optim/losses.h"

namespace torchsweep {

torch::Tensor half_sse(const torch::Tensor& outputs, const torch::Tensor& targets) {
  return 0.5 * (targets - outputs).pow(2).flatten(1).sum(1).mean();
}

void register_builtin_losses(LossRegistry& registry) {
  registry.add({"half_sse", "½ Σ (t − a)² per sample, mean over the batch (the seed's E_total)", {},
                [](const nlohmann::json&) -> LossFn { return half_sse; }});
  registry.add({"mse", "mean squared error over all elements", {},
                [](const nlohmann::json&) -> LossFn {
                  return [](const torch::Tensor& o, const torch::Tensor& t) { return torch::mse_loss(o, t); };
                }});
  registry.add({"nll", "negative log-likelihood of log-probabilities (after log_softmax)", {},
                [](const nlohmann::json&) -> LossFn {
                  return [](const torch::Tensor& o, const torch::Tensor& t) { return torch::nll_loss(o, t); };
                }});
  registry.add({"cross_entropy", "cross-entropy of raw scores (log_softmax + nll)", {},
                [](const nlohmann::json&) -> LossFn {
                  return [](const torch::Tensor& o, const torch::Tensor& t) {
                    return torch::nn::functional::cross_entropy(o, t);
                  };
                }});
}

}  // namespace torchsweep
