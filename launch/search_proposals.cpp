#include "launch/search_proposals.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/error.h"
#include "launch/local_launcher.h"
#include "results/decision_log.h"
#include "spec/spec_loader.h"
#include "sweep/gp_sampler.h"
#include "sweep/sweep.h"
#include "sweep/tpe_sampler.h"

namespace torchsweep {

int64_t propose_run(Store& store, const AdaptiveSweep& sweep) {
  Database& db = store.db();
  const nlohmann::json& search = sweep.search;
  const int64_t samples = search.at("samples").get<int64_t>();
  const std::string metric = search.at("metric").get<std::string>();
  const bool maximize = search.value("goal", "minimize") == "maximize";
  const std::string mode = search.at("mode").get<std::string>();
  const SearchSpace space = search_space_from_json(search.at("space"));

  // The runs so far, in the order they were made: the ended ones are the observations.
  auto rows = db.prepare(
      "SELECT r.run_index, r.status, r.swept_json, r.config_json, "
      "(SELECT value FROM metrics m WHERE m.run_id = r.id AND m.key = ?2 ORDER BY step DESC LIMIT 1), "
      "(SELECT max(step) FROM metrics m WHERE m.run_id = r.id AND m.key = ?2) "
      "FROM runs r WHERE r.sweep_id = ?1 ORDER BY r.run_index");
  rows.bind(1, sweep.sweep_id).bind(2, metric);
  std::vector<Observation> ended;
  std::vector<nlohmann::json> in_flight;
  int64_t runs = 0;
  nlohmann::json first_config;
  while (rows.step()) {
    if (runs++ == 0) first_config = nlohmann::json::parse(rows.get_text(3));
    const RunStatus status = parse_run_status(rows.get_text(1));
    if (status != RunStatus::Finished && status != RunStatus::Stopped && status != RunStatus::Diverged &&
        status != RunStatus::Failed) {
      in_flight.push_back(nlohmann::json::parse(rows.get_text(2)));  // W&B's GP counts them at its prediction
      continue;
    }
    Observation o;
    o.point = nlohmann::json::parse(rows.get_text(2));
    const double last = rows.is_null(4) ? std::numeric_limits<double>::quiet_NaN() : rows.get_double(4);
    if (status == RunStatus::Failed || (status != RunStatus::Diverged && !std::isfinite(last)))
      o.objective = std::numeric_limits<double>::quiet_NaN();
    else if (status == RunStatus::Diverged)
      o.objective = std::numeric_limits<double>::infinity();  // the worst a metric can be
    else
      o.objective = maximize ? -last : last;
    if (status == RunStatus::Stopped && !rows.is_null(5)) o.stopped_at = static_cast<double>(rows.get_int(5));
    ended.push_back(std::move(o));
  }
  if (runs >= samples || runs == 0) return 0;

  const uint64_t seed = proposal_seed(search.at("seed").get<uint64_t>(), runs);
  // The sweep's start-up count replaces the samplers' own: its runs were drawn at random.
  const int64_t startup = search.value("startup", int64_t{0});
  nlohmann::json point;
  if (mode == "bayes") {
    GpOptions options;
    options.startup_trials = std::min(options.startup_trials, std::max<int64_t>(startup, 1));
    point = propose_gp(space, ended, seed, options, in_flight);
  } else {
    TpeOptions options;
    options.startup_trials = std::max<int64_t>(startup, 1);
    point = propose_tpe(space, ended, seed, options);
  }

  // The proposed run is resolved from the sweep's spec as planned, as each planned run was.
  auto spec_text = db.prepare("SELECT spec_text, spec_path FROM sweeps WHERE id = ?");
  spec_text.bind(1, sweep.sweep_id);
  spec_text.step();
  const SpecNode written = parse_yaml(spec_text.get_text(0), spec_text.get_text(1));
  spec_text.reset();
  NewRun run;
  std::string invalid;
  try {
    const RunConfig proposed = proposed_run(written, space, point, runs);
    run.config_json = proposed.config.dump();
    run.config_hash = proposed.config_hash;
    run.swept_json = proposed.swept.dump();
    run.seed = proposed.config.at("seed").get<int64_t>();
    run.device = proposed.config.at("device").get<std::string>();
    run.params = flatten_config(proposed.config);
  } catch (const SpecError& e) {
    // A point the spec does not accept is the run's failure: the search goes on without it.
    invalid = e.what();
    run.config_json = first_config.dump();
    run.config_hash = "";
    run.swept_json = point.dump();
  }
  run.index = runs;
  const int64_t id = store.add_runs(sweep.sweep_id, {run}).front();

  Decision d;
  d.sweep_id = sweep.sweep_id;
  d.run_id = id;
  d.action = "propose";
  d.rule = mode;
  d.metric = metric;
  d.seed = static_cast<int64_t>(seed);  // its 64 bits, as SQLite's signed integer
  d.seen = {{"point", point}, {"ended", ended.size()}};
  d.note = fmt::format("proposed by {} from {} ended run(s): {}", mode, ended.size(), point.dump());
  record_decision(db, d);
  if (!invalid.empty()) {
    db.prepare("UPDATE runs SET status = ?, error = ? WHERE id = ?")
        .bind(1, to_string(RunStatus::Failed))
        .bind(2, invalid)
        .bind(3, id)
        .run();
    return propose_run(store, sweep);  // the next proposal sees this one as failed
  }
  return id;
}

}  // namespace torchsweep
