#include "runner/trainer.h"

#include <chrono>
#include <cmath>

#include "runner/builtins.h"
#include "runner/devices.h"
#include "runner/optimizers.h"

namespace torchsweep {

namespace {

struct EpochTotals {
  double loss_sum = 0.0;  ///< Σ batch mean loss × batch size
  int64_t correct = 0;
  int64_t samples = 0;
};

void accumulate(EpochTotals& totals, const torch::Tensor& outputs, const torch::Tensor& targets, double loss,
                bool classification) {
  const int64_t n = outputs.size(0);
  totals.loss_sum += loss * static_cast<double>(n);
  totals.samples += n;
  if (classification) totals.correct += outputs.argmax(1).eq(targets).sum().item<int64_t>();
}

/// Mean loss and accuracy over the data set's test split.
EpochTotals evaluate(Model& model, Dataset& data, const LossFn& loss_fn, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  EpochTotals totals;
  for (int64_t b = 0; b < data.test_batches(); ++b) {
    Batch batch = data.test_batch(b);
    const auto inputs = batch.inputs.to(device, model.dtype());
    const auto targets = batch.targets.to(device);
    const auto outputs = model.forward(inputs);
    accumulate(totals, outputs, targets, loss_fn(outputs, targets).item<double>(), data.classification());
  }
  model.train();
  return totals;
}

}  // namespace

TrainOutcome train_run(const nlohmann::json& config, MetricSink& sink) {
  const auto started = std::chrono::steady_clock::now();
  TrainOutcome outcome;
  auto finish = [&](RunStatus status, std::string error) {
    outcome.status = status;
    outcome.error = std::move(error);
    outcome.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    sink.run_ended({outcome.status, outcome.error, outcome.steps, outcome.wall_seconds});
    return outcome;
  };

  try {
    auto& reg = registries();
    const auto seed = config.at("seed").get<uint64_t>();
    torch::manual_seed(seed);
    const torch::Device device = resolve_device(config.at("device").get<std::string>());
    sink.run_started({device.str(), device_name(device)});

    const auto& model_cfg = config.at("model");
    std::shared_ptr<Model> model = reg.models.get(model_cfg.at("name")).factory(model_cfg);
    model->to(device, model->dtype());
    model->train();
    const auto& data_cfg = config.at("data");
    std::unique_ptr<Dataset> data = reg.datasets.get(data_cfg.at("name")).factory(data_cfg);
    const auto& loss_cfg = config.at("loss");
    const LossFn loss_fn = reg.losses.get(loss_cfg.at("name")).factory(loss_cfg);
    const auto& opt_cfg = config.at("optimizer");
    auto optimizer = reg.optimizers.get(opt_cfg.at("name")).factory(model->parameters(), opt_cfg);

    const auto& train = config.at("train");
    const bool by_epochs = !train.at("epochs").is_null();
    const int64_t per_epoch = data->train_batches();
    const int64_t total_steps = by_epochs ? train.at("epochs").get<int64_t>() * per_epoch : train.at("steps").get<int64_t>();
    const int64_t log_every = train.at("log_every").get<int64_t>();
    if (per_epoch <= 0) return finish(RunStatus::Failed, "the data set has no training batches");

    MetricRow row;
    for (int64_t epoch = 1; outcome.steps < total_steps; ++epoch) {
      data->start_epoch(epoch, seed);
      EpochTotals totals;
      for (int64_t b = 0; b < per_epoch && outcome.steps < total_steps; ++b) {
        Batch batch = data->train_batch(b);
        const auto inputs = batch.inputs.to(device, model->dtype(), /*non_blocking=*/true);
        const auto targets = batch.targets.is_floating_point() ? batch.targets.to(device, model->dtype(), true)
                                                               : batch.targets.to(device, /*non_blocking=*/true);
        optimizer->zero_grad();
        const auto outputs = model->forward(inputs);
        const auto loss = loss_fn(outputs, targets);
        const double loss_value = loss.item<double>();
        const int64_t step = outcome.steps;
        if (!std::isfinite(loss_value)) {
          sink.log(step, {{"train/loss", loss_value}});
          return finish(RunStatus::Diverged, "train/loss became " + std::string(std::isnan(loss_value) ? "nan" : "inf") +
                                                 " at step " + std::to_string(step));
        }
        loss.backward();
        if (step % log_every == 0 || step + 1 == total_steps) {
          row.clear();
          model->append_step_metrics({inputs, targets, outputs, loss_value}, row);
          const bool has_loss = std::any_of(row.begin(), row.end(), [](const auto& kv) { return kv.first == "train/loss"; });
          if (!has_loss) row.insert(row.begin(), {"train/loss", loss_value});
          sink.log(step, row);
        }
        outcome.final_loss = loss_value;
        optimizer->step();
        ++outcome.steps;
        if (by_epochs) accumulate(totals, outputs.detach(), targets, loss_value, data->classification());
      }
      if (by_epochs) {
        row.clear();
        row.emplace_back("train/loss_epoch", totals.loss_sum / static_cast<double>(totals.samples));
        if (data->classification())
          row.emplace_back("train/acc", static_cast<double>(totals.correct) / static_cast<double>(totals.samples));
        if (data->test_batches() > 0) {
          const EpochTotals test = evaluate(*model, *data, loss_fn, device);
          row.emplace_back("test/loss", test.loss_sum / static_cast<double>(test.samples));
          if (data->classification())
            row.emplace_back("test/acc", static_cast<double>(test.correct) / static_cast<double>(test.samples));
        }
        row.emplace_back("lr", current_lr(*optimizer));
        sink.log(epoch, row);
      }
    }
    return finish(RunStatus::Finished, "");
  } catch (const std::exception& e) {
    return finish(RunStatus::Failed, e.what());
  }
}

}  // namespace torchsweep
