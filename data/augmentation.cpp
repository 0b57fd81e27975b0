#include "data/augmentation.h"

#include <limits>
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
  // device and of how many batches came before in this process. Offsets and coins are
  // taken from the generator's raw output (defined by the standard), not through
  // std::uniform_int_distribution (whose mapping each standard library chooses), so a
  // seed draws the same crops whatever library the program was built with.
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch),
                    static_cast<uint32_t>(batch), 0x61756775u /* "augu" */};
  std::mt19937_64 generator(seq);
  const int64_t pad = options_.crop_padding;
  const auto draw_below = [&generator](uint64_t bound) {  // uniform in [0, bound), by rejection
    const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
    uint64_t value = generator();
    while (value >= limit) value = generator();
    return static_cast<int64_t>(value % bound);
  };
  // Rows: the window's top, its left, and whether the image is flipped, per sample.
  auto draws = torch::zeros({3, n}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(images.is_cuda()));
  auto* top = draws[0].data_ptr<int64_t>();
  auto* left = draws[1].data_ptr<int64_t>();
  auto* flipped = draws[2].data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (pad > 0) {
      top[i] = draw_below(static_cast<uint64_t>(2 * pad + 1));
      left[i] = draw_below(static_cast<uint64_t>(2 * pad + 1));
    }
    if (options_.flip) flipped[i] = static_cast<int64_t>(generator() >> 63);
  }
  const auto device = images.device();
  // From pinned memory without waiting: the step that takes this batch stays free of
  // host synchronisation on a GPU.
  draws = draws.to(device, /*non_blocking=*/true);
  const auto index = torch::TensorOptions().dtype(torch::kInt64).device(device);
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
  const auto rows = draws[0].unsqueeze(1) + torch::arange(height, index).unsqueeze(0);
  auto columns = torch::arange(width, index).unsqueeze(0).expand({n, width});
  columns = torch::where(draws[2].unsqueeze(1).to(torch::kBool), (width - 1) - columns, columns) +
            draws[1].unsqueeze(1);
  const auto samples = torch::arange(n, index).view({n, 1, 1});
  // [N, H, W, C] by advanced indexing, then back to [N, C, H, W].
  const auto moved = source.permute({0, 2, 3, 1});
  return moved.index({samples, rows.unsqueeze(2), columns.unsqueeze(1)}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace torchsweep
