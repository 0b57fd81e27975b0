#include "cli/results_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "base/error.h"
#include "base/paths.h"
#include "cli/arguments.h"
#include "results/annotations.h"
#include "results/comparison.h"
#include "results/curve_groups.h"
#include "results/curves.h"
#include "results/decision_views.h"
#include "results/merge.h"
#include "results/param_scan.h"
#include "results/param_spread.h"
#include "results/plot.h"
#include "results/removal.h"
#include "results/run_selection.h"
#include "results/run_views.h"
#include "results/schema.h"
#include "results/sql_query.h"
#include "results/store.h"
#include "results/sweep_export.h"
#include "results/sweep_views.h"
#include "results/table.h"

namespace torchsweep {

namespace {

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

struct ResultsOptions {
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
  std::vector<int64_t> run_ids;
  std::vector<std::string> tags, untag, sweeps;
  std::string note;
  bool yes = false;
  bool wide = false;              // export: one row per run; compare: every column
  std::string x;                 // plot --x: a parameter on the x axis, one point per run
  std::string summary = "last";  // plot --summary: each run's value with --x
  int64_t limit = -1;            // --limit of results sql; -1: the format's default
  double timeout = 30.0;         // --timeout of results sql, seconds

  RunSelection selection() const {
    RunSelection s{sweep, {}, where};
    for (const auto id : parse_integers("--runs", runs_text)) s.run_ids.push_back(id);
    return s;
  }
};

/// The database a command changes: it must exist (these commands never create one).
std::unique_ptr<Store> open_existing(const std::string& path) {
  if (!is_regular_file(path)) throw InputError("--db " + path + ": no database there");
  return Store::open(path, Store::Check::Pages);
}

/// Asks on the terminal whether to go on; false when the answer is not yes. Without a
/// terminal there is no one to ask: the command needs --yes.
bool confirmed(const std::string& question, std::ostream& out) {
  if (!isatty(STDIN_FILENO)) throw InputError("results delete: stdin is not a terminal; pass --yes to delete without asking");
  out << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

/// Curve groups of a `curves` or `plot` command, thinned as its flags say (checked
/// before the database is opened).
struct CurveRequest {
  std::optional<Band> band;
  Downsample thinning;
};

CurveRequest curve_request(const CLI::App* command, const ResultsOptions& o) {
  CurveRequest request{std::nullopt, Downsample{o.every, std::nullopt}};
  if (command->count("--band")) request.band = parse_band(o.band);
  if (command->count("--points")) request.thinning.points = o.points;
  check_downsample(request.thinning);
  return request;
}

/// `pooled`, when given, receives what `command` says of groups that pool runs of
/// different configurations (pooled_warning; "" when none).
std::vector<CurveGroup> load_groups(Database& db, const ResultsOptions& o, const CurveRequest& request,
                                    const std::string& command = "", std::string* pooled = nullptr) {
  std::vector<CurveGroup> groups;
  const auto by = split_list(o.by);
  for (const auto& group : group_curves(load_curves(db, o.selection(), o.metric, by)))
    groups.push_back(downsample(group, request.thinning));
  if (pooled && !by.empty()) {
    std::vector<RunGroup> runs;
    for (const auto& group : groups) {
      runs.push_back({group.label, {}});
      for (const auto& run : group.runs) runs.back().run_ids.push_back(run.run_id);
    }
    *pooled = pooled_warning(command, pooled_groups(db, runs, by), by);
  }
  return groups;
}

/// Every run id of the groups.
std::vector<int64_t> run_ids_of(const std::vector<CurveGroup>& groups) {
  std::vector<int64_t> ids;
  for (const auto& group : groups)
    for (const auto& run : group.runs) ids.push_back(run.run_id);
  return ids;
}

}  // namespace

void add_results_commands(CLI::App& app, CliContext& context, Commands& commands) {
  auto o = std::make_shared<ResultsOptions>();
  auto* results = app.add_subcommand("results", "query the results database");
  results->require_subcommand(1);
  auto add_common = [&](CLI::App* cmd) {
    add_db_option(cmd, context);
    cmd->add_option("--sweep", o->sweep, "which sweep: latest (default), all, an id or a name");
    cmd->add_option("--where", o->where,
                    "only runs matching a filter, e.g. 'optimizer.lr >= 0.1 and status = finished'");
  };
  auto add_format = [&](CLI::App* cmd) { cmd->add_option("--format", o->format, "table (default), csv or json"); };
  // curves and plot: which runs' curves, grouped how, with what band, thinned how.
  auto add_curve_options = [&](CLI::App* cmd, const char* grouped, const char* band) {
    add_common(cmd);
    cmd->add_option("--metric", o->metric, "metric name (default train/loss)");
    cmd->add_option("--by", o->by, std::string("parameter key(s): runs with equal values form a group, ") + grouped);
    cmd->add_option("--runs", o->runs_text, "only these run ids, comma-separated");
    cmd->add_option("--band", o->band, band);
    cmd->add_option("--every", o->every, "keep every Nth step of each curve (and its last)");
    cmd->add_option("--points", o->points, "keep N evenly spaced steps of each curve, first and last included");
  };
  // A query: its flags are checked, then the database is read (print_from_database:
  // no file left beside it).
  auto reading = [o, &context](std::function<void(Database&, TableFormat, std::ostream&)> query) {
    return [o, &context, query] {
      const TableFormat format = parse_table_format(o->format);
      print_from_database(context.db_path, context.out,
                          [&](Database& db, std::ostream& out) { query(db, format, out); });
      return 0;
    };
  };

  auto* list = results->add_subcommand("list", "one line per run");
  add_common(list);
  add_format(list);
  commands.add(list, reading([o](Database& db, TableFormat format, std::ostream& out) {
                 render(list_runs(db, o->selection()), format, out);
               }));

  auto* sweeps = results->add_subcommand("sweeps", "one line per sweep: its runs by status");
  add_db_option(sweeps, context);
  add_format(sweeps);
  commands.add(sweeps, reading([](Database& db, TableFormat format, std::ostream& out) {
                 render(list_sweeps(db), format, out);
               }));

  auto* rungs = results->add_subcommand(
      "rungs", "an adaptive sweep's rung levels: runs that reached each, the cutoff, who went on, who was stopped");
  add_db_option(rungs, context);
  rungs->add_option("--sweep", o->sweep, "which sweep: latest (default), all, an id or a name");
  add_format(rungs);
  commands.add(rungs, reading([o](Database& db, TableFormat format, std::ostream& out) {
                 render(rungs_table(db, o->sweep), format, out);
               }));

  auto* compare = results->add_subcommand("compare", "one row per group of runs: a metric's first, last, min, ...");
  add_common(compare);
  add_format(compare);
  compare->add_option("--by", o->by, "parameter key(s) to group by, comma-separated (e.g. optimizer.lr)")->required();
  compare->add_option("--metric", o->metric, "metric name (default train/loss)");
  compare->add_option("--at", o->at, "also show the metric at these steps, comma-separated (e.g. 1,19)");
  compare->add_option("--agg", o->agg, "each run's value to rank groups by: last (default), min, max, mean_last_k");
  compare->add_option("--goal", o->goal, "min or max is better (default: max for accuracies, else min)");
  compare->add_flag("--wide", o->wide,
                    "every column in the table (it is otherwise fit to 100 columns; csv and json have every column)");
  commands.add(compare, [o, &context] {
    CompareOptions options{o->selection(), split_list(o->by), o->metric, parse_integers("--at", o->at), o->agg,
                           o->goal};
    if (options.by.empty()) throw InputError("--by: expected one or more parameter keys, e.g. optimizer.lr");
    const TableFormat format = parse_table_format(o->format);
    std::string pooled;
    print_from_database(context.db_path, context.out, [&](Database& db, std::ostream& out) {
      std::vector<RunGroup> groups;
      const Table table = compare_runs(db, options, &groups);
      // The aligned table fits 100 columns unless --wide; csv and json carry every column.
      render(format == TableFormat::Table && !o->wide ? fit_comparison(table, options) : table, format, out);
      pooled = pooled_warning("results compare", pooled_groups(db, groups, options.by), options.by);
    });
    context.err << pooled;
    return 0;
  });

  auto* show = results->add_subcommand("show", "one run: its record, parameters and metric summaries");
  show->add_option("run", o->run_id, "the run id")->required()->check(run_id_check());
  add_db_option(show, context);
  commands.add(show, reading([o](Database& db, TableFormat format, std::ostream& out) {
                 for (const auto& [title, table] : show_run(db, o->run_id)) {
                   out << title << "\n";
                   render(table, format, out);
                   out << "\n";
                 }
               }));

  auto* sql = results->add_subcommand("sql", "one read-only SQL query on the database, rows as they come");
  sql->add_option("query", o->sql_text, "e.g. \"SELECT status, count(*) FROM runs GROUP BY status\"")->required();
  add_db_option(sql, context);
  add_format(sql);
  sql->add_option("--limit", o->limit, "write at most N rows (default 1000 for table output, all for csv and json)")
      ->check(whole_number_check("a number of rows", 0));
  sql->add_option("--timeout", o->timeout, "stop the query after this many seconds (default 30; 0: no limit)")
      ->check(number_check("a number of seconds", 0));
  commands.add(sql, [o, &context] {
    const TableFormat format = parse_table_format(o->format);
    SqlQueryLimits limits;
    limits.max_rows = o->limit >= 0 ? std::optional<int64_t>(o->limit) : default_sql_row_limit(format);
    limits.timeout = std::chrono::milliseconds(static_cast<int64_t>(o->timeout * 1000.0));
    const auto outcome = run_sql_query(context.db_path, o->sql_text, limits, format, context.out);
    if (outcome.truncated)
      context.err << fmt::format("results sql: the first {} rows are shown; more remain (--limit N, or --format csv)\n",
                                 outcome.rows);
    if (outcome.written_meanwhile)
      context.err << "results sql: the database was written while this query read it without a lock; "
                     "if the rows look inconsistent, run it again\n";
    return 0;
  });

  auto* merge = results->add_subcommand("merge", "copy the runs of shard databases into one (idempotent)");
  merge->add_option("shards", o->shards, "shard databases, or folders of them")->required();
  merge->add_option("--into", o->into, "the database to merge into (created when missing)")->required();
  commands.add(merge, [o, &context] {
    auto store = Store::open(o->into, Store::Check::Pages);
    for (const auto& shard : expand_shards(o->shards)) {
      const MergeCounts counts = merge_shard(*store, shard);
      std::string folders;
      if (counts.folders_copied > 0) folders += fmt::format(", {} artifact folder(s) copied", counts.folders_copied);
      if (counts.folders_handed > 0) folders += fmt::format(", {} artifact folder(s) handed over", counts.folders_handed);
      if (counts.decisions > 0) folders += fmt::format(", {} decision(s) added", counts.decisions);
      context.out << fmt::format("{}: {} run(s) added, {} updated, {} already present, {} sweep(s) added{}\n", shard,
                                 counts.runs, counts.updated, counts.skipped, counts.sweeps, folders);
    }
    return 0;
  });

  auto* curves = results->add_subcommand(
      "curves", "a metric's values per step: one column per run, or the mean of each group of runs");
  add_curve_options(curves, "shown as its mean", "also each group's band: minmax or std; none shows each run");
  add_format(curves);
  commands.add(curves, [o, &context, curves] {
    const TableFormat format = parse_table_format(o->format);
    const CurveRequest request = curve_request(curves, *o);
    std::string pooled;
    print_from_database(context.db_path, context.out, [&](Database& db, std::ostream& out) {
      render(groups_table(load_groups(db, *o, request, "results curves", &pooled), request.band), format, out);
    });
    context.err << pooled;
    return 0;
  });

  auto* export_cmd = results->add_subcommand(
      "export", "every metric of one run, one row per step; or of many runs (--sweep, --where): one row per point, "
                "or with --wide one row per run");
  export_cmd->add_option("run", o->run_id, "the run id (see results list)")->check(run_id_check());
  add_common(export_cmd);
  export_cmd->add_flag("--wide", o->wide, "many runs: one row per run, a column per parameter, the summaries");
  export_cmd->add_option("--format", o->format, "csv (default), json or table");
  commands.add(export_cmd, [o, &context, export_cmd] {
    const TableFormat format = parse_table_format(export_cmd->count("--format") ? o->format : "csv");
    const bool many = export_cmd->count("--sweep") || export_cmd->count("--where") || o->wide;
    if (export_cmd->count("run") && many)
      throw InputError("results export: a run id, or --sweep/--where/--wide for many runs, not both");
    if (!export_cmd->count("run") && !many) throw InputError("results export: expected a run id, or --sweep S");
    print_from_database(context.db_path, context.out, [&](Database& db, std::ostream& out) {
      if (!many)
        render(export_run(db, o->run_id), format, out);
      else
        render(o->wide ? export_wide(db, o->selection()) : export_points(db, o->selection()), format, out);
    });
    return 0;
  });

  auto* tag = results->add_subcommand("tag", "tag a run (results list --where \"tags like '%best%'\"), or set its note");
  tag->add_option("run", o->run_id, "the run id")->required()->check(run_id_check());
  tag->add_option("tags", o->tags, "tags to add (no commas or spaces)");
  tag->add_option("--remove", o->untag, "tags to take off");
  tag->add_option("--note", o->note, "the run's note (\"\" clears it)");
  add_db_option(tag, context);
  commands.add(tag, [o, &context, tag] {
    if (o->tags.empty() && o->untag.empty() && !tag->count("--note"))
      throw InputError("results tag: expected tags to add, --remove TAG or --note TEXT");
    if (tag->count("--note")) check_note(o->note);  // before anything is written
    auto store = open_existing(context.db_path);
    tag_runs(store->db(), {o->run_id}, o->tags, o->untag);
    if (tag->count("--note")) set_note(store->db(), o->run_id, o->note);
    std::string tags;
    for (const auto& t : tags_of(store->db(), o->run_id)) tags += (tags.empty() ? "" : ", ") + t;
    context.out << fmt::format("run {}: tags: {}\n", o->run_id, tags.empty() ? "(none)" : tags);
    return 0;
  });

  auto* upgrade = results->add_subcommand(
      "upgrade", "bring a database written by an older torchsweep to this one's schema (reading commands ask for it)");
  add_db_option(upgrade, context);
  commands.add(upgrade, [&context] {
    if (!is_regular_file(context.db_path)) throw InputError("--db " + context.db_path + ": no database there");
    int before = 0;
    {
      Database probe(context.db_path, Database::Mode::ReadOnly);
      before = schema_version(probe);
    }
    open_existing(context.db_path);  // opening for writing upgrades, in one transaction
    context.out << (before == kSchemaVersion
                        ? fmt::format("{}: schema {}, already this torchsweep's\n", context.db_path, before)
                        : fmt::format("{}: upgraded from schema {} to {}\n", context.db_path, before, kSchemaVersion));
    return 0;
  });

  auto* del = results->add_subcommand(
      "delete", "delete runs or whole sweeps: their records and their artifact folders (checkpoints)");
  del->add_option("runs", o->run_ids, "run ids")->check(run_id_check());
  del->add_option("--sweep", o->sweeps, "whole sweeps: an id, a name (its latest sweep) or all");
  del->add_flag("-y,--yes", o->yes, "do not ask for confirmation");
  add_db_option(del, context);
  commands.add(del, [o, &context] {
    if (o->run_ids.empty() && o->sweeps.empty()) throw InputError("results delete: expected run ids or --sweep S");
    auto store = open_existing(context.db_path);
    const Removal plan = plan_removal(store->db(), o->run_ids, o->sweeps);
    std::string what = fmt::format("{} run(s)", plan.run_ids.size());
    if (!plan.sweep_ids.empty()) what += fmt::format(" in {} sweep(s)", plan.sweep_ids.size());
    if (!plan.artifact_dirs.empty()) what += fmt::format(" and {} artifact folder(s)", plan.artifact_dirs.size());
    // Folders this database does not own stay (a copy's original, a merged shard's).
    constexpr size_t kShownKept = 5;
    for (size_t i = 0; i < plan.kept_dirs.size() && i < kShownKept; ++i)
      context.out << fmt::format("keeping {}: {}\n", plan.kept_dirs[i].dir, plan.kept_dirs[i].reason);
    if (plan.kept_dirs.size() > kShownKept)
      context.out << fmt::format("keeping {} more folder(s) this database does not own\n",
                                 plan.kept_dirs.size() - kShownKept);
    if (!o->yes && !confirmed("delete " + what + " from " + context.db_path + "?", context.out)) {
      context.out << "nothing deleted\n";
      return 1;
    }
    remove(store->db(), plan);
    context.out << "deleted " << what << "\n";
    return 0;
  });

  auto* plot = results->add_subcommand("plot", "draw a metric's curves to PNG or SVG (with gnuplot)");
  add_curve_options(plot, "drawn as its mean", "around a group's mean: minmax (default) or std; none draws each run");
  plot->add_option("-o,--output", o->output, "the chart: FILE.png or FILE.svg")->required();
  plot->add_option("--title", o->title,
                   "chart title (default: the metric, the runs' sweeps and the parameters chosen for them that they "
                   "share)");
  plot->add_flag("--logy", o->log_y, "logarithmic y axis");
  plot->add_option("--x", o->x,
                   "a numeric parameter (e.g. optimizer.lr): one point per run, its --summary of the metric against "
                   "the parameter, on a log axis when the values span a decade or more");
  plot->add_option("--summary", o->summary, "with --x, each run's value: last (default), min, max or mean_last_k");
  commands.add(plot, [o, &context, plot] {
    PlotOptions options;
    options.output = o->output;
    options.metric = o->metric;
    options.title = o->title;
    options.log_y = o->log_y;
    std::string pooled;
    if (plot->count("--x")) {
      // One point per run: the curve flags do not apply.
      for (const char* flag : {"--band", "--every", "--points"})
        if (plot->count(flag)) throw InputError(std::string(flag) + ": applies to curves; --x draws one point per run");
      check_scan_summary(o->summary);
      Scan scan;
      Store::read(context.db_path, [&](Store& store) {
        const ScanRequest request{o->selection(), o->x, o->metric, o->summary, split_list(o->by)};
        scan = load_scan(store.db(), request);
        std::vector<int64_t> ids;
        for (const auto& series : scan.series)
          for (const auto& point : series.points) ids.push_back(point.run_id);
        if (o->title.empty()) options.title = default_title(o->metric, runs_in_common(store.db(), ids), o->summary);
      });
      const auto files = plot_scan(scan, o->x, o->summary, options);
      context.out << fmt::format("wrote {} (data {}, script {})\n", files.chart, files.data, files.script);
      return 0;
    }
    if (plot->count("--summary")) throw InputError("--summary: applies with --x (one point per run)");
    const CurveRequest request = curve_request(plot, *o);
    std::vector<CurveGroup> groups;
    Store::read(context.db_path, [&](Store& store) {
      groups = load_groups(store.db(), *o, request, "results plot", &pooled);
      if (o->title.empty()) options.title = default_title(o->metric, runs_in_common(store.db(), run_ids_of(groups)));
    });
    options.band = request.band.value_or(Band::MinMax);
    const auto files = plot_groups(groups, options);
    context.err << pooled;
    context.out << fmt::format("wrote {} (data {}, script {})\n", files.chart, files.data, files.script);
    return 0;
  });
}

}  // namespace torchsweep
