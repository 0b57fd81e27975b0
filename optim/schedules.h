// Learning-rate schedules. LibTorch 1.13 ships only StepLR, so the schedules are
// written here as PyTorch's closed forms, each stepped per epoch or per optimizer
// step as PyTorch's own class is, and checked against PyTorch in tests.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/registry.h"

namespace torchsweep {

/// What a schedule needs to know about the run.
struct ScheduleContext {
  int64_t steps_per_epoch = 1;
  int64_t total_steps = 1;
  int64_t epochs = 1;
};

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  /// Whether it advances after every optimizer step (else after every epoch).
  virtual bool per_step() const = 0;
  /// The learning rate after `t` advances (t = 0 is the start), given the optimizer's base lr.
  virtual double lr_at(int64_t t, double base_lr) const = 0;
};

using ScheduleFactory = std::function<std::unique_ptr<LrSchedule>(const nlohmann::json& options, const ScheduleContext&)>;
using ScheduleRegistry = Registry<ScheduleFactory>;

void register_builtin_schedules(ScheduleRegistry& registry);

/// Sets every parameter group's learning rate.
void set_lr(torch::optim::Optimizer& optimizer, double lr);

}  // namespace torchsweep
