#include "data/tensor_dataset.h"

#include <cmath>
#include <random>

#include "device/devices.h"

namespace torchsweep {

std::vector<Field> batch_fields(const BatchOptions& d) {
  return {Field::integer("batch_size", d.batch_size, "training batch size").at_least(1),
          Field::integer("test_batch_size", d.test_batch_size, "evaluation batch size").at_least(1),
          Field::boolean("shuffle", d.shuffle, "reshuffle the training set every epoch, from the run's seed"),
          Field::number("validation", d.validation, "fraction of the training samples held out for validation")
              .at_least(0)
              .at_most(0.5)};
}

BatchOptions batch_options_from_json(const nlohmann::json& j) {
  BatchOptions o;
  o.batch_size = j.at("batch_size").get<int64_t>();
  o.test_batch_size = j.at("test_batch_size").get<int64_t>();
  o.shuffle = j.at("shuffle").get<bool>();
  o.validation = j.at("validation").get<double>();
  return o;
}

torch::Tensor epoch_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch)};
  std::mt19937_64 generator(seq);
  std::shuffle(order.begin(), order.end(), generator);
  return torch::tensor(order, torch::kInt64);
}

torch::Tensor normalise_channels(torch::Tensor images, const std::vector<double>& mean, const std::vector<double>& std) {
  const int64_t channels = images.size(1);
  for (int64_t c = 0; c < channels; ++c) {
    const auto i = static_cast<size_t>(c);
    images.select(1, c).sub_(mean[i % mean.size()]).div_(std[i % std.size()]);
  }
  return images;
}

std::vector<double> black_pixel(const std::vector<double>& mean, const std::vector<double>& std, int64_t channels) {
  std::vector<double> fill;
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) fill.push_back((0.0 - mean[c % mean.size()]) / std[c % std.size()]);
  return fill;
}

TensorDataset::TensorDataset(TensorSplit train, TensorSplit test, BatchOptions options, bool classification,
                             Augmentation augmentation)
    : options_(options),
      classification_(classification),
      augmentation_(std::move(augmentation)),
      train_(std::move(train)),
      test_(std::move(test)) {
  const int64_t n = train_.size();
  const auto held_out = static_cast<int64_t>(std::llround(options_.validation * static_cast<double>(n)));
  if (held_out > 0 && held_out < n) {
    validation_ = train_.narrow(n - held_out, held_out);
    train_ = train_.narrow(0, n - held_out);
  }
}

namespace {

int64_t bytes_of(const TensorSplit& split) {
  if (!split.defined()) return 0;
  return static_cast<int64_t>(split.inputs.nbytes() + split.targets.nbytes());
}

TensorSplit moved(const TensorSplit& split, const torch::Device& device) {
  if (!split.defined()) return split;
  return {split.inputs.to(device), split.targets.to(device)};
}

TensorSplit pinned(const TensorSplit& split) {
  if (!split.defined()) return split;
  return {split.inputs.pin_memory(), split.targets.pin_memory()};
}

/// Rows of `source` in `rows`' order, gathered into pinned memory when `pin`.
torch::Tensor gather(const torch::Tensor& source, const torch::Tensor& rows, bool pin) {
  if (!pin) return source.index_select(0, rows);
  auto sizes = source.sizes().vec();
  sizes[0] = rows.size(0);
  auto out = torch::empty(sizes, source.options().pinned_memory(true));
  torch::index_select_out(out, source, 0, rows);
  return out;
}

int64_t batches(int64_t samples, int64_t batch_size) { return (samples + batch_size - 1) / batch_size; }

}  // namespace

void TensorDataset::place_on(const torch::Device& device) {
  if (!device.is_cuda()) return;
  const int64_t bytes = bytes_of(train_) + bytes_of(validation_) + bytes_of(test_);
  if (bytes <= device_memory_bytes(device) / 4) {
    train_ = moved(train_, device);
    validation_ = moved(validation_, device);
    test_ = moved(test_, device);
    device_ = device;
  } else {
    train_ = pinned(train_);
    validation_ = pinned(validation_);
    test_ = pinned(test_);
    pinned_ = true;
  }
}

std::string TensorDataset::placement() const {
  if (pinned_) return "pinned host";
  return device_.is_cuda() ? device_.str() : "host";
}

int64_t TensorDataset::train_batches() const { return batches(train_.size(), options_.batch_size); }

void TensorDataset::start_epoch(int64_t epoch, uint64_t seed) {
  seed_ = seed;
  epoch_ = epoch;
  // Drawn on the host as on the CPU path, so that every device sees the same order;
  // one copy of the permutation per epoch, and batches are gathered where the data is.
  order_ = options_.shuffle ? epoch_permutation(train_.size(), seed, epoch).to(device_) : torch::Tensor();
}

Batch TensorDataset::train_batch(int64_t index) {
  const int64_t start = index * options_.batch_size;
  const int64_t size = std::min(options_.batch_size, train_.size() - start);
  Batch batch;
  if (!order_.defined()) {
    batch = {train_.inputs.narrow(0, start, size), train_.targets.narrow(0, start, size)};
  } else {
    const auto rows = order_.narrow(0, start, size);
    batch = {gather(train_.inputs, rows, pinned_), gather(train_.targets, rows, pinned_)};
  }
  // Augmented where the samples are: on the device when they live there; a pinned
  // host batch is augmented on the host and pinned again, so its copy stays asynchronous.
  if (augmentation_.active()) {
    batch.inputs = augmentation_.apply(batch.inputs, seed_, epoch_, index);
    if (pinned_) batch.inputs = batch.inputs.pin_memory();
  }
  return batch;
}

int64_t TensorDataset::test_batches() const { return batches(test_.size(), options_.test_batch_size); }

Batch TensorDataset::test_batch(int64_t index) {
  const int64_t start = index * options_.test_batch_size;
  const int64_t size = std::min(options_.test_batch_size, test_.size() - start);
  return {test_.inputs.narrow(0, start, size), test_.targets.narrow(0, start, size)};
}

int64_t TensorDataset::validation_batches() const {
  if (!validation_.defined()) return 0;
  return batches(validation_.size(), options_.test_batch_size);
}

Batch TensorDataset::validation_batch(int64_t index) {
  const int64_t start = index * options_.test_batch_size;
  const int64_t size = std::min(options_.test_batch_size, validation_.size() - start);
  return {validation_.inputs.narrow(0, start, size), validation_.targets.narrow(0, start, size)};
}

}  // namespace torchsweep
