#include "data/cifar_dataset.h"

#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>

#include "base/error.h"
#include "base/paths.h"
#include "base/spec_node.h"

namespace torchsweep {

namespace {

constexpr int64_t kSide = 32;
constexpr int64_t kImageBytes = 3 * kSide * kSide;

struct KindInfo {
  const char* name;         ///< the registry name
  const char* folder;       ///< what the archive unpacks into
  int64_t label_bytes;      ///< label bytes before each image
};

KindInfo info(CifarKind kind) {
  return kind == CifarKind::Cifar10 ? KindInfo{"cifar10", "cifar-10-batches-bin", 1}
                                    : KindInfo{"cifar100", "cifar-100-binary", 2};
}

std::vector<std::string> train_names(CifarKind kind) {
  if (kind == CifarKind::Cifar100) return {"train.bin"};
  return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"};
}

std::string test_name(CifarKind kind) { return kind == CifarKind::Cifar100 ? "test.bin" : "test_batch.bin"; }

bool holds_all(const std::string& folder, const std::vector<std::string>& names) {
  for (const auto& name : names)
    if (!is_regular_file(join_path(folder, name))) return false;
  return true;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw InputError(path + ": cannot open the CIFAR batch file");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) throw InputError(path + ": read error");
  return out;
}

/// The records of the files in order: images [N, 3, 32, 32] bytes and the labels at
/// `label_index` (0: the only or the coarse label, 1: CIFAR-100's fine one), each
/// checked against `classes`.
TensorSplit read_records(const std::vector<std::string>& paths, int64_t label_bytes, int64_t label_index,
                         int64_t classes, int64_t limit, const std::string& label_name) {
  const int64_t record = label_bytes + kImageBytes;
  std::vector<torch::Tensor> images, labels;
  int64_t total = 0;
  for (const auto& path : paths) {
    if (limit > 0 && total >= limit) break;
    std::vector<uint8_t> bytes = read_bytes(path);
    const auto size = static_cast<int64_t>(bytes.size());
    if (size == 0) throw InputError(path + ": empty file, expected records of " + std::to_string(record) + " bytes");
    if (size % record != 0) {
      const int64_t cut = size - size % record;
      throw InputError(path + ": " + std::to_string(size) + " bytes, not a whole number of " +
                       std::to_string(record) + "-byte records (" + std::to_string(label_bytes) + " label byte" +
                       (label_bytes > 1 ? "s" : "") + " + 3072 pixel bytes): the record at offset " +
                       std::to_string(cut) + " is cut after " + std::to_string(size % record) +
                       " bytes (truncated file?)");
    }
    int64_t n = size / record;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t offset = r * record + label_index;
      const uint8_t label = bytes[static_cast<size_t>(offset)];
      if (label >= classes)
        throw InputError(path + ": record " + std::to_string(r) + " (byte offset " + std::to_string(offset) + "): " +
                         label_name + " " + std::to_string(label) + " is out of range, expected 0 to " +
                         std::to_string(classes - 1));
    }
    if (limit > 0) n = std::min(n, limit - total);
    const auto all = torch::from_blob(bytes.data(), {size / record, record}, torch::kUInt8).narrow(0, 0, n);
    images.push_back(all.narrow(1, label_bytes, kImageBytes).reshape({n, 3, kSide, kSide}).clone());
    labels.push_back(all.select(1, label_index).to(torch::kInt64));
    total += n;
  }
  return {torch::cat(images), torch::cat(labels)};
}

TensorSplit load_split(const CifarOptions& o, const std::vector<std::string>& paths, int64_t limit) {
  const KindInfo k = info(o.kind);
  const bool fine = o.kind == CifarKind::Cifar100 && !o.coarse;
  const int64_t classes = o.kind == CifarKind::Cifar10 ? 10 : (fine ? 100 : 20);
  const std::string label_name = o.kind == CifarKind::Cifar10 ? "label" : (fine ? "fine label" : "coarse label");
  TensorSplit split = read_records(paths, k.label_bytes, fine ? 1 : 0, classes, limit, label_name);
  // Scale to [0, 1] then normalise per channel, as ToTensor() + Normalize() do.
  split.inputs = normalise_channels(split.inputs.to(torch::kFloat32).div_(255.0), o.mean, o.std).contiguous();
  return split;
}

std::string key_of(const CifarOptions& o) {
  std::ostringstream key;
  key.precision(17);
  key << info(o.kind).name << '|' << o.root << '|' << o.coarse << '|' << o.train_limit << '|' << o.test_limit;
  for (double v : o.mean) key << '|' << v;
  for (double v : o.std) key << '|' << v;
  return key.str();
}

}  // namespace

CifarOptions cifar_defaults(CifarKind kind) {
  CifarOptions o;
  o.kind = kind;
  o.root = std::string("data/") + info(kind).folder;
  if (kind == CifarKind::Cifar100) {
    o.mean = {0.5071, 0.4865, 0.4409};
    o.std = {0.2673, 0.2564, 0.2762};
  }
  return o;
}

CifarFiles find_cifar_files(CifarKind kind, const std::string& root) {
  const KindInfo k = info(kind);
  std::vector<std::string> names = train_names(kind);
  names.push_back(test_name(kind));
  std::string folder = root;
  if (!holds_all(root, names) && is_directory(join_path(root, k.folder))) folder = join_path(root, k.folder);
  std::vector<std::string> missing;
  for (const auto& name : names)
    if (!is_regular_file(join_path(folder, name))) missing.push_back(name);
  if (!missing.empty()) {
    std::string all, gone;
    for (size_t i = 0; i < names.size(); ++i) all += (i ? (i + 1 == names.size() ? " and " : ", ") : "") + names[i];
    for (size_t i = 0; i < missing.size(); ++i) gone += (i ? ", " : "") + missing[i];
    throw InputError(folder + ": expected the " + std::string(kind == CifarKind::Cifar10 ? "CIFAR-10" : "CIFAR-100") +
                     " binary files " + all + " (the binary version's archive unpacks them into " + k.folder +
                     "/), missing " + gone);
  }
  CifarFiles files;
  for (const auto& name : train_names(kind)) files.train.push_back(join_path(folder, name));
  files.test.push_back(join_path(folder, test_name(kind)));
  return files;
}

std::pair<TensorSplit, TensorSplit> load_cifar_splits(const CifarOptions& o) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<TensorSplit, TensorSplit>> cache;
  const std::string key = key_of(o);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const CifarFiles files = find_cifar_files(o.kind, o.root);
  auto splits = std::make_pair(load_split(o, files.train, o.train_limit), load_split(o, files.test, o.test_limit));
  cache.emplace(key, splits);
  return splits;
}

CifarDataset::CifarDataset(const CifarOptions& options) : CifarDataset(options, load_cifar_splits(options)) {}

CifarDataset::CifarDataset(const CifarOptions& options, std::pair<TensorSplit, TensorSplit> splits)
    : TensorDataset(std::move(splits.first), std::move(splits.second), options.batches, /*classification=*/true,
                    Augmentation(options.augment, black_pixel(options.mean, options.std, 3))) {}

CifarOptions cifar_options_from_json(CifarKind kind, const nlohmann::json& j) {
  CifarOptions o = cifar_defaults(kind);
  if (j.contains("root") && !j.at("root").is_null()) o.root = j.at("root").get<std::string>();
  if (kind == CifarKind::Cifar100) o.coarse = j.at("labels").get<std::string>() == "coarse";
  o.mean = j.at("mean").get<std::vector<double>>();
  o.std = j.at("std").get<std::vector<double>>();
  o.train_limit = j.at("train_limit").get<int64_t>();
  o.test_limit = j.at("test_limit").get<int64_t>();
  o.batches = batch_options_from_json(j);
  o.augment = augment_options_from_json(j);
  return o;
}

namespace {

std::vector<Field> cifar_fields(const CifarOptions& d) {
  const KindInfo k = info(d.kind);
  // A path (relative to the spec's folder) that may be left out: `complete` fills in the default.
  std::vector<Field> fields{
      Field::path("root", std::string("folder holding the batch files (") + k.folder + "/) or its parent; default " +
                              d.root + " under the working directory")
          .optional(),
      Field::number_list("mean", d.mean, "per-channel (R, G, B) normalisation mean, after scaling pixels to [0, 1]")
          .of_length(3),
      Field::number_list("std", d.std, "per-channel (R, G, B) normalisation standard deviation")
          .of_length(3)
          .positive(),
      Field::integer("train_limit", d.train_limit, "use only the first N training samples (0: all)").at_least(0),
      Field::integer("test_limit", d.test_limit, "use only the first N test samples (0: all)").at_least(0)};
  if (d.kind == CifarKind::Cifar100)
    fields.push_back(Field::choice("labels", "fine", {"fine", "coarse"},
                                   "train on the 100 fine classes or the 20 coarse superclasses"));
  for (auto& field : batch_fields(d.batches)) fields.push_back(std::move(field));
  for (auto& field : augment_fields()) fields.push_back(std::move(field));
  return fields;
}

DatasetRegistry::Entry cifar_entry(CifarKind kind, std::string description) {
  const CifarOptions d = cifar_defaults(kind);
  DatasetRegistry::Entry entry{info(kind).name, std::move(description), cifar_fields(d),
                               [kind](const nlohmann::json& options) -> std::unique_ptr<Dataset> {
                                 return std::make_unique<CifarDataset>(cifar_options_from_json(kind, options));
                               }};
  // The default root is resolved where the spec is validated, so that the run's config
  // records an absolute folder, as a root written in the spec is.
  entry.complete = [kind](const SpecNode&, nlohmann::json& options) {
    if (!options.contains("root") || options["root"].is_null())
      options["root"] = absolute_path(cifar_defaults(kind).root);
  };
  // Missing, truncated or corrupt files are bad input: found before anything runs.
  entry.check = [kind](const SpecNode& section, const nlohmann::json& options) {
    try {
      load_cifar_splits(cifar_options_from_json(kind, options));
    } catch (const InputError& e) {
      const SpecNode* root = section.is_map() ? section.find("root") : nullptr;
      throw SpecError(root ? root->mark() : section.mark(), "data.root", e.what());
    }
  };
  return entry;
}

}  // namespace

void register_cifar_datasets(DatasetRegistry& registry) {
  registry.add(cifar_entry(CifarKind::Cifar10,
                           "CIFAR-10, the binary version (cifar-10-batches-bin/): 50,000 training and 10,000 test "
                           "32x32 colour images in 10 classes; random crop and flip as options"));
  registry.add(cifar_entry(CifarKind::Cifar100,
                           "CIFAR-100, the binary version (cifar-100-binary/): 50,000 training and 10,000 test "
                           "32x32 colour images, 100 fine or 20 coarse classes; random crop and flip as options"));
}

}  // namespace torchsweep
