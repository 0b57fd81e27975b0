// Results-store benchmarks, each against its reference in the same invocation:
//   1. bulk logging through a run's SqliteSink: points/s and µs per point;
//   2. the wall-time overhead of logging every step of the seed network, against
//      a sink that discards everything;
//   3. Optuna's SQLite storage (Debian python3-optuna) recording the same number of
//      intermediate values with trial.report (skipped when Optuna is missing);
//   4. queries on a generated database (runs × steps × metrics, 2 by default; 31 as the
//      seed network logs): results compare and results list --where;
//   5. `results serve` on that database: the page's first data (the runs table's JSON)
//      and a grouped curve with bands over every run, whole HTTP requests, against the
//      sqlite3 shell answering the same selection and the same aggregate.
//
//   build/results_bench [--sections 12345] [--points 2000000] [--seed-steps 20000] [--seed-repeats 5]
//                       [--runs 10000] [--steps 1000] [--metrics 2] [--keep DIR]
// --keep DIR keeps the generated database in DIR (and reuses it when it is there).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>
#include <cstdio>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <httplib.h>

#include "base/paths.h"
#include "results/comparison.h"
#include "results/sqlite.h"
#include "results/run_selection.h"
#include "results/sqlite_sink.h"
#include "results/store.h"
#include "sweep/sweep.h"
#include "train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class NullSink : public torchsweep::MetricSink {
 public:
  void log(int64_t, const torchsweep::MetricRow& row) override { points += static_cast<int64_t>(row.size()); }
  int64_t points = 0;
};

std::pair<int64_t, std::vector<int64_t>> new_sweep(torchsweep::Store& store, int runs) {
  std::vector<torchsweep::NewRun> new_runs;
  for (int i = 0; i < runs; ++i) {
    torchsweep::NewRun r;
    r.index = i;
    r.config_hash = fmt::format("{:016x}", i);
    r.config_json = "{}";
    r.seed = i % 5;
    const double lrs[] = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3};
    r.params = {{"optimizer.lr", lrs[(i / 5) % 6]}, {"seed", int64_t{i % 5}}, {"model.name", std::string("s6_cnn")}};
    r.swept_json = fmt::format(R"({{"optimizer.lr":{},"seed":{}}})", lrs[(i / 5) % 6], i % 5);
    new_runs.push_back(std::move(r));
  }
  return store.create_sweep({"bench", "{}", "bench", "bench.yaml"}, new_runs);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string text_arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

int64_t arg(int argc, char** argv, const std::string& name, int64_t fallback) {
  const std::string text = text_arg(argc, argv, name, "");
  return text.empty() ? fallback : std::stoll(text);
}

/// The metric keys of section 4's runs: train/loss and test/acc, then the seed
/// network's spreadsheet columns up to `count`.
std::vector<std::string> bench_metric_keys(int64_t count) {
  std::vector<std::string> keys = {"train/loss", "test/acc"};
  std::vector<std::string> seed = {"net/t1", "net/t2", "net/i1", "net/i2"};
  for (int w = 1; w <= 8; ++w) seed.push_back(fmt::format("net/w{}", w));
  for (const char* k : {"net/h1", "net/a_h1", "net/h2", "net/a_h2", "net/o1", "net/a_o1", "net/o2", "net/a_o2",
                        "net/E1", "net/E2"})
    seed.push_back(k);
  for (int w = 1; w <= 8; ++w) seed.push_back(fmt::format("grad/w{}", w));
  for (size_t i = 0; static_cast<int64_t>(keys.size()) < count; ++i)
    keys.push_back(i < seed.size() ? seed[i] : fmt::format("extra/{}", i));
  keys.resize(static_cast<size_t>(std::max<int64_t>(count, 1)));
  return keys;
}

/// Median of five timings of `command` as a whole process (-1 when it fails).
double median_of_5(const std::string& command) {
  std::vector<double> seconds;
  for (int i = 0; i < 5; ++i) {
    const auto t = Clock::now();
    if (std::system((command + " > /dev/null 2>&1").c_str()) != 0) return -1.0;
    seconds.push_back(since(t));
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[2];
}

/// `torchsweep results serve --port 0` on a database, as a child process; its port is
/// read from the line it prints.
class ServeProcess {
 public:
  ServeProcess(const std::string& front, const std::string& db) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> args = {front, "results", "serve", "--port", "0", "--db", db};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, front.c_str(), &actions, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot start " + front);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
    char line[4096] = {0};
    if (!std::fgets(line, sizeof line, out_)) throw std::runtime_error("results serve printed nothing");
    const std::string text(line);  // "serving DB at http://127.0.0.1:PORT/"
    const auto colon = text.rfind(':');
    port = std::stoi(text.substr(colon + 1));
  }
  ~ServeProcess() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    if (out_) std::fclose(out_);
  }
  int port = 0;

 private:
  pid_t pid_ = 0;
  FILE* out_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  torchsweep::skip_sqlite_memory_statistics();  // as in torchsweep-train, which records runs
  const int64_t points = arg(argc, argv, "--points", 2000000);
  const int64_t seed_steps = arg(argc, argv, "--seed-steps", 20000);
  const int64_t seed_repeats = arg(argc, argv, "--seed-repeats", 5);
  const int64_t runs = arg(argc, argv, "--runs", 10000);
  const int64_t steps = arg(argc, argv, "--steps", 1000);
  const int64_t metric_count = arg(argc, argv, "--metrics", 2);
  const std::string sections = text_arg(argc, argv, "--sections", "12345");
  const std::string keep = text_arg(argc, argv, "--keep", "");
  const auto section = [&](char n) { return sections.find(n) != std::string::npos; };
  const std::string dir = torchsweep::make_temp_directory("torchsweep-bench-");

  // 1. Bulk logging: 10 metrics per step through one run's sink.
  double bulk_rate = 0;
  if (section('1')) {
    auto store = torchsweep::Store::open(torchsweep::join_path(dir, "bulk.db"));
    const auto ids = new_sweep(*store, 1).second;
    torchsweep::SqliteSink sink(*store, ids[0], {});
    torchsweep::MetricRow row;
    for (int k = 0; k < 10; ++k) row.emplace_back(fmt::format("metric/{}", k), 0.0);
    const auto start = Clock::now();
    for (int64_t step = 0; step < points / 10; ++step) {
      for (auto& kv : row) kv.second = static_cast<double>(step) * 1e-3;
      sink.log(step, row);
    }
    sink.run_ended({torchsweep::RunStatus::Finished, "", points / 10, 0.0});
    const double seconds = since(start);
    bulk_rate = static_cast<double>(points) / seconds;
    std::cout << fmt::format("1. bulk logging: {} points in {:.3f} s = {:.0f} points/s, {:.3f} us/point "
                             "(incl. summaries; target >= 1,000,000 points/s)\n",
                             points, seconds, bulk_rate, 1e6 / bulk_rate);
  }
  // The reference: SQLite's own rate for the same points into a table of the same
  // layout, one prepared INSERT per point and a transaction per 8,192, no sink.
  if (section('1')) {
    torchsweep::Database db(torchsweep::join_path(dir, "raw.db"), torchsweep::Database::Mode::ReadWrite);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    db.exec("CREATE TABLE metrics (run_id INTEGER NOT NULL, key TEXT NOT NULL, step INTEGER NOT NULL, value REAL, "
            "PRIMARY KEY (run_id, key, step)) WITHOUT ROWID");
    auto insert = db.prepare("INSERT INTO metrics VALUES (1, ?, ?, ?)");
    std::vector<std::string> keys;
    for (int k = 0; k < 10; ++k) keys.push_back(fmt::format("metric/{}", k));
    const auto start = Clock::now();
    for (int64_t first = 0; first < points / 10; first += 8192 / 10) {
      torchsweep::Transaction tx(db);
      for (int64_t step = first; step < std::min(points / 10, first + 8192 / 10); ++step)
        for (const auto& key : keys) insert.bind_borrowed(1, key).bind(2, step).bind(3, static_cast<double>(step) * 1e-3).run();
      tx.commit();
    }
    const double rate = static_cast<double>(points) / since(start);
    std::cout << fmt::format("   reference, SQLite inserting the same points itself: {:.0f} points/s; the sink logs at "
                             "{:.2f}x SQLite's own rate\n",
                             rate, bulk_rate / rate);
  }

  // 2. The seed network, logging every step (31 metrics) vs discarding them. Runs
  // alternate between the two sinks and each side takes its median, so that warm-up and
  // a passing load weigh on both alike.
  if (section('2')) {
    const auto plan = torchsweep::load_sweep(std::string(TORCHSWEEP_SOURCE_DIR) + "/experiments/seed_backprop.yaml",
                                             {"optimizer.lr=0.5", fmt::format("train.steps={}", seed_steps), "train.threads=1"});
    auto store = torchsweep::Store::open(torchsweep::join_path(dir, "seed.db"));
    const auto ids = new_sweep(*store, static_cast<int>(seed_repeats)).second;
    std::vector<double> discarded, logged;
    int64_t seed_points = 0;
    for (int64_t r = 0; r < seed_repeats; ++r) {
      NullSink null;
      auto start = Clock::now();
      torchsweep::train_run(plan.runs[0].config, null);
      discarded.push_back(since(start));
      seed_points = null.points;
      torchsweep::SqliteSink sink(*store, ids[static_cast<size_t>(r)], {});
      start = Clock::now();
      torchsweep::train_run(plan.runs[0].config, sink);
      logged.push_back(since(start));
    }
    const double none = median(discarded);
    const double into = median(logged);
    std::cout << fmt::format(
        "2. seed network, {} steps, {} points, median of {} alternating runs: discarded {:.3f} s, into SQLite {:.3f} s: "
        "overhead {:.2f} % (target <= 2 %)\n",
        seed_steps, seed_points, seed_repeats, none, into, 100.0 * (into - none) / none);
  }

  // 3. Optuna's SQLite storage with trial.report, the same number of points (capped: it is slow).
  if (section('3') && bulk_rate > 0) {
    const int64_t optuna_points = std::min<int64_t>(points, 5000);
    const std::string command = fmt::format("/usr/bin/python3 {}/bench/optuna_report.py {} {} 2>/dev/null",
                                            TORCHSWEEP_SOURCE_DIR, optuna_points, torchsweep::join_path(dir, "optuna.db"));
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[256] = {0};
    const bool ok = pipe && std::fgets(buffer, sizeof buffer, pipe);
    const int status = pipe ? ::pclose(pipe) : -1;
    if (ok && status == 0) {
      const double seconds = std::stod(buffer);
      const double rate = static_cast<double>(optuna_points) / seconds;
      std::cout << fmt::format("3. optuna trial.report into SQLite: {} points in {:.3f} s = {:.0f} points/s; "
                               "torchsweep bulk / optuna = {:.0f}x\n",
                               optuna_points, seconds, rate, bulk_rate / rate);
    } else {
      std::cout << "3. optuna: skipped (Debian package python3-optuna is not installed)\n";
    }
  }

  // 4. Queries on runs × steps × metrics.
  if (!section('4') && !section('5')) {
    torchsweep::remove_all(dir);
    return 0;
  }
  const auto keys = bench_metric_keys(metric_count);
  const std::string path = torchsweep::join_path(
      keep.empty() ? dir : keep, fmt::format("query-{}x{}x{}.db", runs, steps, keys.size()));
  if (!torchsweep::path_exists(path)) {
    const auto start = Clock::now();
    {
      auto store = torchsweep::Store::open(path);
      const auto ids = new_sweep(*store, static_cast<int>(runs)).second;
      const std::vector<torchsweep::MetricKey> key_list(keys.begin(), keys.end());
      std::vector<torchsweep::MetricPoint> batch;
      for (size_t r = 0; r < ids.size(); ++r) {
        batch.clear();
        for (int64_t s = 0; s < steps; ++s) {
          const double x = static_cast<double>(s);
          batch.push_back({"train/loss", s, 2.0 / (1.0 + 0.01 * x * (1 + r % 7))});
          if (keys.size() > 1)
            batch.push_back({"test/acc", s, 0.5 + 0.45 * x / static_cast<double>(steps) - 0.01 * (r % 3)});
          for (size_t k = 2; k < keys.size(); ++k)
            batch.push_back({keys[k], s, std::sin(0.001 * x * static_cast<double>(k)) + 1e-4 * static_cast<double>(r)});
        }
        store->append_metrics(ids[r], batch, r == 0 ? key_list : std::vector<torchsweep::MetricKey>{});
        store->end_run(ids[r], torchsweep::RunStatus::Finished, "", steps, 1.0);
      }
    }
    std::cout << fmt::format("4. generated {} runs x {} steps x {} metrics in {:.1f} s ({:.0f} MB)\n", runs, steps,
                             keys.size(), since(start), static_cast<double>(torchsweep::file_size(path)) / 1e6);
  } else {
    std::cout << fmt::format("4. reusing {} ({:.0f} MB)\n", path, static_cast<double>(torchsweep::file_size(path)) / 1e6);
  }
  const std::string front = std::string(TORCHSWEEP_FRONT) + " ";
  const std::string db = " --db " + path;
  if (section('4')) {
    const double sqlite3_shell = median_of_5("sqlite3 " + path + " 'SELECT count(*) FROM runs'");
    // What checking every page costs a command that writes to this database.
    auto start = Clock::now();
    torchsweep::Store::open(path, torchsweep::Store::Check::Header);
    const double header_only = since(start);
    start = Clock::now();
    torchsweep::Store::open(path, torchsweep::Store::Check::Pages);
    std::cout << fmt::format("   opening it to write: {:.3f} s; with every page checked (quick_check): {:.3f} s\n",
                             header_only, since(start));
    auto store = torchsweep::Store::open_read_only(path);
    torchsweep::CompareOptions compare;
    compare.by = {"optimizer.lr"};
    compare.metric = "train/loss";
    start = Clock::now();
    const auto table = torchsweep::compare_runs(store->db(), compare);
    std::cout << fmt::format("   results compare --by optimizer.lr --metric train/loss: {} groups in {:.3f} s (target < 0.5 s)\n",
                             table.rows.size(), since(start));
    start = Clock::now();
    const auto listed = torchsweep::list_runs(
        store->db(), {"", {}, "optimizer.lr >= 0.01 and (status = finished or seed = 1) and test/acc.max > 0.93"});
    std::cout << fmt::format("   results list --where '...': {} runs in {:.3f} s (target < 0.5 s)\n", listed.rows.size(),
                             since(start));
    // The same as whole processes, as a user runs them (`torchsweep`, the program without
    // LibTorch), median of 5, against the sqlite3 shell answering a count on the same file
    // and the selection of the list below.
    const double shell_selection = median_of_5(
        "sqlite3 " + path + " \"SELECT r.id, r.status, r.swept_json FROM runs r JOIN params p ON p.run_id = r.id AND "
        "p.key = 'optimizer.lr' WHERE p.value >= 0.1 AND r.status = 'finished'\"");
    std::cout << fmt::format("   whole processes, median of 5 (sqlite3 shell: a count {:.3f} s; the selection of "
                             "list --where 'optimizer.lr >= 0.1 and status = finished' {:.3f} s):\n",
                             sqlite3_shell, shell_selection);
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"torchsweep --help", "--help"},
        {"torchsweep status", "status" + db},
        {"torchsweep results list --where '...'",
         "results list --where 'optimizer.lr >= 0.01 and (status = finished or seed = 1) and test/acc.max > 0.93'" + db},
        {"torchsweep results list --where lr, status --format csv",
         "results list --where 'optimizer.lr >= 0.1 and status = finished' --format csv" + db},
        {"torchsweep results compare --by optimizer.lr", "results compare --by optimizer.lr --metric train/loss" + db},
    };
    for (const auto& [name, args] : commands) {
      const double s = median_of_5(front + args);
      std::cout << fmt::format("   {:<56} {:.3f} s ({:.1f}x the sqlite3 shell's count; target <= {})\n", name, s,
                               s / sqlite3_shell, name == "torchsweep --help" ? "0.030 s" : "0.1 s");
    }
  }

  // 5. results serve: the requests the page makes first, whole requests over HTTP
  // (median of 5 after a first one), against the sqlite3 shell computing the same.
  if (section('5')) {
    ServeProcess server(std::string(TORCHSWEEP_FRONT), path);
    httplib::Client client("127.0.0.1", server.port);
    auto request = [&](const std::string& target, size_t* bytes) {
      std::vector<double> seconds;
      for (int i = 0; i < 6; ++i) {
        const auto t = Clock::now();
        const auto response = client.Get(target);
        if (!response || response->status != 200)
          throw std::runtime_error("GET " + target + ": " + (response ? std::to_string(response->status) : "no answer"));
        seconds.push_back(since(t));
        *bytes = response->body.size();
      }
      const double first = seconds.front();
      seconds.erase(seconds.begin());
      return std::make_pair(first, median(seconds));
    };
    const double shell_runs = median_of_5(
        "sqlite3 " + path + " \"SELECT r.id, r.status, r.swept_json, u.last, u.min, u.max, u.last_step FROM runs r "
        "LEFT JOIN summaries u ON u.run_id = r.id AND u.key = 'train/loss' WHERE r.sweep_id = "
        "(SELECT max(id) FROM sweeps)\"");
    const double shell_groups = median_of_5(
        "sqlite3 " + path + " \"SELECT p.value, m.step, count(*), avg(m.value), "
        "sqrt(max(0, (sum(m.value * m.value) - sum(m.value) * sum(m.value) / count(*)) / max(1, count(*) - 1))), "
        "min(m.value), max(m.value) FROM metrics m JOIN params p ON p.run_id = m.run_id AND p.key = 'optimizer.lr' "
        "WHERE m.key = 'train/loss' GROUP BY p.value, m.step\"");
    size_t bytes = 0;
    const auto [runs_first, runs_median] = request("/api/runs?metric=train/loss", &bytes);
    std::cout << fmt::format("5. results serve, GET /api/runs (the runs table, {} runs, {:.1f} MB of JSON): first {:.3f} s, "
                             "then median {:.3f} s (target <= 0.1 s); sqlite3 shell selecting the same {:.3f} s: "
                             "{:.2f}x\n",
                             runs, static_cast<double>(bytes) / 1e6, runs_first, runs_median, shell_runs,
                             runs_median / shell_runs);
    const auto [groups_first, groups_median] = request("/api/groups?metric=train/loss&by=optimizer.lr&width=800", &bytes);
    std::cout << fmt::format("   GET /api/groups by optimizer.lr over every run (mean, std, min, max per step, {:.0f} kB): "
                             "first {:.3f} s, then median {:.3f} s (target <= 0.5 s); sqlite3 shell aggregating the "
                             "same {:.3f} s: {:.2f}x\n",
                             static_cast<double>(bytes) / 1e3, groups_first, groups_median, shell_groups,
                             groups_median / shell_groups);
  }
  torchsweep::remove_all(dir);
  return 0;
}
