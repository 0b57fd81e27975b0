#include "models/torchscript_model.h"

#include <c10/util/hash.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_set>

#include "base/error.h"
#include "base/paths.h"
#include "base/spec_node.h"

namespace torchsweep {

namespace {

/// Sets the JIT graph executor's optimization flag for the scope of a call.
class GraphOptimization {
 public:
  explicit GraphOptimization(bool on) : before_(torch::jit::getGraphExecutorOptimize()) {
    torch::jit::setGraphExecutorOptimize(on);
  }
  ~GraphOptimization() { torch::jit::setGraphExecutorOptimize(before_); }
  GraphOptimization(const GraphOptimization&) = delete;
  GraphOptimization& operator=(const GraphOptimization&) = delete;

 private:
  bool before_;
};

/// Registers `from`'s parameters and buffers into `into` under their own names, and its
/// submodules as child modules, each tensor once (a tied weight is one parameter).
void mirror(torch::nn::Module& into, const torch::jit::Module& from, std::unordered_set<const void*>& seen) {
  for (const auto& p : from.named_parameters(/*recurse=*/false))
    if (seen.insert(p.value.unsafeGetTensorImpl()).second) into.register_parameter(p.name, p.value, p.value.requires_grad());
  for (const auto& b : from.named_buffers(/*recurse=*/false))
    if (seen.insert(b.value.unsafeGetTensorImpl()).second) into.register_buffer(b.name, b.value);
  for (const auto& c : from.named_children()) {
    const auto type = c.value.type()->name();
    auto child = std::make_shared<torch::nn::Module>(type ? type->name() : c.name);
    mirror(*child, c.value, seen);
    into.register_module(c.name, child);
  }
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// The file's bytes; `problem` says why there are none.
std::string read_bytes(const std::string& path, std::string& problem) {
  if (!path_exists(path)) {
    problem = "no such file";
    return "";
  }
  if (is_directory(path)) {
    problem = "a folder";
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::string("cannot be read (") + std::strerror(errno) + ")";
    return "";
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

/// Why `bytes` are not a TorchScript module, or "".
std::string torchscript_problem(const std::string& bytes) {
  if (bytes.empty()) return "an empty file";
  if (bytes.compare(0, 4, "PK\x03\x04") != 0)
    return bytes[0] == '\x80' ? "a pickle file (torch.save of an older PyTorch), not a TorchScript module"
                              : "not a zip archive, as torch.jit.save writes";
  try {
    std::istringstream stream(bytes);
    caffe2::serialize::PyTorchStreamReader reader(&stream);
    if (!reader.hasRecord("constants.pkl") && reader.hasRecord("data.pkl"))
      return "an archive of torch.save (weights or a pickled module), not a TorchScript module";
  } catch (const c10::Error& e) {
    return "a zip archive PyTorch cannot read: " + first_line(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return "a zip archive PyTorch cannot read: " + first_line(e.what());
  }
  try {
    std::istringstream stream(bytes);
    const auto module = torch::jit::load(stream, torch::kCPU);
    if (!module.find_method("forward"))
      return "a TorchScript archive without a forward method (tensors saved from C++?), not a model";
  } catch (const c10::Error& e) {
    return "it does not load as a TorchScript module: " + first_line(e.what_without_backtrace());
  } catch (const std::exception& e) {  // torch::jit::ErrorReport: the archive's code does not compile
    return "it does not load as a TorchScript module: " + first_line(e.what());
  }
  return "";
}

const std::string kExpected = "a TorchScript file (torch.jit.script(model).save(path))";

}  // namespace

TorchScriptModel::TorchScriptModel(torch::jit::Module module, TorchScriptOptions options)
    : module_(std::move(module)), options_(std::move(options)) {
  std::unordered_set<const void*> seen;
  mirror(*this, module_, seen);
}

std::vector<std::pair<std::string, std::string>> TorchScriptModel::host_state() const {
  std::vector<std::pair<std::string, std::string>> state;
  for (const auto& attribute : module_.named_attributes(/*recurse=*/true)) {
    const auto& v = attribute.value;
    if (v.isTensor() || v.isObject()) continue;
    std::ostringstream text;
    text << v;
    state.emplace_back(attribute.name, text.str());
  }
  return state;
}

torch::Tensor TorchScriptModel::forward(const torch::Tensor& inputs) {
  constexpr int64_t kWatchedCalls = 8;
  const bool watch = capture_obstacle_.empty() && watched_calls_ < kWatchedCalls;
  const auto before = watch ? host_state() : std::vector<std::pair<std::string, std::string>>{};
  const GraphOptimization optimization(options_.optimize);
  const c10::IValue out = module_.forward({inputs});
  if (watch) {
    ++watched_calls_;
    const auto after = host_state();
    for (size_t i = 0; i < std::min(before.size(), after.size()) && capture_obstacle_.empty(); ++i)
      if (before[i] != after[i])
        capture_obstacle_ = "the TorchScript module's forward changes its attribute " + after[i].first + " (" +
                            before[i].second + " to " + after[i].second +
                            "), state on the host that a replayed CUDA graph would not change";
  }
  if (!out.isTensor())
    throw std::runtime_error("the TorchScript module's forward returned " + out.type()->str() +
                             ", expected a Tensor (the model's outputs)");
  return out.toTensor();
}

void TorchScriptModel::train(bool on) {
  torch::nn::Module::train(on);
  module_.train(on);
}

void TorchScriptModel::move(c10::optional<torch::Device> device, c10::optional<torch::Dtype> dtype,
                            bool non_blocking) {
  // set_data changes each tensor in place, so the scripted module, this module's
  // registered parameters and an optimizer built on them all see the moved tensor.
  std::unordered_set<const void*> seen;
  for (const auto& attribute : module_.named_attributes(/*recurse=*/true)) {
    if (!attribute.value.isTensor()) continue;
    at::Tensor t = attribute.value.toTensor();
    if (!t.defined() || !seen.insert(t.unsafeGetTensorImpl()).second) continue;
    const auto to_dtype = dtype && t.is_floating_point() ? *dtype : t.scalar_type();
    const auto to_device = device ? *device : t.device();
    if (to_dtype == t.scalar_type() && to_device == t.device()) continue;
    t.set_data(t.to(to_device, to_dtype, non_blocking));
  }
}

void TorchScriptModel::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  move(device, dtype, non_blocking);
}
void TorchScriptModel::to(torch::Dtype dtype, bool non_blocking) { move(c10::nullopt, dtype, non_blocking); }
void TorchScriptModel::to(torch::Device device, bool non_blocking) { move(device, c10::nullopt, non_blocking); }

TorchScriptFile look_at_torchscript_file(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::string> problems;  // sha1 -> problem ("" when none)
  TorchScriptFile file;
  const std::string bytes = read_bytes(path, file.problem);
  if (!file.problem.empty()) return file;
  file.sha1 = c10::sha1(bytes).str();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = problems.find(file.sha1);
  if (it == problems.end()) it = problems.emplace(file.sha1, torchscript_problem(bytes)).first;
  file.problem = it->second;
  return file;
}

std::shared_ptr<TorchScriptModel> load_torchscript_model(const TorchScriptOptions& options) {
  std::string problem;
  const std::string bytes = read_bytes(options.path, problem);
  if (problem.empty()) {
    const std::string sha1 = c10::sha1(bytes).str();
    if (!options.sha1.empty() && sha1 != options.sha1)
      throw InputError("model.path: " + options.path + " has sha1 " + sha1 + ", expected " + options.sha1 +
                       " as the run's config records: the file changed since the run was validated");
    problem = torchscript_problem(bytes);
    if (problem.empty()) {
      std::istringstream stream(bytes);
      return std::make_shared<TorchScriptModel>(torch::jit::load(stream, torch::kCPU), options);
    }
  }
  throw InputError("model.path: expected " + kExpected + ", got " + options.path + ": " + problem);
}

TorchScriptOptions torchscript_options_from_json(const nlohmann::json& options) {
  TorchScriptOptions o;
  o.path = options.at("path").get<std::string>();
  if (options.contains("sha1") && options.at("sha1").is_string()) o.sha1 = options.at("sha1").get<std::string>();
  o.dtype = options.value("dtype", std::string("float32")) == "float64" ? torch::kFloat64 : torch::kFloat32;
  if (options.contains("input") && options.at("input").is_array())
    for (const auto& d : options.at("input")) o.input_shape.push_back(static_cast<int64_t>(d.get<double>()));
  o.optimize = options.value("optimize", false);
  return o;
}

void register_torchscript_model(ModelRegistry& registry) {
  ModelRegistry::Entry entry{
      "torchscript",
      "a model from Python: a TorchScript file of torch.jit.script(model).save(path) (its saved weights start the run)",
      {Field::path("path", "the TorchScript file, relative to the spec's folder"),
       Field::string("sha1", "", "the file's content SHA-1 (recorded at validation; a file with another is refused)")
           .single_line()
           .optional(),
       Field::choice("dtype", "float32", {"float32", "float64"}, "dtype of the floating-point parameters and inputs"),
       Field::number_list("input", {}, "per-sample input shape for summary, e.g. [1, 28, 28]").at_least(1).optional(),
       Field::boolean("optimize", false,
                      "let the JIT fuse and differentiate the forward pass itself (off: LibTorch's eager kernels, "
                      "the built-in models' numbers)")},
      [](const nlohmann::json& options) -> std::shared_ptr<Model> {
        return load_torchscript_model(torchscript_options_from_json(options));
      }};
  // At validation: the file must be TorchScript, and its hash is recorded (or, pinned
  // in the spec or recorded with a run being rerun, must still hold).
  entry.complete = [](const SpecNode& section, nlohmann::json& options) {
    const std::string path = options.at("path").get<std::string>();
    const SpecNode* written = section.is_map() ? section.find("path") : nullptr;
    const Mark& path_mark = written ? written->mark() : section.mark();
    const TorchScriptFile file = look_at_torchscript_file(path);
    if (!file.problem.empty())
      throw SpecError(path_mark, "model.path", "expected " + kExpected + ", got " + path + ": " + file.problem);
    if (options["sha1"].is_null()) {
      options["sha1"] = file.sha1;
    } else if (options["sha1"] != file.sha1) {
      const SpecNode* pinned = section.is_map() ? section.find("sha1") : nullptr;
      throw SpecError(pinned ? pinned->mark() : path_mark, "model.sha1",
                      path + " has sha1 " + file.sha1 + ", expected " + options["sha1"].get<std::string>() +
                          ": the file changed since that hash was taken");
    }
  };
  registry.add(std::move(entry));
}

}  // namespace torchsweep
