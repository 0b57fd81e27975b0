#include "train/step_engine.h"

namespace torchsweep {

void EagerStep::step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) {
  optimizer_.zero_grad();
  const auto outputs = model_.forward(batch.inputs);
  const auto loss = loss_(outputs, batch.targets);
  meter.add(step, loss, outputs, batch.targets);
  loss.backward();
  if (before_update) (*before_update)(batch.inputs, batch.targets, outputs);
  optimizer_.step();
}

}  // namespace torchsweep
