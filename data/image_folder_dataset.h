// Images in class folders, as torchvision's ImageFolder reads them: root/CLASS/*.png,
// *.jpg, *.jpeg, one folder per class, classes sorted by name to indices 0..K-1. PNG is
// decoded by libpng, JPEG by libjpeg(-turbo), both once, into memory, resized to one
// size where asked and normalised per channel; batching, shuffling, augmentation and
// placement are TensorDataset's.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/augmentation.h"
#include "data/datasets.h"
#include "data/tensor_dataset.h"

namespace torchsweep {

/// One decoded image: 8-bit pixels, [height, width, channels] row-major.
struct DecodedImage {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  std::vector<uint8_t> pixels;
};

/// Decodes a PNG or JPEG file, told apart by its first bytes (not its name), into 8-bit
/// RGB (channels 3: grey replicated, alpha dropped, palettes expanded, 16-bit samples
/// scaled to 8 bits) or greyscale (channels 1: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16,
/// PIL's convert("L"), which is R·299/1000 + G·587/1000 + B·114/1000 rounded).
/// InputError naming the file for a file that is neither (with its first bytes), or a
/// corrupt or truncated one.
DecodedImage decode_image(const std::string& path, int64_t channels);

struct ImageFolderOptions {
  /// The folder of class folders, or of train/ and a held-out val/ or test/ folder of class folders.
  std::string root;
  /// 3 (RGB) or 1 (greyscale).
  int64_t channels = 3;
  /// Resize every image to height × width (bilinear, align_corners false, no antialias)
  /// once at load; {} keeps the files' size, which must then be the same for all.
  std::vector<int64_t> size;
  /// Per-channel normalisation after scaling to [0, 1]; one value applies to every channel.
  std::vector<double> mean{0.5};
  std::vector<double> std{0.5};
  /// Without train/ and val/ (or test/) folders: the fraction of each class's images held out as
  /// the test split (0: no test split), chosen by a permutation seeded by split_seed.
  double test_fraction = 0.0;
  int64_t split_seed = 0;
  /// Batch sizes, shuffling and the validation split.
  BatchOptions batches{64, 256, true, 0.0};
  /// Random crop and flip of training batches.
  AugmentOptions augment;
};

/// The loaded splits, with the class names and each sample's file (for messages and tests).
struct ImageFolderSplits {
  TensorSplit train, test;
  std::vector<std::string> classes;
  std::vector<std::string> train_files, test_files;
};

/// Lists, decodes, resizes and normalises the images: inputs [N, C, H, W] float32,
/// targets [N] int64. The training samples come in a fixed order mixed by split_seed
/// (so that a `validation` fraction holds every class), the test samples in class and
/// file order. Cached per process by the options that shape the tensors. InputError
/// naming the folder or file for every problem.
ImageFolderSplits load_image_folder(const ImageFolderOptions& options);

class ImageFolderDataset : public TensorDataset {
 public:
  explicit ImageFolderDataset(const ImageFolderOptions& options);

 private:
  ImageFolderDataset(const ImageFolderOptions& options, ImageFolderSplits splits);
};

ImageFolderOptions image_folder_options_from_json(const nlohmann::json& options);

/// The `image_folder` entry: its options, factory and the check that loads the folder
/// at validation (a bad file is a SpecError at data.root).
void register_image_folder_dataset(DatasetRegistry& registry);

}  // namespace torchsweep
