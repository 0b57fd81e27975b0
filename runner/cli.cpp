#include "runner/cli.h"
#include "torchsweep/config.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <iostream>
#include <optional>
#include <sstream>

#include "base/paths.h"
#include "models/summary.h"
#include "results/curve_groups.h"
#include "results/merge.h"
#include "results/plot.h"
#include "results/queries.h"
#include "results/store.h"
#include "runner/builtins.h"
#include "runner/interrupt.h"
#include "runner/overrides.h"
#include "runner/rerun.h"
#include "runner/slurm.h"
#include "runner/spec.h"
#include "runner/status.h"
#include "runner/sweep.h"
#include "runner/sweep_runner.h"
#include "runner/training_plan.h"
#include "runner/worker.h"

namespace torchsweep {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<int64_t> parse_steps(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  for (const auto& item : split_list(text)) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError(flag + ": expected comma-separated integers, got \"" + item + "\"");
    }
  }
  return out;
}

std::string command_line(int argc, const char* const* argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

Table plan_table(const SweepPlan& plan) {
  Table table;
  table.columns = {"run", "config_hash"};
  for (const auto& key : plan.swept_keys) table.columns.push_back(key);
  for (const auto& run : plan.runs) {
    std::vector<SqlValue> row = {run.index, run.config_hash};
    for (const auto& key : plan.swept_keys) {
      const auto& v = run.swept.at(key);
      if (v.is_number_integer()) row.emplace_back(v.get<int64_t>());
      else if (v.is_number()) row.emplace_back(v.get<double>());
      else if (v.is_string()) row.emplace_back(v.get<std::string>());
      else row.emplace_back(v.dump());
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

void print_plan(const SweepPlan& plan, std::ostream& out) {
  out << fmt::format("sweep '{}': {} run(s)", plan.name, plan.runs.size());
  if (!plan.swept_keys.empty()) out << fmt::format(" ({} over {})", plan.mode, join(plan.swept_keys));
  out << "\n";
  render(plan_table(plan), TableFormat::Table, out);
  // How each distinct training plan runs: budget, evaluations, checkpoints, schedule.
  std::vector<std::pair<nlohmann::json, std::vector<int64_t>>> groups;
  for (const auto& run : plan.runs) {
    const auto& c = run.config;
    const bool scheduled = !c["scheduler"].is_null();
    nlohmann::json key = {{"train", c["train"]}, {"data", c["data"]}, {"scheduler", c["scheduler"]},
                          {"lr", scheduled ? c["optimizer"].value("lr", nlohmann::json()) : nlohmann::json()}};
    key["train"].erase("threads");
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) groups.push_back({key, {}}), it = groups.end() - 1;
    it->second.push_back(run.index);
  }
  constexpr size_t kShown = 3;
  for (size_t g = 0; g < std::min(groups.size(), kShown); ++g) {
    const auto& runs = groups[g].second;
    if (groups.size() == 1)
      out << "training plan:\n";
    else
      out << fmt::format("training plan of run{} {}:\n", runs.size() == 1 ? "" : "s",
                         runs.size() <= 8 ? fmt::format("{}", fmt::join(runs, ", "))
                                          : fmt::format("{}, {}, … ({} runs)", runs[0], runs[1], runs.size()));
    for (const auto& line : describe_training(plan.runs[static_cast<size_t>(runs.front())].config))
      out << "  " << line << "\n";
  }
  if (groups.size() > kShown) out << fmt::format("… and {} more training plans\n", groups.size() - kShown);
}

template <class Registry>
void list_registry(const Registry& registry, const std::string& title, std::ostream& out) {
  Table table;
  table.columns = {title, "description"};
  for (const auto& name : registry.names()) table.rows.push_back({name, registry.get(name).description});
  render(table, TableFormat::Table, out);
  out << "\n";
}

void print_models(std::ostream& out) {
  auto& r = registries();
  Table models;
  models.columns = {"model", "parameters", "description"};
  for (const auto& name : r.models.names()) {
    const auto& entry = r.models.get(name);
    int64_t count = -1;
    try {  // instantiate with the defaults to count parameters (a model without defaults has none)
      count = count_parameters(*entry.factory(validate_fields(SpecNode::map({}), entry.options, "model")));
    } catch (const std::exception&) {
    }
    models.rows.push_back({name, count < 0 ? SqlValue("-") : SqlValue(count), entry.description});
  }
  render(models, TableFormat::Table, out);
  out << "\n";
  list_registry(r.datasets, "dataset", out);
  list_registry(r.losses, "loss", out);
  list_registry(r.optimizers, "optimizer", out);
  list_registry(r.schedules, "scheduler", out);
}

/// A model from its registry name and key=value options, validated like a spec's model section.
std::shared_ptr<Model> build_model(const std::string& name, const std::vector<std::string>& options) {
  const Mark mark{"command line", 0, 0};
  SpecNode section = SpecNode::map(mark);
  section.set("name", SpecNode::string(name, mark), mark);
  SpecNode root = SpecNode::map(mark);
  root.set("model", section, mark);
  std::vector<std::string> overrides;
  for (const auto& o : options) {
    const size_t prefix = o.find_first_not_of("+~");
    overrides.push_back(o.substr(0, prefix) + "model." + o.substr(prefix == std::string::npos ? o.size() : prefix));
  }
  apply_overrides(root, overrides);
  const auto resolved = validate_section(root, "model");
  return registries().models.get(name).factory(resolved);
}

/// Shard arguments of `results merge`: a folder stands for the *.db files in it.
std::vector<std::string> expand_shards(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    if (!is_directory(arg)) {
      out.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& name : list_directory(arg))
      if (path_extension(name) == ".db") found.push_back(join_path(arg, name));
    if (found.empty()) throw InputError(arg + ": no shard databases (*.db) in this folder");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::vector<int> parse_gpus(const std::string& text) {
  std::vector<int> out;
  for (const auto id : parse_steps("--gpus", text)) {
    if (id < 0) throw InputError("--gpus: expected GPU indices >= 0, got " + std::to_string(id));
    out.push_back(static_cast<int>(id));
  }
  return out;
}

/// Progress bars only when the output is this process's terminal.
bool is_terminal(const std::ostream& out) { return &out == &std::cout && ::isatty(STDOUT_FILENO); }

int exit_code(int stop_signal, int failed) {
  if (stop_signal) return exit_code_for_signal(stop_signal);
  return failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"torchsweep: declarative experiment runner for LibTorch"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("torchsweep ") + TORCHSWEEP_VERSION);

  // Flags shared by commands. --db: the results database (default $TORCHSWEEP_DB, else torchsweep.db).
  std::string db_path = default_db_path();
  std::string spec_path;
  std::vector<std::string> overrides;
  bool dry_run = false;
  bool resume = false;
  bool fresh = false;
  int workers = 1;         // --workers: worker processes
  int64_t threads = 0;     // --threads: intra-op threads per run when the spec leaves train.threads at 0
  std::string gpus_text;   // --gpus: comma-separated GPU indices
  std::string artifacts;   // --artifacts: checkpoint folder root

  auto* run = app.add_subcommand("run", "expand a spec into runs, train each, record them in the database");
  run->add_option("spec", spec_path, "the spec file (.yaml, .yml or .toml)")->required();
  run->add_option("overrides", overrides, "key=value, key=[a,b], +key=value, ~key");
  run->add_option("--db", db_path, "results database (default $TORCHSWEEP_DB, else torchsweep.db)");
  run->add_flag("--dry-run", dry_run, "validate and list the runs; train nothing, write nothing");
  run->add_flag("--resume", resume,
                "continue the latest sweep of this spec (the default when its runs match): finished runs are "
                "skipped, the others continue from their last checkpoint");
  auto* fresh_flag =
      run->add_flag("--fresh", fresh, "record a new sweep even when this spec's latest sweep could be continued");
  run->add_option("--workers", workers, "worker processes on this machine, each taking the next waiting run")
      ->check(CLI::Range(1, 1024));
  run->add_option("--threads", threads, "intra-op threads per run where train.threads is 0 (default cores/workers)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  run->add_option("--gpus", gpus_text, "GPU indices to spread workers over, e.g. 0,1 (default: every visible GPU)");
  fresh_flag->excludes("--resume");

  int64_t sweep_id = 0;
  std::string prefix;
  bool exclusive = false;
  bool plain_lines = false;  // --lines
  auto* worker = app.add_subcommand(
      "worker", "take waiting runs from a database and train them until none is left (used by run --workers and "
                "Slurm tasks)");
  worker->add_option("--db", db_path, "results database (default $TORCHSWEEP_DB, else torchsweep.db)");
  worker->add_option("--sweep", sweep_id, "only this sweep's runs (default: any sweep's)");
  worker->add_option("--threads", threads, "intra-op threads per run where train.threads is 0 (default: cores)");
  worker->add_option("--artifacts", artifacts, "checkpoint folder root (default: DB-artifacts)");
  worker->add_option("--prefix", prefix, "prefix of every output line");
  worker->add_flag("--lines", plain_lines, "plain progress lines even on a terminal");
  bool status_records = false;
  int status_width = 0;
  worker->add_flag("--status-records", status_records,
                   "progress as status records for `run --workers N`, which draws one line per worker");
  worker->add_option("--width", status_width, "columns of the status records (0: this terminal's)")
      ->check(CLI::NonNegativeNumber);
  worker->add_flag("--exclusive", exclusive,
                   "this worker is the database's only user: a run left running is an earlier attempt's and continues");

  int64_t rerun_id = 0;
  auto* rerun_cmd = app.add_subcommand("rerun", "re-execute a recorded run from its stored config, as a new run");
  rerun_cmd->add_option("run", rerun_id, "the run id (see results list)")->required();
  rerun_cmd->add_option("--db", db_path, "results database (default $TORCHSWEEP_DB, else torchsweep.db)");
  rerun_cmd->add_option("--threads", threads, "intra-op threads where train.threads is 0 (default: cores)");

  std::string status_sweep;
  auto* status = app.add_subcommand("status", "a sweep's progress: runs by status, runs in progress, Slurm jobs");
  status->add_option("sweep", status_sweep, "latest (default), all, a sweep id or a name");
  status->add_option("--db", db_path, "results database (default $TORCHSWEEP_DB, else torchsweep.db)");

  bool slurm = false;
  SlurmOptions slurm_options;
  auto* submit = app.add_subcommand("submit", "submit a sweep to a cluster as a job array (one run per task)");
  submit->add_option("spec", spec_path, "the spec file")->required();
  submit->add_option("overrides", overrides, "key=value, key=[a,b], +key=value, ~key");
  submit->add_option("--db", db_path, "the main results database the shards merge into");
  submit->add_flag("--slurm", slurm, "submit to Slurm (sbatch); the only scheduler so far")->required();
  submit->add_option("--partition", slurm_options.partition, "Slurm partition (default: the cluster's)");
  submit->add_option("--time", slurm_options.time, "time limit per task, e.g. 02:00:00");
  submit->add_option("--gpus-per-task", slurm_options.gpus_per_task, "GPUs per task")->check(CLI::Range(0, 64));
  submit->add_option("--cpus-per-task", slurm_options.cpus_per_task, "CPUs per task (threads per run)")
      ->check(CLI::Range(0, 4096));
  submit->add_option("--array-parallelism", slurm_options.array_parallelism, "at most this many tasks at once")
      ->check(CLI::Range(0, 1000000));
  submit->add_option("--sbatch-arg", slurm_options.sbatch_args, "another sbatch option, e.g. --account=abc (repeatable)")
      ->allow_extra_args(false);
  submit->add_option("--signal-seconds", slurm_options.signal_seconds,
                     "seconds before the time limit to checkpoint and requeue (default 120)")
      ->check(CLI::Range(10, 86400));
  submit->add_option("--max-array-size", slurm_options.max_array_size,
                     "largest job array (default: the cluster's MaxArraySize)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  submit->add_flag("--dry-run", slurm_options.dry_run, "print the sbatch scripts; record and submit nothing");

  auto* validate = app.add_subcommand("validate", "parse and validate a spec, list its runs; runs nothing");
  validate->add_option("spec", spec_path, "the spec file")->required();
  validate->add_option("overrides", overrides, "key=value, key=[a,b], +key=value, ~key");

  auto* models = app.add_subcommand("models", "list the registered models, data sets, losses and optimizers");

  std::string model_name;
  std::vector<std::string> model_options;
  auto* summary = app.add_subcommand("summary", "a model's layers, output shapes and parameter counts");
  summary->add_option("model", model_name, "a registered model (see torchsweep models)")->required();
  summary->add_option("options", model_options, "the model's options as key=value, e.g. dropout=0.1");

  auto* results = app.add_subcommand("results", "query the results database");
  results->require_subcommand(1);
  // Options of the results commands.
  std::string format = "table";  // --format: table | csv | json
  std::string sweep;             // --sweep: latest (default) | all | ID | NAME
  std::string by;                // --by: comma-separated parameter keys
  std::string metric = "train/loss";
  std::string at;                // --at: comma-separated steps
  std::string runs_text;         // --runs: comma-separated run ids
  std::string where;             // --where: a filter (docs/cli.md)
  std::string agg = "last";      // --agg: last | min | max | mean_last_k
  std::string goal;              // --goal: min | max (default: max for accuracies, else min)
  std::string sql_text;
  std::vector<std::string> shards;
  std::string into;
  std::string output;
  std::string title;
  bool log_y = false;
  std::string band;              // --band: minmax | std | none (curves: no band; plot: minmax)
  int64_t every = 1;             // --every: keep every Nth step
  int64_t points = 0;            // --points: N evenly spaced steps (only when given)
  int64_t run_id = 0;
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--db", db_path, "results database (default $TORCHSWEEP_DB, else torchsweep.db)");
    cmd->add_option("--sweep", sweep, "which sweep: latest (default), all, an id or a name");
    cmd->add_option("--where", where, "only runs matching a filter, e.g. 'optimizer.lr >= 0.1 and status = finished'");
  };
  auto add_format = [&](CLI::App* cmd) {
    cmd->add_option("--format", format, "table (default), csv or json");
  };
  auto add_thinning = [&](CLI::App* cmd) {
    cmd->add_option("--every", every, "keep every Nth step of each curve (and its last)");
    cmd->add_option("--points", points, "keep N evenly spaced steps of each curve, first and last included");
  };

  auto* list = results->add_subcommand("list", "one line per run");
  add_common(list);
  add_format(list);

  auto* compare = results->add_subcommand("compare", "one row per group of runs: a metric's first, last, min, ...");
  add_common(compare);
  add_format(compare);
  compare->add_option("--by", by, "parameter key(s) to group by, comma-separated (e.g. optimizer.lr)")->required();
  compare->add_option("--metric", metric, "metric name (default train/loss)");
  compare->add_option("--at", at, "also show the metric at these steps, comma-separated (e.g. 1,19)");
  compare->add_option("--agg", agg, "each run's value to rank groups by: last (default), min, max, mean_last_k");
  compare->add_option("--goal", goal, "min or max is better (default: max for accuracies, else min)");

  auto* show = results->add_subcommand("show", "one run: its record, parameters and metric summaries");
  show->add_option("run", run_id, "the run id")->required();
  show->add_option("--db", db_path, "results database");

  auto* sql = results->add_subcommand("sql", "a read-only SQL query on the database");
  sql->add_option("query", sql_text, "e.g. \"SELECT status, count(*) FROM runs GROUP BY status\"")->required();
  sql->add_option("--db", db_path, "results database");
  add_format(sql);

  auto* merge = results->add_subcommand("merge", "copy the runs of shard databases into one (idempotent)");
  merge->add_option("shards", shards, "shard databases, or folders of them")->required();
  merge->add_option("--into", into, "the database to merge into (created when missing)")->required();

  auto* curves = results->add_subcommand(
      "curves", "a metric's values per step: one column per run, or the mean of each group of runs");
  add_common(curves);
  add_format(curves);
  curves->add_option("--metric", metric, "metric name (default train/loss)");
  curves->add_option("--by", by, "parameter key(s): runs with equal values form a group, shown as its mean");
  curves->add_option("--runs", runs_text, "only these run ids, comma-separated");
  curves->add_option("--band", band, "also each group's band: minmax or std; none shows each run");
  add_thinning(curves);

  auto* export_cmd = results->add_subcommand("export", "every metric of one run, one row per step");
  export_cmd->add_option("run", run_id, "the run id (see results list)")->required();
  export_cmd->add_option("--db", db_path, "results database");
  export_cmd->add_option("--format", format, "csv (default), json or table");

  auto* plot = results->add_subcommand("plot", "draw a metric's curves to PNG or SVG (with gnuplot)");
  add_common(plot);
  plot->add_option("--metric", metric, "metric name (default train/loss)");
  plot->add_option("--by", by, "parameter key(s): runs with equal values form a group, drawn as its mean");
  plot->add_option("--runs", runs_text, "only these run ids, comma-separated");
  plot->add_option("--band", band, "around a group's mean: minmax (default) or std; none draws each run");
  add_thinning(plot);
  plot->add_option("-o,--output", output, "the chart: FILE.png or FILE.svg")->required();
  plot->add_option("--title", title, "chart title (default: the metric)");
  plot->add_flag("--logy", log_y, "logarithmic y axis");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << "torchsweep " << TORCHSWEEP_VERSION << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "torchsweep: " << e.what() << "\n";
    // Subcommand help goes to stdout through the exception's own app.
    return kExitBadInput;
  }

  try {
    if (*run) {
      // Everything is validated before the database is touched.
      const SweepPlan plan = load_sweep(spec_path, overrides);
      if (dry_run) {
        print_plan(plan, out);
        return kExitOk;
      }
      SweepRunOptions options;
      options.gpus = parse_gpus(gpus_text);
      auto store = Store::open(db_path);
      options.command_line = command_line(argc, argv);
      options.fresh = fresh;
      options.workers = workers;
      options.threads = threads;
      options.interactive = is_terminal(out);
      install_interrupt_handlers();
      const SweepOutcome outcome = run_sweep(plan, *store, out, options);
      out << fmt::format("{} finished, {} diverged, {} failed", outcome.finished, outcome.diverged, outcome.failed);
      if (outcome.interrupted) out << fmt::format(", {} interrupted", outcome.interrupted);
      if (outcome.pending) out << fmt::format(", {} not started", outcome.pending);
      if (outcome.skipped) out << fmt::format(", {} already done", outcome.skipped);
      out << "\n";
      if (outcome.stop_signal) {
        // The command that continues: the same spec and overrides (the same config
        // hashes) into the same database.
        std::string again = "torchsweep run " + shell_quote(spec_path);
        for (const auto& o : overrides) again += " " + shell_quote(o);
        out << fmt::format("stopped; continue with: {} --db {}\n", again, shell_quote(db_path));
      }
      return exit_code(outcome.stop_signal, outcome.failed);
    }
    if (*worker) {
      auto store = Store::open(db_path);
      WorkerOptions options;
      options.sweep_id = sweep_id;
      options.artifacts_root = artifacts;
      options.command_line = command_line(argc, argv);
      options.threads = threads;
      options.interactive = is_terminal(out) && !plain_lines;
      options.status_records = status_records;
      options.width = status_width;
      options.exclusive = exclusive;
      options.prefix = prefix;
      install_interrupt_handlers();
      const WorkerOutcome outcome = run_worker(*store, out, options);
      return exit_code(outcome.stop_signal, outcome.failed);
    }
    if (*rerun_cmd) {
      if (!path_exists(db_path)) throw InputError(db_path + ": no results database here (pass --db FILE)");
      auto store = Store::open(db_path);
      WorkerOptions options;
      options.command_line = command_line(argc, argv);
      options.threads = threads;
      options.interactive = is_terminal(out);
      install_interrupt_handlers();
      const RerunOutcome outcome = rerun(*store, rerun_id, out, options);
      return exit_code(interrupt_signal(), outcome.status == "failed" ? 1 : 0);
    }
    if (*status) {
      auto store = Store::open_read_only(db_path);
      print_status(store->db(), status_sweep, out);
      return kExitOk;
    }
    if (*submit) {
      const SweepPlan plan = load_sweep(spec_path, overrides);
      submit_slurm(plan, db_path, out, slurm_options);
      return kExitOk;
    }
    if (*validate) {
      print_plan(load_sweep(spec_path, overrides), out);
      return kExitOk;
    }
    if (*models) {
      print_models(out);
      return kExitOk;
    }
    if (*summary) {
      print_summary(summarize_model(*build_model(model_name, model_options)), out);
      return kExitOk;
    }
    if (*merge) {
      auto store = Store::open(into);
      for (const auto& shard : expand_shards(shards)) {
        const MergeCounts counts = merge_shard(*store, shard);
        out << fmt::format("{}: {} run(s) added, {} updated, {} already present, {} sweep(s) added\n", shard,
                           counts.runs, counts.updated, counts.skipped, counts.sweeps);
      }
      return kExitOk;
    }
    RunSelection selection{sweep, {}, where};
    for (const auto id : parse_steps("--runs", runs_text)) selection.run_ids.push_back(id);
    if (*export_cmd) {
      if (export_cmd->count("--format") == 0) format = "csv";
      const TableFormat fmt_choice = parse_table_format(format);
      auto store = Store::open_read_only(db_path);
      render(export_run(store->db(), run_id), fmt_choice, out);
      return kExitOk;
    }
    const TableFormat table_format = parse_table_format(format);
    // The curve flags, checked before the database is opened.
    std::optional<Band> band_choice;
    Downsample thinning{every, std::nullopt};
    for (auto* cmd : {curves, plot}) {
      if (!*cmd) continue;
      if (cmd->count("--band")) band_choice = parse_band(band);
      if (cmd->count("--points")) thinning.points = points;
      check_downsample(thinning);
    }
    auto store = Store::open_read_only(db_path);
    if (*show) {
      for (const auto& [title_text, table] : show_run(store->db(), run_id)) {
        out << title_text << "\n";
        render(table, table_format, out);
        out << "\n";
      }
    } else if (*sql) {
      render(run_sql(store->db(), sql_text), table_format, out);
    } else if (*list) {
      render(list_runs(store->db(), selection), table_format, out);
    } else if (*compare) {
      CompareOptions options{selection, split_list(by), metric, parse_steps("--at", at), agg, goal};
      if (options.by.empty()) throw InputError("--by: expected one or more parameter keys, e.g. optimizer.lr");
      render(compare_runs(store->db(), options), table_format, out);
    } else if (*curves || *plot) {
      std::vector<CurveGroup> groups;
      for (const auto& group : group_curves(load_curves(store->db(), selection, metric, split_list(by))))
        groups.push_back(downsample(group, thinning));
      if (*curves) {
        render(groups_table(groups, band_choice), table_format, out);
      } else {
        PlotOptions options;
        options.output = output;
        options.metric = metric;
        options.title = title;
        options.log_y = log_y;
        options.band = band_choice.value_or(Band::MinMax);
        const auto files = plot_groups(groups, options);
        out << fmt::format("wrote {} (data {}, script {})\n", files.chart, files.data, files.script);
      }
    }
    return kExitOk;
  } catch (const InputError& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const DatabaseError& e) {
    err << "torchsweep: results database " << db_path << ": " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "torchsweep: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace torchsweep
