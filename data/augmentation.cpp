#include "data/augmentation.h"

#include <random>

namespace torchsweep {

std::vector<Field> augment_fields() {
  const AugmentOptions d;
  return {Field::integer("crop_padding", d.crop_padding,
                         "random crop: pad each side by N pixels, crop the original size at a random offset (0: off)")
              .at_least(0)
              .at_most(64),
          Field::boolean("flip", d.flip, "flip each training image left-right with probability 1/2")};
}

AugmentOptions augment_options_from_json(const nlohmann::json& options) {
  AugmentOptions o;
  o.crop_padding = options.at("crop_padding").get<int64_t>();
  o.flip = options.at("flip").get<bool>();
  return o;
}

Augmentation::Augmentation(AugmentOptions options, std::vector<double> fill)
    : options_(options), fill_(std::move(fill)) {}

torch::Tensor Augmentation::apply(const torch::Tensor& images, uint64_t seed, int64_t epoch, int64_t batch) const {
  if (!active()) return images;
  const int64_t n = images.size(0), channels = images.size(1), height = images.size(2), width = images.size(3);
  // One host generator per batch, from (seed, epoch, batch): draws independent of the
  // device and of how many batches came before in this process.
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch),
                    static_cast<uint32_t>(batch), 0x61756775u /* "augu" */};
  std::mt19937_64 generator(seq);
  const int64_t pad = options_.crop_padding;
  std::vector<int64_t> top(static_cast<size_t>(n), 0), left(static_cast<size_t>(n), 0),
      flipped(static_cast<size_t>(n), 0);
  std::uniform_int_distribution<int64_t> offset(0, 2 * pad);
  std::bernoulli_distribution coin(0.5);
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    if (pad > 0) {
      top[i] = offset(generator);
      left[i] = offset(generator);
    }
    if (options_.flip) flipped[i] = coin(generator) ? 1 : 0;
  }
  const auto device = images.device();
  const auto index = torch::TensorOptions().dtype(torch::kInt64);
  torch::Tensor source = images;
  if (pad > 0) {
    // Pad with each channel's fill value (a black pixel, normalised).
    source = torch::empty({n, channels, height + 2 * pad, width + 2 * pad}, images.options());
    for (int64_t c = 0; c < channels; ++c)
      source.select(1, c).fill_(fill_.empty() ? 0.0 : fill_[static_cast<size_t>(c) % fill_.size()]);
    source.narrow(2, pad, height).narrow(3, pad, width).copy_(images);
  }
  // Row and column of the source for every output pixel: a window at (top, left),
  // its columns reversed where the image is flipped.
  const auto rows = (torch::tensor(top, index).unsqueeze(1) + torch::arange(height, index).unsqueeze(0)).to(device);
  auto columns = torch::arange(width, index).unsqueeze(0).repeat({n, 1});
  const auto flips = torch::tensor(flipped, index).to(torch::kBool).unsqueeze(1);
  columns = torch::where(flips, (width - 1) - columns, columns) + torch::tensor(left, index).unsqueeze(1);
  columns = columns.to(device);
  const auto samples = torch::arange(n, index.device(device)).view({n, 1, 1});
  // [N, H, W, C] by advanced indexing, then back to [N, C, H, W].
  const auto moved = source.permute({0, 2, 3, 1});
  return moved.index({samples, rows.unsqueeze(2), columns.unsqueeze(1)}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace torchsweep
