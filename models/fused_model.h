// K copies of one model trained as one: "lanes". Runs of a sweep that differ only in
// their optimizer settings and seed have the same architecture, so their K models can
// run as one wider model — the seed network as batched matrix products, layered
// models with grouped convolutions (groups = K), per-lane batch norm and per-lane
// linear layers. On a small model every step's cost is per-call overhead, which K
// lanes then share.
//
// Layout: every parameter and buffer of the fused model has the lanes as its leading
// dimension, lane-major (lane k owns the k-th 1/K of dim 0), and they come in the same
// order as one replica's. So a lane is written back into a replica generically, and an
// optimizer may treat any parameter as [K, n].
//
// Two forms: exact (each lane through its run's own operations on its own tensors, its
// random draws from its own generator: the run alone's numbers, bit for bit — the CPU's
// form) and grouped (all lanes in one call per operation, dropout drawn for all lanes
// at once: the same numbers to rounding only, and other dropout masks — a GPU's form).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "models/lane_generators.h"
#include "models/model.h"

namespace torchsweep {

class FusedModel : public torch::nn::Module {
 public:
  /// inputs: [K, B, ...], lane k's batch in row k; returns [K, B, ...].
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;
  int64_t lanes() const { return lanes_; }
  /// Whether every lane computes its run alone's numbers bit for bit (the exact form).
  virtual bool exact() const = 0;
  /// In the exact form, lane k draws its random numbers (dropout masks) from lane k of
  /// `generators`, which must outlive the model's use; without them, and in the grouped
  /// form, all lanes draw from the device's default generator.
  void draw_from(LaneGenerators* generators) { generators_ = generators; }

  /// Copies lane k's parameters, buffers and (where set) gradients into `replica`, a
  /// model of the architecture the lanes were fused from.
  void write_lane(int64_t lane, Model& replica) const;

 protected:
  explicit FusedModel(int64_t lanes) : lanes_(lanes) {}
  LaneGenerators* generators() const { return generators_; }

 private:
  int64_t lanes_;
  LaneGenerators* generators_ = nullptr;
};

/// What fuse_models gives: the fused model, or why the replicas cannot be fused.
struct Fusion {
  std::shared_ptr<FusedModel> model;
  std::string why_not;  ///< "" when fused
};

/// How the lanes run: each lane through its run's own operations (Exact: the unfused
/// run's numbers, bit for bit, given each lane its generator), or all lanes in one call
/// per operation (Grouped: batched products, grouped convolutions; the same numbers to
/// rounding, fewer calls). Auto: Exact on the CPU, Grouped on a GPU.
enum class LaneForm { Auto, Exact, Grouped };

/// Why runs of the model with this resolved config section never fuse, decided before
/// any replica is built ("" when they may: fuse_models then decides for the built
/// replicas). A TorchScript module has no lane-wise form: its runs train alone.
std::string fusion_obstacle(const nlohmann::json& model_config);

/// Fuses K >= 1 replicas of one architecture, taking each lane's initial weights from
/// its replica (so a lane starts exactly where the unfused run would). The replicas'
/// device and dtype carry over.
Fusion fuse_models(const std::vector<std::shared_ptr<Model>>& replicas, LaneForm form = LaneForm::Auto);

}  // namespace torchsweep
