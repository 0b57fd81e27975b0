#include "spec/training_plan.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <mutex>

#include "spec/registries.h"
#include "spec/spec.h"

namespace torchsweep {

namespace {

Cadence cadence_of(const nlohmann::json& train, const char* key) {
  if (train.contains(key) && train.at(key).is_string())
    if (auto cadence = Cadence::parse(train.at(key).get<std::string>())) return *cadence;
  return default_cadence(train);
}

bool happens(const Cadence& cadence, int64_t steps_done, int64_t epoch, bool epoch_end, int64_t total_steps) {
  if (steps_done == total_steps) return true;
  switch (cadence.unit) {
    case Cadence::Unit::Steps: return steps_done % cadence.count == 0;
    case Cadence::Unit::Epochs: return epoch_end && epoch % cadence.count == 0;
    case Cadence::Unit::End: return false;
  }
  return false;
}

int64_t count_of(const Cadence& cadence, int64_t total_steps, int64_t steps_per_epoch) {
  switch (cadence.unit) {
    case Cadence::Unit::Steps: return total_steps / cadence.count + (total_steps % cadence.count != 0);
    case Cadence::Unit::Epochs: {
      const int64_t full = total_steps / steps_per_epoch;
      const bool last_counted = total_steps % steps_per_epoch == 0 && full % cadence.count == 0;
      return full / cadence.count + !last_counted;
    }
    case Cadence::Unit::End: return 1;
  }
  return 1;
}

std::string number(double v) { return fmt::format("{:.4g}", v); }

std::string when(const Cadence& cadence, const TrainingPlan& plan, int64_t count) {
  if (cadence.unit == Cadence::Unit::End)
    return plan.by_epochs ? fmt::format("at the end (epoch {})", plan.epochs)
                          : fmt::format("at the end (step {})", plan.total_steps);
  const bool epochs = cadence.unit == Cadence::Unit::Epochs;
  const std::string every = cadence.count == 1 ? (epochs ? "every epoch" : "every step") : "every " + cadence.str();
  // Whether the last one falls on the cadence anyway, or is added for the run's end.
  const bool on_cadence = epochs ? plan.total_steps % plan.steps_per_epoch == 0 &&
                                       (plan.total_steps / plan.steps_per_epoch) % cadence.count == 0
                                 : plan.total_steps % cadence.count == 0;
  return fmt::format("{}{}: {} in all", every, on_cadence ? "" : " and at the end", count);
}

/// Where a schedule moves the lr, over the intervals the run trains in.
std::string describe_schedule(const nlohmann::json& config, const TrainingPlan& plan) {
  const auto& cfg = config.at("scheduler");
  const auto schedule = registries().schedules.get(cfg.at("name")).factory(cfg, plan.schedule_context());
  const bool per_step = schedule->per_step();
  const char* unit = per_step ? "step" : "epoch";
  const int64_t span = per_step ? plan.total_steps : plan.epochs;
  const double base = config.at("optimizer").value("lr", 0.0);
  std::vector<std::pair<int64_t, double>> changes;
  double first = schedule->lr_at(0, base), low = first, high = first;
  int64_t at_high = 0;
  double previous = first;
  for (int64_t t = 1; t < span; ++t) {
    const double lr = schedule->lr_at(t, base);
    if (lr != previous) changes.emplace_back(t, lr);
    if (lr > high) high = lr, at_high = t;
    low = std::min(low, lr);
    previous = lr;
  }
  std::string text = fmt::format("lr schedule {} (per {}): lr {}", cfg.at("name").get<std::string>(), unit, number(first));
  if (changes.empty()) return text + ", unchanged over the run";
  if (changes.size() <= 6) {
    for (const auto& [t, lr] : changes) text += fmt::format(", {} from {} {}", number(lr), unit, t);
    return text;
  }
  return text + fmt::format(", changing at {} of {} {}s: highest {} at {} {}, lowest {}, last {}", changes.size(), span,
                            unit, number(high), unit, at_high, number(low), number(previous));
}

}  // namespace

bool TrainingPlan::evaluates(int64_t steps_done, int64_t epoch, bool epoch_end) const {
  return happens(eval, steps_done, epoch, epoch_end, total_steps);
}

bool TrainingPlan::checkpoints(int64_t steps_done, int64_t epoch, bool epoch_end) const {
  return happens(checkpoint, steps_done, epoch, epoch_end, total_steps);
}

int64_t TrainingPlan::evaluation_count() const { return count_of(eval, total_steps, steps_per_epoch); }
int64_t TrainingPlan::checkpoint_count() const { return count_of(checkpoint, total_steps, steps_per_epoch); }

TrainingPlan plan_training(const nlohmann::json& config, int64_t steps_per_epoch) {
  const auto& train = config.at("train");
  TrainingPlan plan;
  plan.steps_per_epoch = std::max<int64_t>(steps_per_epoch, 1);
  plan.by_epochs = !train.at("epochs").is_null();
  plan.total_steps = plan.by_epochs ? train.at("epochs").get<int64_t>() * plan.steps_per_epoch
                                    : train.at("steps").get<int64_t>();
  plan.epochs = (plan.total_steps + plan.steps_per_epoch - 1) / plan.steps_per_epoch;
  plan.eval = cadence_of(train, "eval_every");
  plan.checkpoint = cadence_of(train, "checkpoint_every");
  return plan;
}

int64_t batches_per_epoch(const nlohmann::json& data) {
  static std::mutex mutex;
  static std::map<std::string, int64_t> known;
  const std::string key = data.dump();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = known.find(key);
  if (it != known.end()) return it->second;
  const int64_t batches = registries().datasets.get(data.at("name")).factory(data)->train_batches();
  known.emplace(key, batches);
  return batches;
}

std::vector<std::string> describe_training(const nlohmann::json& config) {
  const auto& data_cfg = config.at("data");
  // One data set answers both questions: how many batches, and which splits it holds.
  const auto data = registries().datasets.get(data_cfg.at("name")).factory(data_cfg);
  const int64_t per_epoch = data->train_batches();
  const TrainingPlan plan = plan_training(config, per_epoch);
  std::vector<std::string> lines;
  const std::string batches = fmt::format("{} batch{}", per_epoch, per_epoch == 1 ? "" : "es");
  if (plan.by_epochs) {
    lines.push_back(fmt::format("budget: {} epoch{} of {} = {} steps", plan.epochs, plan.epochs == 1 ? "" : "s",
                                batches, plan.total_steps));
  } else {
    lines.push_back(fmt::format("budget: {} steps = {} epochs of {}", plan.total_steps,
                                number(static_cast<double>(plan.total_steps) / static_cast<double>(per_epoch)),
                                batches));
  }
  if (data->validation_batches() == 0 && data->test_batches() == 0) {
    lines.push_back("evaluation: none (the data set has no validation or test split)");
  } else {
    lines.push_back(fmt::format("evaluation: {}, on the {} axis", when(plan.eval, plan, plan.evaluation_count()),
                                plan.evaluates_on_epochs() ? "epoch" : "step"));
  }
  lines.push_back("checkpoints: " + when(plan.checkpoint, plan, plan.checkpoint_count()));
  if (config.contains("scheduler") && !config.at("scheduler").is_null()) lines.push_back(describe_schedule(config, plan));
  return lines;
}

}  // namespace torchsweep
