// Running sums over an epoch or an evaluation pass: the mean loss over samples, the
// correct predictions, and the first loss that was not finite.
//
// On the CPU a batch's values are read at once (a read costs nothing there). On a GPU
// reading a value makes the host wait for the device, so the meter keeps each batch's
// loss and correct count on the device (as the 0-dim tensors the step made) and copies
// them to the host only at read(): a training step then never waits on the host, and the
// sums are folded on the host in batch order with the same arithmetic, so they are
// bit-identical to reading per batch.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <vector>

namespace torchsweep {

/// Sums over samples, so that means are true means over samples.
struct EpochTotals {
  double loss_sum = 0.0;  ///< Σ batch mean loss × batch size
  int64_t correct = 0;
  int64_t samples = 0;
  double mean_loss() const { return samples ? loss_sum / static_cast<double>(samples) : 0.0; }
  double accuracy() const { return samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0.0; }
};

/// The first batch whose loss was not finite: its step and its loss (nan or ±inf).
struct NonFiniteLoss {
  int64_t step = 0;
  double loss = 0.0;
};

/// When the meter reads a batch's values.
enum class MeterReads {
  Auto,      ///< deferred on CUDA, per batch elsewhere
  PerBatch,  ///< at add()
  Deferred,  ///< at read(); the values wait in a buffer on the batch's device
};

class EpochMeter {
 public:
  EpochMeter(const torch::Device& device, bool classification, MeterReads reads = MeterReads::Auto);

  /// Starts over from `start` (a resumed epoch's sums); last_loss() carries over.
  void reset(const EpochTotals& start = {});
  /// Adds one batch: its mean loss (one element), and for classification its outputs
  /// (scores per class) and targets (class indices). `step` labels the batch.
  void add(int64_t step, const torch::Tensor& loss, const torch::Tensor& outputs, const torch::Tensor& targets);
  /// Adds one batch whose correct count is already counted (a one-element tensor;
  /// ignored unless classification). Deferred, the meter keeps `loss` and `correct`
  /// until read(): they must not be overwritten before then (a captured step's outputs
  /// are, so it passes copies).
  void add_counted(int64_t step, const torch::Tensor& loss, const torch::Tensor& correct, int64_t samples);
  /// Folds the batches added since the last read into the sums and returns them; on a
  /// GPU this is the one place the host waits for the device.
  const EpochTotals& read();

  /// The sums as of the last read.
  const EpochTotals& last_read() const { return totals_; }
  /// The first non-finite loss since reset(), as of the last read.
  const std::optional<NonFiniteLoss>& non_finite() const { return non_finite_; }
  /// The loss of the last batch read before any non-finite one, across resets (0 before any).
  double last_loss() const { return last_loss_; }
  /// Samples added since reset(), read or not.
  int64_t samples_added() const { return samples_added_; }
  /// Whether values wait on the device until read().
  bool deferred() const { return deferred_; }

 private:
  void fold(int64_t step, double loss, int64_t correct, int64_t samples);

  torch::Device device_;
  bool classification_;
  bool deferred_;
  EpochTotals totals_;
  std::optional<NonFiniteLoss> non_finite_;
  double last_loss_ = 0.0;
  int64_t samples_added_ = 0;
  /// Deferred reads: the pending batches' losses and correct counts (0-dim, on the device).
  std::vector<torch::Tensor> pending_losses_, pending_correct_;
  std::vector<int64_t> pending_steps_, pending_samples_;
};

}  // namespace torchsweep
