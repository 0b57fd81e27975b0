#include "launch/local_launcher.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <optional>
#include <thread>
#include <utility>

#include "base/interrupt.h"
#include "device/devices.h"
#include "launch/adaptive_queue.h"
#include "launch/worker.h"
#include "launch/worker_board.h"
#include "results/run_queue.h"
#include "sweep/lane_groups.h"
#include "train/console_sink.h"

namespace torchsweep {

namespace {

void flatten_into(const nlohmann::json& value, const std::string& prefix,
                  std::vector<std::pair<std::string, SqlValue>>& out) {
  if (value.is_object()) {
    for (const auto& item : value.items()) flatten_into(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
    return;
  }
  if (value.is_null()) out.emplace_back(prefix, nullptr);
  else if (value.is_boolean()) out.emplace_back(prefix, static_cast<int64_t>(value.get<bool>()));
  else if (value.is_number_integer()) out.emplace_back(prefix, value.get<int64_t>());
  else if (value.is_number()) out.emplace_back(prefix, value.get<double>());
  else if (value.is_string()) out.emplace_back(prefix, value.get<std::string>());
  else out.emplace_back(prefix, value.dump());
}

/// A worker process: `torchsweep worker` on this sweep.
struct WorkerProcess {
  pid_t pid = 0;
  int slot = 0;     ///< which worker (and GPU) it is
  int output = -1;  ///< read end of its stdout and stderr when the coordinator draws them; -1 once closed
  LineSplitter lines;  ///< its partial last line between reads
};

/// Starts `executable args` with CUDA_VISIBLE_DEVICES=gpu (unless empty); with
/// `output_fd` >= 0 its stdout and stderr go there.
pid_t spawn_worker(const std::string& executable, const std::vector<std::string>& args, const std::string& gpu,
                   int output_fd) {
  // Everything the child needs is built before fork: after it, only exec-safe calls.
  std::vector<std::string> argv_text = {executable};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e)
    if (gpu.empty() || std::string(*e).rfind("CUDA_VISIBLE_DEVICES=", 0) != 0) env_text.emplace_back(*e);
  if (!gpu.empty()) env_text.push_back("CUDA_VISIBLE_DEVICES=" + gpu);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  // The child inherits the coordinator's stop handler, which only sets a flag: a
  // SIGTERM forwarded between fork and exec would set it in memory that exec then
  // replaces, and the worker would train on. So stop signals wait (blocked) until the
  // child has their default action back; one that came meanwhile then ends it.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  const pid_t pid = ::fork();
  if (pid != 0) ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) throw RuntimeFailure("cannot start a worker process: fork failed");
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    // Its own process group: a Ctrl-C reaches the coordinator, which forwards it once.
    ::setpgid(0, 0);
    // When the coordinator dies (even by kill -9), the worker stops gracefully.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(128 + SIGTERM);
    if (output_fd >= 0 && (::dup2(output_fd, STDOUT_FILENO) < 0 || ::dup2(output_fd, STDERR_FILENO) < 0)) _exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

/// Reads what a worker wrote and hands its whole lines to the board; at the end of
/// its output (the worker exited) closes the pipe.
void drain(WorkerProcess& worker, WorkerBoard& board, bool until_end) {
  char buffer[65536];
  while (worker.output >= 0) {
    const ssize_t n = ::read(worker.output, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !until_end) return;
    if (n <= 0) {
      const std::string rest = worker.lines.rest();
      if (!rest.empty()) board.take(worker.slot, rest);
      ::close(worker.output);
      worker.output = -1;
      return;
    }
    for (const auto& line : worker.lines.feed(buffer, static_cast<size_t>(n))) board.take(worker.slot, line);
    if (!until_end) return;
  }
}

/// Runs `workers` worker processes over the sweep until none has work left. A worker
/// that dies (a crash, kill -9) is replaced, and its run is taken again. On a terminal
/// the workers' output comes through pipes to one board: their lines scroll, and one
/// status line per worker is redrawn under them. Otherwise each prints whole lines.
void run_local_workers(Store& store, int64_t sweep_id, std::ostream& out, const SweepRunOptions& options,
                       int64_t threads) {
  std::vector<int> gpus = options.gpus;
  if (gpus.empty())
    for (int g = 0; g < cuda_device_count(); ++g) gpus.push_back(g);
  const std::string executable = options.executable.empty() ? "/proc/self/exe" : options.executable;
  const std::string artifacts =
      options.artifacts_root.empty() ? default_artifacts_root(store.db().path()) : options.artifacts_root;
  std::optional<WorkerBoard> board;
  if (options.interactive) board.emplace(out, options.workers, [] { return terminal_width(); });
  auto say = [&](const std::string& line) {
    if (board) board->print(line);
    else out << line << "\n" << std::flush;
  };
  // A lane group is split across the workers, so that each has runs to train.
  int64_t waiting = 0;
  for (const auto& run : store.sweep_runs(sweep_id)) waiting += is_done(run.status) ? 0 : 1;
  const int64_t lanes_per_worker = std::max<int64_t>(1, (waiting + options.workers - 1) / options.workers);
  auto start = [&](int slot) {
    std::vector<std::string> args = {"worker",      "--db",          store.db().path(),
                                     "--sweep",     std::to_string(sweep_id),
                                     "--threads",   std::to_string(threads),
                                     "--artifacts", artifacts,
                                     "--max-lanes", std::to_string(lanes_per_worker),
                                     "--prefix",    fmt::format("[worker {}] ", slot + 1)};
    // Several workers redrawing bars on one terminal would overwrite each other: they
    // send status records to the board, or (not a terminal) print whole lines.
    if (board) args.insert(args.end(), {"--status-records", "--width", std::to_string(terminal_width())});
    else args.push_back("--lines");
    const std::string gpu = gpus.empty() ? "" : std::to_string(gpus[static_cast<size_t>(slot) % gpus.size()]);
    WorkerProcess worker;
    worker.slot = slot;
    int fds[2] = {-1, -1};
    if (board && ::pipe2(fds, O_CLOEXEC) != 0) throw RuntimeFailure("cannot start a worker process: pipe failed");
    // Quiet workers write to /dev/null (their records are in the database anyway).
    const int silent = !board && options.quiet ? ::open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
    try {
      worker.pid = spawn_worker(executable, args, gpu, board ? fds[1] : silent);
    } catch (...) {
      if (board) ::close(fds[0]), ::close(fds[1]);
      if (silent >= 0) ::close(silent);
      throw;
    }
    if (silent >= 0) ::close(silent);
    if (board) {
      ::close(fds[1]);
      ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
      worker.output = fds[0];
    }
    return worker;
  };
  std::vector<WorkerProcess> running;
  // A signal while workers start stops the starting; those already started get it below.
  for (int slot = 0; slot < options.workers && interrupt_signal() == 0; ++slot) running.push_back(start(slot));
  say(fmt::format("{} worker processes, {} thread(s) each{}", running.size(), threads,
                  gpus.empty() ? "" : fmt::format(", over GPU(s) {}", fmt::join(gpus, ","))));
  int forwarded = 0;
  int replacements = 0;
  while (!running.empty()) {
    if (const int signal = interrupt_signal(); signal != 0 && forwarded == 0) {
      forwarded = signal;
      for (const auto& w : running) ::kill(w.pid, signal);
    }
    if (board) {
      // Wait for output (or 100 ms), then take what is there.
      std::vector<pollfd> fds;
      for (const auto& w : running)
        if (w.output >= 0) fds.push_back({w.output, POLLIN, 0});
      if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (auto& w : running) drain(w, *board, false);
      board->refresh();
    }
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done <= 0) {
      if (!board) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    auto it = std::find_if(running.begin(), running.end(), [&](const WorkerProcess& w) { return w.pid == done; });
    if (it == running.end()) continue;
    WorkerProcess ended = std::move(*it);
    running.erase(it);
    if (board) drain(ended, *board, true);  // the rest of what it wrote, before anything about its end
    if (!WIFSIGNALED(status) || forwarded) continue;
    // Killed outright: its run is still marked running. Mark it interrupted and let a
    // new worker continue it (bounded, in case the crash repeats).
    const auto stale = RunQueue(store.db()).recover_stale(sweep_id, this_process(), options.stale_after);
    std::string line = fmt::format("[worker {}] ended by signal {}", ended.slot + 1, WTERMSIG(status));
    if (!stale.empty()) line += fmt::format("; run {} will be continued", fmt::join(stale, ", "));
    say(line);
    if (replacements < static_cast<int>(store.sweep_runs(sweep_id).size())) {
      ++replacements;
      running.push_back(start(ended.slot));
    }
  }
  if (board) board->close();
}

}  // namespace

std::vector<std::pair<std::string, SqlValue>> flatten_config(const nlohmann::json& config) {
  std::vector<std::pair<std::string, SqlValue>> out;
  flatten_into(config, "", out);
  return out;
}

std::vector<NewRun> new_runs(const SweepPlan& plan) {
  std::vector<NewRun> runs;
  // The lane groups are decided here, once, and recorded with the runs. An adaptive
  // sweep's runs never group: each is judged, paused and promoted on its own.
  const bool adaptive = plan.early_stop.enabled() || !plan.search.space.empty();
  std::vector<int64_t> leader(plan.runs.size(), -1);
  if (!adaptive) {
    std::vector<nlohmann::json> configs;
    for (const auto& run : plan.runs) configs.push_back(run.config);
    for (const auto& group : lane_groups(configs, plan.fuse))
      if (groups_under(plan.fuse, configs[group.front()]))
        for (const size_t i : group) leader[i] = static_cast<int64_t>(group.front());
  }
  for (const auto& run : plan.runs) {
    NewRun r;
    r.index = run.index;
    r.config_hash = run.config_hash;
    r.config_json = run.config.dump();
    r.swept_json = run.swept.dump();
    r.seed = run.config.at("seed").get<int64_t>();
    r.device = run.config.at("device").get<std::string>();
    r.params = flatten_config(run.config);
    r.lane_leader = leader[runs.size()];
    runs.push_back(std::move(r));
  }
  return runs;
}

int64_t threads_per_worker(int workers, int64_t cores) { return std::max<int64_t>(1, cores / std::max(1, workers)); }

SweepOutcome run_sweep(const SweepPlan& plan, Store& store, std::ostream& out, const SweepRunOptions& options) {
  SweepOutcome outcome;
  const NewSweep sweep{plan.name, plan.spec_text, plan.spec_hash, plan.spec_path, nlohmann::json(plan.overrides).dump(),
                       plan.mode, "local", "", adaptive_record(plan)};
  const auto opened = store.open_sweep(sweep, new_runs(plan), options.fresh);
  outcome.sweep_id = opened.id;
  outcome.continued = !opened.created;
  for (const auto& run : opened.runs) {
    outcome.run_ids.push_back(run.id);
    if (is_done(run.status)) ++outcome.skipped;
  }
  if (opened.created) {
    out << fmt::format("sweep {} '{}': {} run(s) into {}\n", opened.id, plan.name, plan.runs.size(), store.db().path());
  } else {
    // Runs whose process died are interrupted; failed and interrupted ones are taken again.
    RunQueue queue(store.db());
    queue.recover_stale(opened.id, this_process(), options.stale_after);
    const int64_t again = queue.requeue(opened.id);
    // Which of them have a checkpoint to continue from (the others start over).
    auto kept = store.db().prepare("SELECT count(*) FROM runs WHERE sweep_id = ? AND status = ? AND checkpoint IS NOT NULL");
    kept.bind(1, opened.id).bind(2, to_string(RunStatus::Pending));
    const int64_t with_checkpoint = kept.step() ? kept.get_int(0) : 0;
    std::string continuing;
    if (again > 0 && with_checkpoint == again)
      continuing = fmt::format(", {} to continue from their checkpoints", again);
    else if (again > 0)
      continuing = fmt::format(", {} to continue ({} from a checkpoint, {} from the start: no checkpoint)", again,
                               with_checkpoint, again - with_checkpoint);
    out << fmt::format("continuing sweep {} '{}' in {}: {} of {} run(s) done{}\n", opened.id, plan.name,
                       store.db().path(), outcome.skipped, opened.runs.size(), continuing);
  }
  out.flush();

  // No more workers than runs to do: the others would start, find nothing and end.
  int64_t to_do = 0;
  for (const auto& run : store.sweep_runs(opened.id)) to_do += is_done(run.status) ? 0 : 1;
  SweepRunOptions capped = options;
  capped.workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(options.workers, to_do)));
  const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  const int64_t threads = options.threads > 0 ? options.threads
                          : capped.workers > 1 ? threads_per_worker(capped.workers, cores)
                                               : 0;
  if (capped.workers > 1) {
    run_local_workers(store, opened.id, out, capped, threads);
  } else {
    WorkerOptions worker;
    worker.sweep_id = opened.id;
    worker.artifacts_root = options.artifacts_root;
    worker.command_line = options.command_line;
    worker.threads = threads;
    worker.interactive = options.interactive;
    worker.stale_after = options.stale_after;
    run_worker(store, out, worker);
  }
  outcome.stop_signal = interrupt_signal();

  // The outcome is what the database says (runs a search proposed meanwhile included): workers in other processes wrote it.
  const auto before = opened.runs;
  const auto after = store.sweep_runs(opened.id);
  for (size_t i = 0; i < after.size(); ++i) {
    if (i < before.size() && is_done(before[i].status)) continue;
    switch (after[i].status) {
      case RunStatus::Finished: ++outcome.finished; break;
      case RunStatus::Diverged: ++outcome.diverged; break;
      case RunStatus::Failed: ++outcome.failed; break;
      case RunStatus::Stopped: ++outcome.stopped; break;
      case RunStatus::Paused: ++outcome.paused; break;
      case RunStatus::Pending: ++outcome.pending; break;
      default: ++outcome.interrupted; break;  // interrupted, or still held by another process
    }
  }
  return outcome;
}

}  // namespace torchsweep
