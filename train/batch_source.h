// Where a run's training batches come from. Today each batch is gathered on the host
// and copied to the device; an on-device gather (the whole data set resident on the
// GPU, batches picked by index there) fits behind the same three calls.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "data/datasets.h"

namespace torchsweep {

/// Batches of a data set for training on a device: one epoch's order at a time (from
/// the run's seed and the epoch only, so a resumed epoch sees the same), each batch on
/// the device in the model's dtype.
class BatchSource {
 public:
  BatchSource(Dataset& data, const torch::Device& device, torch::Dtype dtype, uint64_t seed)
      : data_(data), device_(device), dtype_(dtype), seed_(seed) {}
  int64_t batches_per_epoch() const { return data_.train_batches(); }
  void start_epoch(int64_t epoch) { data_.start_epoch(epoch, seed_); }
  Batch batch(int64_t index) const { return data_.train_batch(index).to(device_, dtype_); }

 private:
  Dataset& data_;
  torch::Device device_;
  torch::Dtype dtype_;
  uint64_t seed_;
};

}  // namespace torchsweep
