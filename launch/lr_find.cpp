#include "launch/lr_find.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "base/error.h"
#include "base/number_text.h"
#include "launch/environment.h"
#include "launch/local_launcher.h"
#include "results/run_queue.h"
#include "results/sqlite_sink.h"

namespace torchsweep {

nlohmann::json lr_find_config(const SweepPlan& plan, const LrFindOptions& test) {
  if (plan.runs.empty()) throw InputError(plan.spec_path + ": the spec expands to no run");
  nlohmann::json config = plan.runs.front().config;
  config["lr_find"] = {{"start", test.start_lr},
                       {"end", test.end_lr},
                       {"steps", test.steps},
                       {"stop_factor", test.stop_factor}};
  return config;
}

LrFindRecord record_lr_find(const SweepPlan& plan, Store& store, const LrFindRunOptions& options) {
  if (const std::string error = lr_find_options_error(options.test); !error.empty()) throw InputError(error);
  LrFindRecord record;
  record.config = lr_find_config(plan, options.test);
  NewRun run;
  run.index = 0;
  run.config_hash = config_hash(record.config);
  run.config_json = record.config.dump();
  run.seed = record.config.at("seed").get<int64_t>();
  run.device = record.config.at("device").get<std::string>();
  run.params = flatten_config(record.config);
  run.kind = "lr_find";
  NewSweep sweep;
  sweep.name = plan.name;
  sweep.spec_text = plan.spec_text;
  // Not the spec's hash: `run` on the same spec must not take this sweep for its own.
  sweep.spec_hash = "lr_find:" + run.config_hash;
  sweep.spec_path = plan.spec_path;
  sweep.overrides_json = nlohmann::json(plan.overrides).dump();
  sweep.mode = "lr_find";
  const auto [sweep_id, ids] = store.create_sweep(sweep, {run});
  record.sweep_id = sweep_id;
  record.run_id = ids.front();
  // Taken as a worker takes a run: running, held by this process, its heartbeat kept
  // by the sink; no worker of another sweep can take it from here.
  RunQueue queue(store.db());
  if (!queue.claim_next(sweep_id, this_process()))
    throw RuntimeFailure(fmt::format("lr-find: run {} was taken by another process", record.run_id));

  const Environment env = current_environment(options.command_line);
  const RunEnvironment base{"", "", env.host, env.torchsweep_version, env.torch_version, env.git_commit,
                            env.command_line, "", "", ""};
  {
    SqliteSink db(store, record.run_id, base);
    std::vector<MetricSink*> sinks = {&db};
    if (options.watcher) sinks.push_back(options.watcher);
    FanoutSink sink(sinks);
    record.outcome = find_lr_for_config(record.config, sink, options.test, options.threads);
  }  // every point written
  return record;
}

std::string lr_find_range_line(const LrFindResult& result) {
  if (!(result.range_high > 0)) return "";
  return fmt::format("optimizer.lr: {{distribution: log_uniform, low: {}, high: {}}}",
                     readable_number(result.range_low, 3), readable_number(result.range_high, 3));
}

std::string lr_find_text_plot(const LrFindResult& result, int width, int height) {
  width = std::max(width, 8);
  height = std::max(height, 4);
  std::vector<const LrFindPoint*> points;
  for (const auto& p : result.points)
    if (std::isfinite(p.smoothed) && p.lr > 0) points.push_back(&p);
  if (points.size() < 2) return "";
  double lo_x = std::log10(points.front()->lr), hi_x = lo_x;
  double lo_y = points.front()->smoothed, hi_y = lo_y;
  for (const auto* p : points) {
    lo_x = std::min(lo_x, std::log10(p->lr));
    hi_x = std::max(hi_x, std::log10(p->lr));
    lo_y = std::min(lo_y, p->smoothed);
    hi_y = std::max(hi_y, p->smoothed);
  }
  auto column = [&](double lr) {
    if (hi_x <= lo_x) return 0;
    const double at = (std::log10(lr) - lo_x) / (hi_x - lo_x) * (width - 1);
    return std::clamp(static_cast<int>(std::lround(at)), 0, width - 1);
  };
  auto row = [&](double loss) {  // 0 is the top
    if (hi_y <= lo_y) return height / 2;
    const double at = (hi_y - loss) / (hi_y - lo_y) * (height - 1);
    return std::clamp(static_cast<int>(std::lround(at)), 0, height - 1);
  };
  std::vector<std::string> grid(static_cast<size_t>(height), std::string(static_cast<size_t>(width), ' '));
  for (const auto* p : points) grid[static_cast<size_t>(row(p->smoothed))][static_cast<size_t>(column(p->lr))] = '*';
  const auto& s = result.suggestions;
  std::string legend = "* smoothed loss";
  auto mark = [&](const std::optional<LrSuggestion>& suggestion, char letter, const std::string& what) {
    if (!suggestion || !std::isfinite(suggestion->marked_loss)) return;
    grid[static_cast<size_t>(row(suggestion->marked_loss))][static_cast<size_t>(column(suggestion->marked_lr))] =
        letter;
    legend += fmt::format("   {} {} {}", letter, what, readable_number(suggestion->marked_lr, 3));
  };
  mark(s.minimum, 'M', "minimum at");  // drawn first: valley and steep stay visible where they meet it
  mark(s.steep, 'S', "steep");
  mark(s.valley, 'V', "valley");

  const std::string top = readable_number(hi_y, 4), bottom = readable_number(lo_y, 4);
  const size_t label = std::max(top.size(), bottom.size());
  std::string out;
  for (int r = 0; r < height; ++r) {
    const std::string text = r == 0 ? top : r == height - 1 ? bottom : "";
    out += std::string(label - text.size(), ' ') + text + " |" + grid[static_cast<size_t>(r)] + "\n";
  }
  out += std::string(label, ' ') + " +" + std::string(static_cast<size_t>(width), '-') + "\n";
  // The rates at both ends and in the middle of the log axis.
  const std::string left = readable_number(std::pow(10.0, lo_x), 3);
  const std::string middle = readable_number(std::pow(10.0, (lo_x + hi_x) / 2), 3);
  const std::string right = readable_number(std::pow(10.0, hi_x), 3);
  std::string axis(static_cast<size_t>(width) + 2, ' ');
  auto place = [&](const std::string& text, size_t at) {
    at = std::min(at, axis.size() > text.size() ? axis.size() - text.size() : 0);
    axis.replace(at, text.size(), text);
  };
  place(left, 2);
  place(right, axis.size() - right.size());
  // The middle one only where it keeps a space from both.
  const size_t mid = 2 + static_cast<size_t>(width) / 2 - middle.size() / 2;
  if (mid >= 2 + left.size() + 1 && mid + middle.size() + 1 <= axis.size() - right.size()) place(middle, mid);
  out += std::string(label, ' ') + axis + "   lr (log scale)\n";
  out += std::string(label + 2, ' ') + legend + "\n";
  return out;
}

}  // namespace torchsweep
