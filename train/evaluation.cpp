#include "train/evaluation.h"

#include <algorithm>

#include "base/interrupt.h"

namespace torchsweep {

std::optional<EpochTotals> evaluate(Model& model, Dataset& data, Split split, const LossFn& loss_fn,
                                    const torch::Device& device, MeterReads reads, Precision precision) {
  // Inference mode, not only no-grad: nothing made here is ever used by autograd, so its
  // tensors skip the version counters and view tracking that no-grad still keeps.
  c10::InferenceMode inference;
  model.eval();
  EpochMeter meter(device, data.classification(), reads);
  const int64_t batches = split == Split::Test ? data.test_batches() : data.validation_batches();
  bool stopped = false;
  // One scope for the whole pass: the weights do not change in it, so their cast copies
  // are made once and reused by every batch.
  AutocastScope autocast(precision, device);
  for (int64_t b = 0; b < batches && !(stopped = interrupt_signal() != 0); ++b) {
    const Batch batch = (split == Split::Test ? data.test_batch(b) : data.validation_batch(b)).to(device, model.dtype());
    const auto outputs = model.forward(batch.inputs);
    meter.add(b, loss_fn(outputs, batch.targets), outputs, batch.targets);
  }
  model.train();
  if (stopped) return std::nullopt;
  return meter.read();
}

bool evaluate_into(MetricRow& row, Model& model, Dataset& data, const LossFn& loss_fn, const torch::Device& device,
                   MeterReads reads, Precision precision) {
  MetricRow added;
  if (data.validation_batches() > 0) {
    const auto val = evaluate(model, data, Split::Validation, loss_fn, device, reads, precision);
    if (!val) return false;
    added.emplace_back("val/loss", val->mean_loss());
    if (data.classification()) added.emplace_back("val/acc", val->accuracy());
  }
  if (data.test_batches() > 0) {
    const auto test = evaluate(model, data, Split::Test, loss_fn, device, reads, precision);
    if (!test) return false;
    added.emplace_back("test/loss", test->mean_loss());
    if (data.classification()) added.emplace_back("test/acc", test->accuracy());
  }
  row.insert(row.end(), added.begin(), added.end());
  return true;
}

MetricRow step_row(const Model& model, const StepView& view) {
  MetricRow row;
  model.append_step_metrics(view, row);
  const bool has_loss = std::any_of(row.begin(), row.end(), [](const auto& kv) { return kv.first == "train/loss"; });
  if (!has_loss) row.insert(row.begin(), {"train/loss", view.loss});
  return row;
}

}  // namespace torchsweep
