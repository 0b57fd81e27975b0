// Evaluation of a model on a data set's held-out splits (validation, test): mean loss
// and accuracy, in eval mode and without gradients, at the run's precision (the forward
// pass and the loss under the autocast its steps use).
#pragma once

#include <torch/torch.h>

#include <optional>

#include "data/datasets.h"
#include "models/model.h"
#include "optim/losses.h"
#include "results/metric_sink.h"
#include "train/epoch_meter.h"
#include "train/precision.h"

namespace torchsweep {

enum class Split { Test, Validation };

/// Mean loss and accuracy over one held-out split; nullopt when a stop was asked for
/// (base/interrupt.h) before it ended: it looks between batches, so that a stop does
/// not wait for a whole pass over a large test set.
std::optional<EpochTotals> evaluate(Model& model, Dataset& data, Split split, const LossFn& loss_fn,
                                    const torch::Device& device, MeterReads reads,
                                    Precision precision = Precision::Fp32);

/// Appends val/loss, val/acc, test/loss, test/acc (those the data set has) to `row`.
/// False, with `row` as it was, when a stop cut the evaluation short: no partial
/// evaluation is ever recorded.
[[nodiscard]] bool evaluate_into(MetricRow& row, Model& model, Dataset& data, const LossFn& loss_fn,
                                 const torch::Device& device, MeterReads reads,
                                 Precision precision = Precision::Fp32);

/// A logged step's row: the model's own metrics of the step, with train/loss first
/// unless the model placed it.
MetricRow step_row(const Model& model, const StepView& view);

}  // namespace torchsweep
