#include "models/fused_model.h"

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "models/backprop_2x2x2.h"
#include "models/layered_model.h"
#include "models/torchscript_model.h"

namespace torchsweep {

void FusedModel::write_lane(int64_t lane, Model& replica) const {
  torch::NoGradGuard no_grad;
  const auto fused_params = parameters();
  const auto replica_params = replica.parameters();
  TORCH_CHECK(fused_params.size() == replica_params.size(), "write_lane: the replica has another architecture");
  for (size_t i = 0; i < fused_params.size(); ++i) {
    const auto& from = fused_params[i];
    auto to = replica_params[i];
    to.copy_(from.view({lanes_, -1})[lane].view_as(to));
    if (from.grad().defined()) {
      if (!to.grad().defined()) to.mutable_grad() = torch::zeros_like(to);
      to.mutable_grad().copy_(from.grad().view({lanes_, -1})[lane].view_as(to));
    }
  }
  const auto fused_buffers = buffers();
  auto replica_buffers = replica.buffers();
  TORCH_CHECK(fused_buffers.size() == replica_buffers.size(), "write_lane: the replica has other buffers");
  for (size_t i = 0; i < fused_buffers.size(); ++i) {
    auto to = replica_buffers[i];
    // Scalars (batch norm's num_batches_tracked) are one value for all lanes.
    to.copy_(to.dim() == 0 ? fused_buffers[i] : fused_buffers[i].view({lanes_, -1})[lane].view_as(to));
  }
}

namespace {

/// Lane-major concatenation of the replicas' tensors along dim 0.
torch::Tensor stack_lanes(const std::vector<torch::Tensor>& tensors) { return torch::cat(tensors, 0).detach().clone(); }

// ---- the seed network: lane by lane, or two batched matrix products ----

class FusedBackprop2x2x2 : public FusedModel {
 public:
  FusedBackprop2x2x2(const std::vector<std::shared_ptr<Model>>& replicas, bool exact)
      : FusedModel(static_cast<int64_t>(replicas.size())), exact_(exact) {
    std::vector<torch::Tensor> hidden, output;
    for (const auto& r : replicas) {
      const auto p = r->parameters();
      hidden.push_back(p[0].unsqueeze(0));
      output.push_back(p[1].unsqueeze(0));
    }
    hidden_ = register_parameter("hidden", stack_lanes(hidden));  // [K, 2, 2]
    output_ = register_parameter("output", stack_lanes(output));
  }

  bool exact() const override { return exact_; }

  torch::Tensor forward(const torch::Tensor& inputs) override {
    if (exact_) {
      // Backprop2x2x2::forward on lane k's [2, 2] slices: the same matrix products (a
      // batched product rounds some sums otherwise: 66 of 3,720 points of 20 steps
      // differed in their last bits).
      // unbind: one autograd node per parameter, whose backward stacks the lanes'
      // gradients (K selects would each add a zero-filled [K, 2, 2] to sum).
      const auto x = inputs.unbind(0), hidden = hidden_.unbind(0), output = output_.unbind(0);
      std::vector<torch::Tensor> outs;
      for (int64_t k = 0; k < lanes(); ++k) {
        const auto a_h = torch::sigmoid(x[k].matmul(hidden[k].t()));
        outs.push_back(torch::sigmoid(a_h.matmul(output[k].t())));
      }
      return torch::stack(outs);
    }
    const auto a_h = torch::sigmoid(torch::bmm(inputs, hidden_.transpose(1, 2)));
    return torch::sigmoid(torch::bmm(a_h, output_.transpose(1, 2)));
  }

 private:
  torch::Tensor hidden_, output_;
  bool exact_;
};

// ---- layered models: one layer per layer, lanes side by side in the channels ----

// A fused layered model runs in one of two ways over the same lane-major parameters:
// lane by lane (exact: each lane's tensors through the very operations its run would
// call, with its slices of the parameters, so the numbers are the run's bits — on a
// CPU, where a call costs little, this is the form used), or all lanes in one call per
// layer (grouped: a grouped convolution, one batch norm, one batched product — on a
// GPU, where fusing exists to save the calls). The two agree to rounding; a deep
// network with batch norm grows rounding differences into visible ones within a few
// steps, hence the exact form where it costs nothing.

using ConvOptions2d = std::decay_t<decltype(std::declval<torch::nn::Conv2dImpl>().options)>;

/// A conv's padding when it is given in numbers (not `same`/`valid`). The options hold
/// it in c10::variant (LibTorch 1.x) or std::variant (2.x): get_if is found for either.
template <typename Variant>
std::optional<std::vector<int64_t>> numeric_padding(const Variant& padding) {
  using std::get_if;
  if (const auto* numbers = get_if<torch::ExpandingArray<2>>(&padding)) return c10::IntArrayRef(*numbers).vec();
  return std::nullopt;
}

/// Conv2d of K lanes: [B, K*in, H, W] -> [B, K*out, H', W'].
class LaneConv2dImpl : public torch::nn::Module {
 public:
  explicit LaneConv2dImpl(const std::vector<torch::nn::Conv2d>& lanes)
      : lanes_(static_cast<int64_t>(lanes.size())),
        options_(lanes.front()->options),
        padding_(*numeric_padding(options_.padding())) {
    std::vector<torch::Tensor> weights, biases;
    for (const auto& l : lanes) {
      weights.push_back(l->weight);
      if (l->bias.defined()) biases.push_back(l->bias);
    }
    weight_ = register_parameter("weight", stack_lanes(weights));  // [K*out, in, kh, kw]
    if (!biases.empty()) bias_ = register_parameter("bias", stack_lanes(biases));
  }
  /// All lanes: [B, K*in, H, W] -> [B, K*out, H', W'], one grouped convolution.
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::conv2d(x, weight_, bias_, options_.stride(), padding_, options_.dilation(), lanes_);
  }
  /// Lane k alone: [B, in, H, W] -> [B, out, H', W'], its run's own convolution.
  torch::Tensor forward_lane(int64_t k, const torch::Tensor& x) {
    const int64_t out = options_.out_channels();
    return torch::conv2d(x, weight_.narrow(0, k * out, out),
                         bias_.defined() ? bias_.narrow(0, k * out, out) : torch::Tensor(), options_.stride(),
                         padding_, options_.dilation());
  }

 private:
  int64_t lanes_;
  ConvOptions2d options_;
  std::vector<int64_t> padding_;
  torch::Tensor weight_, bias_;
};
TORCH_MODULE(LaneConv2d);

/// Batch norm of K lanes' channels side by side (1d or 2d: statistics per channel).
class LaneBatchNormImpl : public torch::nn::Module {
 public:
  template <typename BatchNorm>
  explicit LaneBatchNormImpl(const std::vector<BatchNorm>& lanes)
      : lanes_(static_cast<int64_t>(lanes.size())), options_(lanes.front()->options) {
    std::vector<torch::Tensor> w, b, mean, var;
    for (const auto& l : lanes) {
      if (options_.affine()) {
        w.push_back(l->weight);
        b.push_back(l->bias);
      }
      if (options_.track_running_stats()) {
        mean.push_back(l->running_mean);
        var.push_back(l->running_var);
      }
    }
    // The order BatchNorm registers them in: weight, bias, running_mean, running_var,
    // num_batches_tracked.
    if (options_.affine()) {
      weight_ = register_parameter("weight", stack_lanes(w));
      bias_ = register_parameter("bias", stack_lanes(b));
    }
    if (options_.track_running_stats()) {
      running_mean_ = register_buffer("running_mean", stack_lanes(mean));
      running_var_ = register_buffer("running_var", stack_lanes(var));
      batches_ = register_buffer("num_batches_tracked", lanes.front()->num_batches_tracked.clone());
    }
  }
  /// All lanes: one batch norm over the K*C channels (statistics are per channel).
  torch::Tensor forward(const torch::Tensor& x) {
    count_batch();
    return torch::batch_norm(x, weight_, bias_, running_mean_, running_var_, training(), momentum(), options_.eps(),
                             at::globalContext().userEnabledCuDNN());
  }
  /// Lane k alone, with its slices of the parameters and running statistics.
  torch::Tensor forward_lane(int64_t k, const torch::Tensor& x) {
    if (k == 0) count_batch();
    const int64_t c = options_.num_features();
    // Views of the lane's part: gradients flow back into it, and the running
    // statistics are updated in it.
    auto lane = [&](const torch::Tensor& t) { return t.defined() ? t.narrow(0, k * c, c) : t; };
    return torch::batch_norm(x, lane(weight_), lane(bias_), lane(running_mean_), lane(running_var_), training(),
                             momentum(), options_.eps(), at::globalContext().userEnabledCuDNN());
  }

 private:
  bool training() const { return is_training() || !options_.track_running_stats(); }
  double momentum() const { return options_.momentum().value_or(0.1); }
  void count_batch() {
    if (is_training() && options_.track_running_stats()) batches_ += 1;
  }

  int64_t lanes_;
  torch::nn::BatchNormOptions options_;
  torch::Tensor weight_, bias_, running_mean_, running_var_, batches_;
};
TORCH_MODULE(LaneBatchNorm);

/// Linear layers of K lanes: [B, K*in] -> [B, K*out].
class LaneLinearImpl : public torch::nn::Module {
 public:
  explicit LaneLinearImpl(const std::vector<torch::nn::Linear>& lanes) : lanes_(static_cast<int64_t>(lanes.size())) {
    std::vector<torch::Tensor> weights, biases;
    for (const auto& l : lanes) {
      weights.push_back(l->weight.unsqueeze(0));
      if (l->bias.defined()) biases.push_back(l->bias.unsqueeze(0));
    }
    weight_ = register_parameter("weight", stack_lanes(weights));  // [K, out, in]
    if (!biases.empty()) bias_ = register_parameter("bias", stack_lanes(biases));  // [K, out]
  }
  /// Lane k alone: [B, in] -> [B, out].
  torch::Tensor forward_lane(int64_t k, const torch::Tensor& x) {
    return torch::linear(x, weight_[k], bias_.defined() ? bias_[k] : torch::Tensor());
  }
  /// All lanes: [B, K*in] -> [B, K*out], one batched product.
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t batch = x.size(0), in = weight_.size(2);
    auto lanes = x.view({batch, lanes_, in}).transpose(0, 1);  // [K, B, in]
    auto out = bias_.defined() ? torch::baddbmm(bias_.unsqueeze(1), lanes, weight_.transpose(1, 2))
                               : torch::bmm(lanes, weight_.transpose(1, 2));
    return out.transpose(0, 1).reshape({batch, -1});
  }

 private:
  int64_t lanes_;
  torch::Tensor weight_, bias_;
};
TORCH_MODULE(LaneLinear);

/// (log_)softmax over each lane's own classes.
class LaneSoftmaxImpl : public torch::nn::Module {
 public:
  LaneSoftmaxImpl(int64_t lanes, bool log) : lanes_(lanes), log_(log) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const auto lanes = x.view({x.size(0), lanes_, -1});
    return (log_ ? torch::log_softmax(lanes, -1) : torch::softmax(lanes, -1)).reshape({x.size(0), -1});
  }

 private:
  int64_t lanes_;
  bool log_;
};
TORCH_MODULE(LaneSoftmax);

template <typename Layer>
std::vector<Layer> lanes_of(const std::vector<torch::nn::Sequential>& replicas, size_t index) {
  std::vector<Layer> out;
  for (const auto& r : replicas) out.push_back(Layer(std::dynamic_pointer_cast<typename Layer::Impl>(r->ptr(index))));
  return out;
}

/// One layer of a fused layered model as it runs for a single lane.
using LaneStep = std::function<torch::Tensor(int64_t lane, const torch::Tensor& x)>;

class FusedLayered : public FusedModel {
 public:
  FusedLayered(int64_t lanes, torch::nn::Sequential layers, std::vector<LaneStep> lane_steps, bool exact, bool draws)
      : FusedModel(lanes), lane_steps_(std::move(lane_steps)), exact_(exact), draws_(draws) {
    layers_ = register_module("layers", std::move(layers));
  }
  bool exact() const override { return exact_; }

  torch::Tensor forward(const torch::Tensor& inputs) override {
    if (exact_) {
      // Each lane through its own layers on its own tensors: the run's operations on
      // the run's shapes and memory layout, so its forward and backward are its bits;
      // its dropout masks drawn from its own generator, as its run alone draws them.
      const auto x = inputs.unbind(0);
      std::vector<torch::Tensor> outs;
      for (int64_t k = 0; k < lanes(); ++k) {
        auto lane = [&] {
          torch::Tensor h = x[k];
          for (const auto& step : lane_steps_) h = step(k, h);
          return h;
        };
        outs.push_back(draws_ && is_training() && generators() ? generators()->in_lane(k, lane) : lane());
      }
      return torch::stack(outs);
    }
    // [K, B, C, ...] -> [B, K*C, ...]: lane k's channels are the k-th block.
    const int64_t k = inputs.size(0), batch = inputs.size(1);
    std::vector<int64_t> shape = {batch, -1};
    for (size_t d = 3; d < static_cast<size_t>(inputs.dim()); ++d) shape.push_back(inputs.size(static_cast<int64_t>(d)));
    const auto out = layers_->forward(inputs.transpose(0, 1).reshape(shape));
    return out.view({batch, k, -1}).transpose(0, 1).contiguous();
  }

 private:
  torch::nn::Sequential layers_;
  std::vector<LaneStep> lane_steps_;
  bool exact_;
  bool draws_;  ///< has a layer that draws random numbers in training (dropout)
};

Fusion fuse_layered(const std::vector<std::shared_ptr<Model>>& replicas, bool exact) {
  const auto k = static_cast<int64_t>(replicas.size());
  std::vector<torch::nn::Sequential> seqs;
  for (const auto& r : replicas) seqs.push_back(std::static_pointer_cast<LayeredModel>(r)->layers());
  torch::nn::Sequential fused;
  std::vector<LaneStep> steps;
  bool draws = false;
  const auto& first = seqs.front();
  for (size_t i = 0; i < first->size(); ++i) {
    const auto module = first->ptr(i);
    const torch::nn::AnyModule& any = *(first->begin() + static_cast<std::ptrdiff_t>(i));
    if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(module)) {
      const auto& o = conv->options;
      if (o.groups() != 1 || o.padding_mode().index() != 0 || !numeric_padding(o.padding()))
        return {nullptr, "layer " + std::to_string(i + 1) + " is a conv2d with groups, a padding mode or same/valid padding"};
      LaneConv2d layer(lanes_of<torch::nn::Conv2d>(seqs, i));
      fused->push_back(layer);
      steps.push_back([layer](int64_t lane, const torch::Tensor& x) mutable { return layer->forward_lane(lane, x); });
    } else if (std::dynamic_pointer_cast<torch::nn::LinearImpl>(module)) {
      LaneLinear layer(lanes_of<torch::nn::Linear>(seqs, i));
      fused->push_back(layer);
      steps.push_back([layer](int64_t lane, const torch::Tensor& x) mutable { return layer->forward_lane(lane, x); });
    } else if (std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(module)) {
      LaneBatchNorm layer(lanes_of<torch::nn::BatchNorm2d>(seqs, i));
      fused->push_back(layer);
      steps.push_back([layer](int64_t lane, const torch::Tensor& x) mutable { return layer->forward_lane(lane, x); });
    } else if (std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(module)) {
      LaneBatchNorm layer(lanes_of<torch::nn::BatchNorm1d>(seqs, i));
      fused->push_back(layer);
      steps.push_back([layer](int64_t lane, const torch::Tensor& x) mutable { return layer->forward_lane(lane, x); });
    } else if (std::dynamic_pointer_cast<torch::nn::LogSoftmaxImpl>(module)) {
      fused->push_back(LaneSoftmax(k, true));
      steps.push_back([](int64_t, const torch::Tensor& x) { return torch::log_softmax(x, 1); });
    } else if (std::dynamic_pointer_cast<torch::nn::SoftmaxImpl>(module)) {
      fused->push_back(LaneSoftmax(k, false));
      steps.push_back([](int64_t, const torch::Tensor& x) { return torch::softmax(x, 1); });
    } else if (std::dynamic_pointer_cast<torch::nn::ReLUImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::SigmoidImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::TanhImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::MaxPool2dImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::AvgPool2dImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::FlattenImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::DropoutImpl>(module) ||
               std::dynamic_pointer_cast<torch::nn::Dropout2dImpl>(module)) {
      // Per element or per channel: the lanes' channels side by side change nothing
      // (but for dropout's masks: grouped, one draw covers all lanes).
      draws = draws || std::dynamic_pointer_cast<torch::nn::DropoutImpl>(module) ||
              std::dynamic_pointer_cast<torch::nn::Dropout2dImpl>(module);
      torch::nn::AnyModule same = any.clone();
      fused->push_back(same);
      steps.push_back([same](int64_t, const torch::Tensor& x) mutable { return same.forward(x); });
    } else {
      return {nullptr, "layer " + std::to_string(i + 1) + " (" + module->name() + ") has no lane-wise form"};
    }
  }
  const auto device = replicas.front()->parameters().empty() ? torch::Device(torch::kCPU)
                                                             : replicas.front()->parameters().front().device();
  auto model = std::make_shared<FusedLayered>(k, fused, std::move(steps), exact, draws);
  model->to(device);
  return {model, ""};
}

}  // namespace

std::string fusion_obstacle(const nlohmann::json& model_config) {
  if (model_config.is_object() && model_config.value("name", "") == "torchscript")
    return "a TorchScript model has no fused form";
  if (model_config.is_object() && model_config.value("name", "") == "resnet18_cifar")
    return "resnet18_cifar has no fused form (its residual blocks are no list of layers)";
  return "";
}

Fusion fuse_models(const std::vector<std::shared_ptr<Model>>& replicas, LaneForm form) {
  if (replicas.empty()) return {nullptr, "no runs to fuse"};
  const Model* first = replicas.front().get();
  const auto params = replicas.front()->parameters();
  const bool exact = form == LaneForm::Exact ||
                     (form == LaneForm::Auto && (params.empty() || !params.front().is_cuda()));
  if (dynamic_cast<const Backprop2x2x2*>(first)) return {std::make_shared<FusedBackprop2x2x2>(replicas, exact), ""};
  if (dynamic_cast<const LayeredModel*>(first)) {
    // A linear layer after anything but a flattening sees [B, features] only.
    for (const auto& info : first->layer_info())
      if (info.name.rfind("Linear", 0) == 0 && info.output.size() != 1)
        return {nullptr, "a linear layer on inputs of more than one dimension"};
    return fuse_layered(replicas, exact);
  }
  if (dynamic_cast<const TorchScriptModel*>(first)) return {nullptr, fusion_obstacle({{"name", "torchscript"}})};
  return {nullptr, "the model has no fused form (the seed network and layered models have)"};
}

}  // namespace torchsweep
