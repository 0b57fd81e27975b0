#include "cli/launch_commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <ostream>

#include "base/error.h"
#include "base/interrupt.h"
#include "base/number_text.h"
#include "base/paths.h"
#include "base/utf8.h"
#include "cli/arguments.h"
#include "cli/cli.h"
#include "cli/command_table.h"
#include "cli/spec_commands.h"
#include "device/devices.h"
#include "launch/local_launcher.h"
#include "launch/lr_find.h"
#include "launch/rerun.h"
#include "launch/slurm.h"
#include "launch/status.h"
#include "launch/worker.h"
#include "results/plot.h"
#include "results/run_queue.h"
#include "results/store.h"
#include "results/table.h"
#include "sweep/sweep.h"

namespace torchsweep {

namespace {

std::vector<int> parse_gpus(const std::string& text) {
  std::vector<int> out;
  for (const auto id : parse_integers("--gpus", text)) {
    if (id < 0) throw InputError("--gpus: expected GPU indices >= 0, got " + std::to_string(id));
    out.push_back(static_cast<int>(id));
  }
  if (!out.empty() && cuda_device_count() == 0)
    throw InputError("--gpus " + text + ": this machine has no CUDA device (or this LibTorch has no CUDA)");
  return out;
}

struct LaunchOptions {
  std::string spec_path;
  std::vector<std::string> overrides;
  bool dry_run = false;
  bool resume = false;
  bool fresh = false;
  bool quiet = false;      // --quiet: the summary line and errors only
  int workers = 1;         // --workers: worker processes
  int64_t threads = 0;     // --threads: intra-op threads per run when the spec leaves train.threads at 0
  std::string gpus_text;   // --gpus: comma-separated GPU indices
  std::string artifacts;   // --artifacts: checkpoint folder root
  int64_t sweep_id = 0;    // worker --sweep
  std::string prefix;      // worker --prefix
  bool exclusive = false;  // worker --exclusive
  bool recover_only = false;  // worker --recover-only
  int64_t max_lanes = 0;   // worker --max-lanes
  bool plain_lines = false;     // worker --lines
  bool status_records = false;  // worker --status-records
  int status_width = 0;         // worker --width
  int64_t rerun_id = 0;
  int64_t rerun_sweep_id = 0;  // rerun --sweep
  bool slurm = false;
  SlurmOptions slurm_options;
  LrFindOptions lr_find;   // lr-find --start, --end, --steps, --stop-factor
  std::string plot_path;   // lr-find --plot
};

void add_spec_arguments(CLI::App* command, LaunchOptions& options) {
  command->add_option("spec", options.spec_path, "the spec file (.yaml, .yml or .toml)")->required();
  add_overrides_argument(command, options.overrides);
}

int run_command(const LaunchOptions& o, CliContext& context) {
  // Everything is validated before the database is touched.
  const SweepPlan plan = load_sweep(o.spec_path, o.overrides);
  std::ostream& out = context.out;
  if (o.dry_run) {
    print_plan(plan, out);
    return 0;
  }
  SweepRunOptions options;
  options.gpus = parse_gpus(o.gpus_text);
  auto store = Store::open(context.db_path, Store::Check::Pages);
  options.command_line = command_line(context);
  options.fresh = o.fresh;
  options.workers = o.workers;
  options.threads = o.threads;
  options.interactive = is_terminal(out) && !o.quiet;
  options.quiet = o.quiet;
  install_interrupt_handlers();
  // Quiet: the runs' lines go nowhere; the summary and the continue hint still print.
  std::ostream discard(nullptr);
  const SweepOutcome outcome = run_sweep(plan, *store, o.quiet ? discard : out, options);
  out << fmt::format("{} finished, {} diverged, {} failed", outcome.finished, outcome.diverged, outcome.failed);
  if (outcome.stopped) out << fmt::format(", {} stopped early", outcome.stopped);
  if (outcome.paused) out << fmt::format(", {} paused at rungs", outcome.paused);
  if (outcome.interrupted) out << fmt::format(", {} interrupted", outcome.interrupted);
  if (outcome.pending) out << fmt::format(", {} not started", outcome.pending);
  if (outcome.skipped) out << fmt::format(", {} already done", outcome.skipped);
  out << "\n";
  if (outcome.stop_signal) {
    // The command that continues: the same spec and overrides (the same config
    // hashes) into the same database.
    std::string again = "torchsweep run " + shell_quote(o.spec_path);
    for (const auto& override_text : o.overrides) again += " " + shell_quote(override_text);
    out << fmt::format("stopped; continue with: {} --db {}\n", again, shell_quote(context.db_path));
  }
  return sweep_exit_code(outcome.stop_signal, outcome.failed);
}

int worker_command(const LaunchOptions& o, CliContext& context) {
  auto store = Store::open(context.db_path);
  WorkerOptions options;
  options.sweep_id = o.sweep_id;
  options.artifacts_root = o.artifacts;
  options.command_line = command_line(context);
  options.threads = o.threads;
  options.interactive = is_terminal(context.out) && !o.plain_lines;
  options.status_records = o.status_records;
  options.width = o.status_width;
  options.exclusive = o.exclusive;
  options.max_lanes = o.max_lanes;
  options.prefix = o.prefix;
  if (o.recover_only) {
    // A job's first step: its runs an earlier attempt left running become interrupted,
    // so that the workers it starts next take them again (from their checkpoints).
    const auto ids = RunQueue(store->db()).recover_stale(options.sweep_id, this_process(), options.stale_after,
                                                        options.exclusive);
    context.out << fmt::format("{} run(s) left running by an earlier process given back{}{}\n", ids.size(),
                               ids.empty() ? "" : ": ", fmt::join(ids, ", "));
    return 0;
  }
  install_interrupt_handlers();
  const WorkerOutcome outcome = run_worker(*store, context.out, options);
  return sweep_exit_code(outcome.stop_signal, outcome.failed);
}

int rerun_command(const LaunchOptions& o, CliContext& context) {
  if (!path_exists(context.db_path))
    throw InputError(context.db_path + ": no results database here (pass --db FILE)");
  auto store = Store::open(context.db_path, Store::Check::Pages);
  WorkerOptions options;
  options.command_line = command_line(context);
  options.threads = o.threads;
  options.interactive = is_terminal(context.out);
  if (o.rerun_id == 0 && o.rerun_sweep_id == 0) throw InputError("rerun: give a run id, or --sweep ID for a whole sweep");
  install_interrupt_handlers();
  if (o.rerun_sweep_id > 0) {
    const SweepRerunOutcome outcome = rerun_sweep(*store, o.rerun_sweep_id, context.out, options);
    return sweep_exit_code(interrupt_signal(), outcome.identical() ? 0 : 1);
  }
  const RerunOutcome outcome = rerun(*store, o.rerun_id, context.out, options);
  return sweep_exit_code(interrupt_signal(), outcome.status == RunStatus::Failed ? 1 : 0);
}

/// lr-find's progress on a terminal: one line redrawn per step.
class LrFindProgress : public MetricSink {
 public:
  LrFindProgress(std::ostream& out, int64_t steps) : out_(out), steps_(steps) {}
  void log(int64_t step, const MetricRow& row) override {
    if (row.size() != 3 || row[0].first != "lr_find/lr") return;  // the suggestions at the end
    out_ << fmt::format("\r\x1b[Kstep {}/{}  lr {}  loss {}  smoothed {}", step + 1, steps_,
                        readable_number(row[0].second, 3), readable_number(row[1].second, 4),
                        readable_number(row[2].second, 4))
         << std::flush;
    drawn_ = true;
  }
  void run_ended(const RunEnded&) override {
    if (drawn_) out_ << "\r\x1b[K" << std::flush;
  }

 private:
  std::ostream& out_;
  int64_t steps_;
  bool drawn_ = false;
};

int lr_find_command(const LaunchOptions& o, CliContext& context) {
  // Everything is checked before the database is touched: the flags, the spec, --plot.
  if (const std::string error = lr_find_options_error(o.lr_find); !error.empty()) throw InputError(error);
  const SweepPlan plan = load_sweep(o.spec_path, o.overrides);
  if (!o.plot_path.empty()) {
    const std::string ext = ascii_lower(path_extension(o.plot_path));
    if (ext != ".png" && ext != ".svg")
      throw InputError("--plot " + o.plot_path + ": expected a file name ending in .png or .svg");
  }
  std::ostream& out = context.out;
  const bool terminal = is_terminal(out);
  auto store = Store::open(context.db_path, Store::Check::Pages);
  LrFindRunOptions options;
  options.test = o.lr_find;
  options.command_line = command_line(context);
  options.threads = o.threads;
  LrFindProgress progress(out, o.lr_find.steps);
  if (terminal) options.watcher = &progress;
  install_interrupt_handlers();
  const LrFindRecord record = record_lr_find(plan, *store, options);
  const LrFindOutcome& outcome = record.outcome;
  const LrFindResult& result = outcome.result;
  out << fmt::format("lr-find '{}': run {} (sweep {}) in {}, lr {} to {} over at most {} steps\n", plan.name,
                     record.run_id, record.sweep_id, store->db().path(), readable_number(o.lr_find.start_lr),
                     readable_number(o.lr_find.end_lr), o.lr_find.steps);
  if (outcome.status == RunStatus::Failed) {
    context.err << fmt::format("lr-find: run {} failed: {}\n", record.run_id, outcome.error);
    return sweep_exit_code(interrupt_signal(), 1);
  }
  out << fmt::format("{} step(s); {}\n", result.points.size(),
                     result.stop == LrFindStop::Completed ? result.stop_reason : "stopped: " + result.stop_reason);
  if (terminal) out << lr_find_text_plot(result);
  const LrSuggestions& s = result.suggestions;
  if (!s.valley) {
    out << "no suggestion: fewer than two finite losses (try a lower --start or more --steps)\n";
    return kExitOk;
  }
  Table table;
  table.columns = {"suggestion", "lr", "smoothed_loss", "rule"};
  table.rows.push_back({std::string("minimum"), s.minimum->lr, s.minimum->marked_loss,
                        "the lr of the lowest smoothed loss (" + readable_number(s.minimum->marked_lr) +
                            ") / 10: the suggestion"});
  table.rows.push_back({std::string("steep"), s.steep->lr, s.steep->marked_loss,
                        std::string("where the loss falls fastest against log(lr)")});
  table.rows.push_back({std::string("valley"), s.valley->lr, s.valley->marked_loss,
                        std::string("in the longest valley of the curve (fastai's default; low from scratch)")});
  render(table, TableFormat::Table, out);
  out << fmt::format("suggested lr: {} (a tenth of the rate at the lowest loss)\n", readable_number(result.suggested(), 3));
  if (const std::string line = lr_find_range_line(result); !line.empty())
    out << "a range for a random sweep (under sweep.parameters, with sweep.mode: random):\n  " << line << "\n";
  if (!o.plot_path.empty()) {
    std::vector<double> lrs, losses, smoothed;
    for (const auto& p : result.points) {
      lrs.push_back(p.lr);
      losses.push_back(p.loss);
      smoothed.push_back(p.smoothed);
    }
    std::vector<ChartMark> marks = {
        {"valley " + readable_number(s.valley->lr, 3), s.valley->marked_lr, s.valley->marked_loss},
        {"steep " + readable_number(s.steep->lr, 3), s.steep->marked_lr, s.steep->marked_loss},
        {"minimum/10 " + readable_number(s.minimum->lr, 3) + " (min at " + readable_number(s.minimum->marked_lr, 3) +
             ")",
         s.minimum->marked_lr, s.minimum->marked_loss}};
    PlotOptions plot;
    plot.output = o.plot_path;
    plot.metric = "lr_find/smoothed_loss";
    plot.title = "learning-rate range test - " + plan.name + " (run " + std::to_string(record.run_id) + ")\n" +
                 result.stop_reason;
    const PlotFiles files = plot_lr_find(lrs, losses, smoothed, marks, plot);
    out << fmt::format("chart: {} (data {}, script {})\n", files.chart, files.data, files.script);
  }
  return kExitOk;
}

}  // namespace

void add_launch_commands(CLI::App& app, CliContext& context, Commands& commands) {
  auto o = std::make_shared<LaunchOptions>();

  auto* run = app.add_subcommand("run", describe_command("run"));
  add_spec_arguments(run, *o);
  add_db_option(run, context);
  run->add_flag("--dry-run", o->dry_run, "validate and list the runs; train nothing, write nothing");
  run->add_flag("--resume", o->resume,
                "continue the latest sweep of this spec (the default when its runs match): finished runs are "
                "skipped, the others continue from their last checkpoint");
  auto* fresh_flag =
      run->add_flag("--fresh", o->fresh, "record a new sweep even when this spec's latest sweep could be continued");
  run->add_option("--workers", o->workers, "worker processes on this machine, each taking the next waiting run")
      ->check(CLI::Range(1, 1024));
  run->add_option("--threads", o->threads,
                  "intra-op threads per run where train.threads is 0 (default cores/workers)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  run->add_option("--gpus", o->gpus_text,
                  "GPU indices to spread workers over, e.g. 0,1 (default: every visible GPU)");
  fresh_flag->excludes("--resume");
  run->add_flag("-q,--quiet", o->quiet, "print only the summary line at the end (and errors)");
  commands.add(run, [o, &context] { return run_command(*o, context); });

  auto* worker = app.add_subcommand("worker", describe_command("worker"));
  add_db_option(worker, context);
  worker->add_option("--sweep", o->sweep_id, "only this sweep's runs (default: any sweep's)");
  worker->add_option("--threads", o->threads, "intra-op threads per run where train.threads is 0 (default: cores)");
  worker->add_option("--artifacts", o->artifacts, "checkpoint folder root (default: DB-artifacts)");
  worker->add_option("--prefix", o->prefix, "prefix of every output line");
  worker->add_flag("--lines", o->plain_lines, "plain progress lines even on a terminal");
  worker->add_flag("--status-records", o->status_records,
                   "progress as status records for `run --workers N`, which draws one line per worker");
  worker->add_option("--width", o->status_width, "columns of the status records (0: this terminal's)")
      ->check(whole_number_check("a number of columns", 0));
  worker->add_flag("--exclusive", o->exclusive,
                   "this worker is the database's only user: a run left running is an earlier attempt's and continues");
  worker->add_flag("--recover-only", o->recover_only,
                   "give back the runs whose process is gone (with --exclusive: every running run) and exit");
  worker->add_option("--max-lanes", o->max_lanes, "at most this many runs of a lane group trained at once (0: 16)")
      ->check(whole_number_check("a number of runs", 0));
  commands.add(worker, [o, &context] { return worker_command(*o, context); });

  auto* rerun_cmd = app.add_subcommand("rerun", describe_command("rerun"));
  auto* rerun_run = rerun_cmd->add_option("run", o->rerun_id, "the run id (see results list)")->check(run_id_check());
  auto* rerun_sweep_option =
      rerun_cmd->add_option("--sweep", o->rerun_sweep_id,
                            "re-execute every run of this sweep that ended, replaying its recorded decisions")
          ->check(run_id_check());
  rerun_run->excludes(rerun_sweep_option);
  add_db_option(rerun_cmd, context);
  rerun_cmd->add_option("--threads", o->threads, "intra-op threads where train.threads is 0 (default: cores)");
  commands.add(rerun_cmd, [o, &context] { return rerun_command(*o, context); });


  auto* lr_find = app.add_subcommand("lr-find", describe_command("lr-find"));
  add_spec_arguments(lr_find, *o);
  add_db_option(lr_find, context);
  lr_find->add_option("--start", o->lr_find.start_lr, "the first step's learning rate (default 1e-7)")
      ->check(number_check("a learning rate", 0));
  lr_find->add_option("--end", o->lr_find.end_lr, "the last step's learning rate (default 10)")
      ->check(number_check("a learning rate", 0));
  lr_find->add_option("--steps", o->lr_find.steps, "steps at most, the rate growing exponentially (default 100)")
      ->check(whole_number_check("a number of steps", 2));
  lr_find->add_option("--stop-factor", o->lr_find.stop_factor,
                      "stop when the smoothed loss passes this multiple of its best (default 4; 0: never)")
      ->check(number_check("a factor", 0));
  lr_find->add_option("--plot", o->plot_path, "draw loss against lr (log x) with the suggestions to FILE (.png or .svg)");
  lr_find->add_option("--threads", o->threads, "intra-op threads where train.threads is 0 (default: cores)");
  commands.add(lr_find, [o, &context] { return lr_find_command(*o, context); });

  auto* submit = app.add_subcommand("submit", describe_command("submit"));
  add_spec_arguments(submit, *o);
  add_db_option(submit, context)->description("the main results database the shards merge into");
  auto& slurm = o->slurm_options;
  submit->add_flag("--slurm", o->slurm, "submit to Slurm (sbatch); the only scheduler so far")->required();
  submit->add_option("--partition", slurm.partition, "Slurm partition (default: the cluster's)");
  submit->add_option("--time", slurm.time, "time limit per task, e.g. 02:00:00");
  submit->add_option("--gpus-per-task", slurm.gpus_per_task, "GPUs per task")->check(CLI::Range(0, 64));
  submit->add_option("--cpus-per-task", slurm.cpus_per_task, "CPUs per task (threads per run)")
      ->check(CLI::Range(0, 4096));
  submit->add_option("--array-parallelism", slurm.array_parallelism, "at most this many tasks at once")
      ->check(CLI::Range(0, 1000000));
  submit->add_option("--workers", slurm.workers,
                     "an adaptive sweep's worker processes, in one job on one node (default 1)")
      ->check(CLI::Range(1, 4096));
  submit->add_option("--sbatch-arg", slurm.sbatch_args, "another sbatch option, e.g. --account=abc (repeatable)")
      ->allow_extra_args(false);
  submit->add_option("--signal-seconds", slurm.signal_seconds,
                     "seconds before the time limit to checkpoint and requeue (default 120)")
      ->check(CLI::Range(10, 86400));
  submit->add_option("--max-array-size", slurm.max_array_size,
                     "largest job array (default: the cluster's MaxArraySize)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  submit->add_flag("--dry-run", slurm.dry_run, "print the sbatch scripts; record and submit nothing");
  commands.add(submit, [o, &context] {
    submit_slurm(load_sweep(o->spec_path, o->overrides), context.db_path, context.out, o->slurm_options);
    return 0;
  });
}

}  // namespace torchsweep
