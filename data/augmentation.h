// Augmentation of image batches, on the device the batch lives on: random crop after
// padding and horizontal flip, as torchvision's RandomCrop(size, padding) and
// RandomHorizontalFlip do per sample. The random draws come from a host generator
// seeded by (run seed, epoch, batch), so a batch is the same on the CPU and on CUDA,
// and the same in a run continued from a mid-epoch checkpoint.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/field.h"

namespace torchsweep {

struct AugmentOptions {
  /// Random crop: pad every side by this many pixels, then crop a window of the
  /// original size at a random offset (0: no crop).
  int64_t crop_padding = 0;
  /// Flip each image left-right with probability 1/2.
  bool flip = false;
};

/// The spec keys of AugmentOptions (crop_padding, flip), for image data sets' entries.
std::vector<Field> augment_fields();
AugmentOptions augment_options_from_json(const nlohmann::json& options);

class Augmentation {
 public:
  Augmentation() = default;
  /// `fill`: the value of a padded pixel per channel, in the images' (normalised)
  /// units: -mean/std for a black pixel, as torchvision pads before normalising.
  Augmentation(AugmentOptions options, std::vector<double> fill);
  bool active() const { return options_.crop_padding > 0 || options_.flip; }
  /// `images` [N, C, H, W] augmented; its values are copied, never recomputed, so the
  /// result is exact on every device.
  torch::Tensor apply(const torch::Tensor& images, uint64_t seed, int64_t epoch, int64_t batch) const;

 private:
  AugmentOptions options_;
  std::vector<double> fill_;
};

}  // namespace torchsweep
