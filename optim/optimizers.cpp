#include "optim/optimizers.h"

#include <fmt/format.h>

#include "base/spec_node.h"
#include "optim/foreach_adagrad.h"
#include "optim/foreach_adam.h"
#include "optim/foreach_adamw.h"
#include "optim/foreach_rmsprop.h"
#include "optim/foreach_sgd.h"

namespace torchsweep {

namespace {
Field lr_field(double default_lr) { return Field::number("lr", default_lr, "learning rate").positive(); }
Field weight_decay_field() {
  return Field::number("weight_decay", 0.0, "L2 penalty added to the gradient").at_least(0);
}
}  // namespace

void register_builtin_optimizers(OptimizerRegistry& registry) {
  OptimizerRegistry::Entry sgd{"sgd", "stochastic gradient descent (torch::optim::SGD's update), optional momentum and Nesterov",
                {lr_field(0.01), Field::number("momentum", 0.0, "momentum factor").at_least(0),
                 Field::number("dampening", 0.0, "dampening for momentum").at_least(0), weight_decay_field(),
                 Field::boolean("nesterov", false, "Nesterov momentum (needs momentum > 0, dampening 0)")},
                [](std::vector<torch::Tensor> params, const nlohmann::json& o) {
                  torch::optim::SGDOptions options(o.at("lr").get<double>());
                  options.momentum(o.at("momentum").get<double>())
                      .dampening(o.at("dampening").get<double>())
                      .weight_decay(o.at("weight_decay").get<double>())
                      .nesterov(o.at("nesterov").get<bool>());
                  return std::make_unique<ForeachSGD>(std::move(params), options);
                }};
  // LibTorch's SGD refuses Nesterov momentum without momentum or with dampening, when
  // the run starts; found here, the whole sweep is refused before anything runs.
  sgd.check = [](const SpecNode& section, const nlohmann::json& o) {
    const double momentum = o.at("momentum").get<double>(), dampening = o.at("dampening").get<double>();
    if (o.at("nesterov").get<bool>() && (momentum <= 0 || dampening != 0)) {
      const SpecNode* at = section.is_map() ? section.find("nesterov") : nullptr;
      throw SpecError(at ? at->mark() : section.mark(), "optimizer.nesterov",
                      fmt::format("Nesterov momentum needs momentum > 0 and dampening 0, got momentum {} and "
                                  "dampening {}",
                                  momentum, dampening));
    }
  };
  registry.add(std::move(sgd));
  registry.add({"adam", "Adam (torch::optim::Adam)",
                {lr_field(0.001), Field::number("beta1", 0.9, "decay of the first moment").at_least(0).at_most(0.999999),
                 Field::number("beta2", 0.999, "decay of the second moment").at_least(0).at_most(0.999999),
                 Field::number("eps", 1e-8, "term added to the denominator").positive(), weight_decay_field(),
                 Field::boolean("amsgrad", false, "the AMSGrad variant")},
                [](std::vector<torch::Tensor> params, const nlohmann::json& o) {
                  torch::optim::AdamOptions options(o.at("lr").get<double>());
                  options.betas(std::make_tuple(o.at("beta1").get<double>(), o.at("beta2").get<double>()))
                      .eps(o.at("eps").get<double>())
                      .weight_decay(o.at("weight_decay").get<double>())
                      .amsgrad(o.at("amsgrad").get<bool>());
                  return std::make_unique<ForeachAdam>(std::move(params), options);
                }});
  registry.add({"adamw", "Adam with decoupled weight decay (torch::optim::AdamW)",
                {lr_field(0.001), Field::number("beta1", 0.9, "decay of the first moment").at_least(0).at_most(0.999999),
                 Field::number("beta2", 0.999, "decay of the second moment").at_least(0).at_most(0.999999),
                 Field::number("eps", 1e-8, "term added to the denominator").positive(),
                 Field::number("weight_decay", 0.01, "decoupled weight decay").at_least(0),
                 Field::boolean("amsgrad", false, "the AMSGrad variant")},
                [](std::vector<torch::Tensor> params, const nlohmann::json& o) {
                  torch::optim::AdamWOptions options(o.at("lr").get<double>());
                  options.betas(std::make_tuple(o.at("beta1").get<double>(), o.at("beta2").get<double>()))
                      .eps(o.at("eps").get<double>())
                      .weight_decay(o.at("weight_decay").get<double>())
                      .amsgrad(o.at("amsgrad").get<bool>());
                  return std::make_unique<ForeachAdamW>(std::move(params), options);
                }});
  registry.add({"rmsprop", "RMSprop (torch::optim::RMSprop)",
                {lr_field(0.01), Field::number("alpha", 0.99, "smoothing constant").at_least(0).at_most(1),
                 Field::number("eps", 1e-8, "term added to the denominator").positive(), weight_decay_field(),
                 Field::number("momentum", 0.0, "momentum factor").at_least(0),
                 Field::boolean("centered", false, "normalise by the estimated variance")},
                [](std::vector<torch::Tensor> params, const nlohmann::json& o) {
                  torch::optim::RMSpropOptions options(o.at("lr").get<double>());
                  options.alpha(o.at("alpha").get<double>())
                      .eps(o.at("eps").get<double>())
                      .weight_decay(o.at("weight_decay").get<double>())
                      .momentum(o.at("momentum").get<double>())
                      .centered(o.at("centered").get<bool>());
                  return std::make_unique<ForeachRMSprop>(std::move(params), options);
                }});
  registry.add({"adagrad", "Adagrad (torch::optim::Adagrad)",
                {lr_field(0.01), Field::number("lr_decay", 0.0, "learning-rate decay").at_least(0), weight_decay_field(),
                 Field::number("initial_accumulator_value", 0.0, "starting sum of squares").at_least(0),
                 Field::number("eps", 1e-10, "term added to the denominator").positive()},
                [](std::vector<torch::Tensor> params, const nlohmann::json& o) {
                  torch::optim::AdagradOptions options(o.at("lr").get<double>());
                  options.lr_decay(o.at("lr_decay").get<double>())
                      .weight_decay(o.at("weight_decay").get<double>())
                      .initial_accumulator_value(o.at("initial_accumulator_value").get<double>())
                      .eps(o.at("eps").get<double>());
                  return std::make_unique<ForeachAdagrad>(std::move(params), options);
                }});
}

double current_lr(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().at(0).options().get_lr();
}

}  // namespace torchsweep
