// CIFAR-10 and CIFAR-100 in the binary version their site distributes: records of
// label bytes then a 32x32 image as three 1024-byte planes (R, G, B), row-major, read
// once into memory as tensors and handed to TensorDataset.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/augmentation.h"
#include "data/tensor_dataset.h"

namespace torchsweep {

/// Which CIFAR: 10 classes in six batch files, or 100 in two files with a coarse
/// (20 superclasses) and a fine (100 classes) label per record.
enum class CifarKind { Cifar10, Cifar100 };

struct CifarOptions {
  CifarKind kind = CifarKind::Cifar10;
  /// The folder holding the batch files (cifar-10-batches-bin/ or cifar-100-binary/),
  /// or the folder holding that one, as the archive unpacks into it.
  std::string root;
  /// CIFAR-100: train on the fine labels (100 classes) or the coarse ones (20).
  bool coarse = false;
  /// Per-channel normalisation (R, G, B) after scaling pixels to [0, 1].
  std::vector<double> mean{0.4914, 0.4822, 0.4465};
  std::vector<double> std{0.2470, 0.2435, 0.2616};
  /// Use only the first N training / test samples (0: all).
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  BatchOptions batches{128, 1000, true, 0.0};
  AugmentOptions augment;
};

/// The defaults of one kind: its normalisation constants (those CIFAR papers and
/// torchvision examples use) and the root `data/<folder>` under the working directory.
CifarOptions cifar_defaults(CifarKind kind);

/// The batch files of a root, in the order their records are read: the five training
/// batches then the test batch (CIFAR-10), or train.bin then test.bin (CIFAR-100).
struct CifarFiles {
  std::vector<std::string> train;
  std::vector<std::string> test;
};
/// Accepts the folder with the files or its parent holding `cifar-10-batches-bin`
/// (`cifar-100-binary`); InputError naming every expected file when one is missing.
CifarFiles find_cifar_files(CifarKind kind, const std::string& root);

/// Reads, checks and normalises both splits: images [N, 3, 32, 32] float32, labels [N]
/// int64. InputError naming the file and the offset for a file that is not a whole
/// number of records or a label out of range. Cached per process by the options.
std::pair<TensorSplit, TensorSplit> load_cifar_splits(const CifarOptions& options);

/// CIFAR in memory (see TensorDataset for batching, placement and augmentation).
class CifarDataset : public TensorDataset {
 public:
  explicit CifarDataset(const CifarOptions& options);

 private:
  CifarDataset(const CifarOptions& options, std::pair<TensorSplit, TensorSplit> splits);
};

CifarOptions cifar_options_from_json(CifarKind kind, const nlohmann::json& options);

/// The `cifar10` and `cifar100` entries.
void register_cifar_datasets(DatasetRegistry& registry);

}  // namespace torchsweep
