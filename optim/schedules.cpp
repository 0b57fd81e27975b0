#include "optim/schedules.h"

#include <fmt/format.h>

#include <cmath>

namespace torchsweep {

namespace {

constexpr double kPi = 3.14159265358979323846;

/// A schedule given by a formula of t.
class FormulaSchedule : public LrSchedule {
 public:
  FormulaSchedule(bool per_step, std::function<double(int64_t, double)> formula)
      : per_step_(per_step), formula_(std::move(formula)) {}
  bool per_step() const override { return per_step_; }
  double lr_at(int64_t t, double base_lr) const override { return formula_(t, base_lr); }

 private:
  bool per_step_;
  std::function<double(int64_t, double)> formula_;
};

std::unique_ptr<LrSchedule> formula(bool per_step, std::function<double(int64_t, double)> f) {
  return std::make_unique<FormulaSchedule>(per_step, std::move(f));
}

double cosine_anneal(double start, double end, double pct) { return end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1); }

/// Every schedule advances per epoch or per optimizer step; its default is PyTorch's
/// own for that class, and `interval` says otherwise (as Lightning's does).
Field interval(const char* natural) {
  return Field::choice("interval", natural, {"epoch", "step"}, "advance after every epoch or every optimizer step");
}

bool per_step(const nlohmann::json& options) { return options.at("interval") == "step"; }

/// The run's length in the schedule's interval.
int64_t span(const nlohmann::json& options, const ScheduleContext& ctx) {
  return per_step(options) ? ctx.total_steps : ctx.epochs;
}

}  // namespace

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

void register_builtin_schedules(ScheduleRegistry& registry) {
  registry.add({"step", "lr × gamma every step_size epochs (StepLR)",
                {Field::integer("step_size", 10, "intervals (epochs or steps) between decays").at_least(1),
                 Field::number("gamma", 0.1, "decay factor").positive(), interval("epoch")},
                [](const nlohmann::json& o, const ScheduleContext&) {
                  const auto size = o.at("step_size").get<int64_t>();
                  const double gamma = o.at("gamma").get<double>();
                  return formula(per_step(o), [=](int64_t t, double lr) { return lr * std::pow(gamma, static_cast<double>(t / size)); });
                }});
  registry.add({"multistep", "lr × gamma at each milestone epoch (MultiStepLR)",
                {Field::number_list("milestones", {10}, "intervals (epochs or steps) at which the lr decays").at_least(1),
                 Field::number("gamma", 0.1, "decay factor").positive(), interval("epoch")},
                [](const nlohmann::json& o, const ScheduleContext&) {
                  const auto milestones = o.at("milestones").get<std::vector<double>>();
                  const double gamma = o.at("gamma").get<double>();
                  return formula(per_step(o), [=](int64_t t, double lr) {
                    int passed = 0;
                    for (double m : milestones) passed += static_cast<double>(t) >= m;
                    return lr * std::pow(gamma, passed);
                  });
                }});
  registry.add({"exponential", "lr × gamma every epoch (ExponentialLR)",
                {Field::number("gamma", 0.9, "decay factor per interval (epoch or step)").positive(), interval("epoch")},
                [](const nlohmann::json& o, const ScheduleContext&) {
                  const double gamma = o.at("gamma").get<double>();
                  return formula(per_step(o), [=](int64_t t, double lr) { return lr * std::pow(gamma, static_cast<double>(t)); });
                }});
  registry.add({"cosine", "cosine annealing to eta_min over t_max epochs (CosineAnnealingLR)",
                {Field::integer("t_max", 0, "intervals of one half cosine (0: the whole run)").at_least(0),
                 Field::number("eta_min", 0.0, "the lowest lr").at_least(0), interval("epoch")},
                [](const nlohmann::json& o, const ScheduleContext& ctx) {
                  const auto t_max = o.at("t_max").get<int64_t>() > 0 ? o.at("t_max").get<int64_t>() : span(o, ctx);
                  const double eta_min = o.at("eta_min").get<double>();
                  return formula(per_step(o), [=](int64_t t, double lr) {
                    return eta_min + (lr - eta_min) * (1 + std::cos(kPi * static_cast<double>(t) / static_cast<double>(t_max))) / 2;
                  });
                }});
  registry.add({"onecycle", "one cycle per step: up to max_lr, then down by cosine (OneCycleLR, no momentum cycling)",
                {Field::number("max_lr", 0.1, "the peak lr").positive(),
                 Field::number("pct_start", 0.3, "fraction of the steps spent rising").positive().at_most(1),
                 Field::number("div_factor", 25.0, "initial lr = max_lr / div_factor").positive(),
                 Field::number("final_div_factor", 1e4, "final lr = initial lr / final_div_factor").positive(),
                 interval("step")},
                [](const nlohmann::json& o, const ScheduleContext& ctx) {
                  const double max_lr = o.at("max_lr").get<double>();
                  const double initial = max_lr / o.at("div_factor").get<double>();
                  const double final_lr = initial / o.at("final_div_factor").get<double>();
                  if (span(o, ctx) < 2)
                    throw InputError(fmt::format("onecycle needs a run of at least 2 {}s to rise and fall, this run has {}",
                                                 per_step(o) ? "step" : "epoch", span(o, ctx)));
                  const double total = static_cast<double>(span(o, ctx));
                  const double rise_end = o.at("pct_start").get<double>() * total - 1;
                  return formula(per_step(o), [=](int64_t step, double) {
                    const double t = static_cast<double>(step);
                    if (t <= rise_end) return cosine_anneal(initial, max_lr, t / rise_end);
                    return cosine_anneal(max_lr, final_lr, (t - rise_end) / (total - 1 - rise_end));
                  });
                }});
  registry.add({"linear_warmup", "lr rises linearly from start_factor × lr over warmup_steps steps (LinearLR)",
                {Field::number("start_factor", 1.0 / 3.0, "the first step's fraction of the lr").positive().at_most(1),
                 Field::integer("warmup_steps", 5, "intervals (steps or epochs) until the full lr").at_least(1),
                 interval("step")},
                [](const nlohmann::json& o, const ScheduleContext&) {
                  const double start = o.at("start_factor").get<double>();
                  const auto steps = o.at("warmup_steps").get<int64_t>();
                  return formula(per_step(o), [=](int64_t t, double lr) {
                    const double progress = static_cast<double>(std::min(t, steps)) / static_cast<double>(steps);
                    return lr * (start + (1.0 - start) * progress);
                  });
                }});
}

}  // namespace torchsweep
