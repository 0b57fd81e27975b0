// Faults at the process level: kill -9 and SIGINT in the middle of training, killed
// workers and coordinators, then continuing; and reruns. Every run ends once, with
// exactly the metrics of an undisturbed run.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iterator>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/cli/cli_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::testing::TempDir;
using torchsweep::testing::cli::poll_value;

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

std::vector<std::string> spec_args(const std::string& db) {
  return {TORCHSWEEP_BINARY, "run", torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
          "train.epochs=3", "data.train_limit=6400", "data.test_limit=1000", "train.deterministic=true",
          "train.threads=1", "train.log_every=1", "device=cpu", "--db", db};
}

pid_t spawn(std::vector<std::string> args, const std::string& output = "/dev/null") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(output.c_str(), "w", stdout)) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Waits (up to 5 minutes) until the database's run has checkpointed its first epoch.
void wait_for_first_checkpoint(const std::string& db,
                               std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (poll_value(db, "SELECT checkpoint_epoch FROM runs") != "1" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(poll);
}

/// Every metric point of the run, as text with full precision, in a fixed order.
std::string all_metrics(const std::string& db) {
  return poll_value(db,
               "SELECT group_concat(key || '@' || step || '=' || printf('%.17g', value), ';') FROM "
               "(SELECT key, step, value FROM metrics ORDER BY key, step)");
}

TEST(ResumeTest, KilledMidEpochResumesToTheSameMetrics) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const std::string reference = dir.file("reference.db"), killed = dir.file("killed.db");
  ASSERT_EQ(wait_for(spawn(spec_args(reference))), 0);
  ASSERT_EQ(poll_value(reference, "SELECT status FROM runs"), "finished");

  const pid_t pid = spawn(spec_args(killed));
  // Wait for the first checkpoint, then a little into epoch 2, and kill without warning.
  wait_for_first_checkpoint(killed);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  wait_for(pid);
  ASSERT_EQ(poll_value(killed, "SELECT status FROM runs"), "running") << "the run ended before it could be killed";
  EXPECT_EQ(poll_value(killed, "SELECT count(*) FROM metrics WHERE key = 'test/acc'"), "1");

  auto resume = spec_args(killed);
  resume.push_back("--resume");
  ASSERT_EQ(wait_for(spawn(resume)), 0);
  EXPECT_EQ(poll_value(killed, "SELECT status || ' ' || steps FROM runs"), "finished 150");
  EXPECT_EQ(poll_value(killed, "SELECT count(*) FROM runs"), "1");
  EXPECT_EQ(poll_value(killed, "PRAGMA integrity_check"), "ok");
  const std::string expected = all_metrics(reference);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(all_metrics(killed), expected);
  EXPECT_EQ(poll_value(killed, "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), "150");
}

TEST(ResumeTest, ALaneGroupKilledMidEpochContinuesToTheNumbersOfItsRunsUninterrupted) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const std::string reference = dir.file("reference.db"), killed = dir.file("killed.db");
  auto args = [&](const std::string& db, const std::string& fuse) {
    auto a = spec_args(db);
    a.insert(a.end() - 2, {"optimizer.lr=0.01,0.03", "sweep.fuse=" + fuse});
    return a;
  };
  // The reference: the two runs trained one after the other, never interrupted.
  ASSERT_EQ(wait_for(spawn(args(reference, "off"))), 0);
  ASSERT_EQ(poll_value(reference, "SELECT group_concat(status) FROM runs"), "finished,finished");

  const pid_t pid = spawn(args(killed, "on"));
  // Both lanes have checkpointed their first epoch; a little into the second, kill -9.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (poll_value(killed, "SELECT min(coalesce(checkpoint_epoch, 0)) FROM runs") != "1" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  wait_for(pid);
  ASSERT_EQ(poll_value(killed, "SELECT group_concat(status) FROM runs"), "running,running")
      << "the group ended before it could be killed";
  EXPECT_EQ(poll_value(killed, "SELECT count(DISTINCT lane_group) || ' ' || count(lane_group) FROM runs"), "1 2");

  auto resume = args(killed, "on");
  resume.push_back("--resume");
  ASSERT_EQ(wait_for(spawn(resume)), 0);
  EXPECT_EQ(poll_value(killed, "SELECT group_concat(status || ' ' || steps || ' ' || attempts) FROM runs"),
            "finished 150 2,finished 150 2");
  EXPECT_EQ(poll_value(killed, "PRAGMA integrity_check"), "ok");
  const std::string each_run =
      "SELECT group_concat(run_id || ':' || key || '@' || step || '=' || printf('%.17g', value), ';') FROM "
      "(SELECT run_id, key, step, value FROM metrics ORDER BY run_id, key, step)";
  const std::string expected = poll_value(reference, each_run);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(poll_value(killed, each_run), expected);
}

}  // namespace

namespace {

std::string seed_spec() { return torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml"; }

/// Run id → its metrics as text, for runs that were finished.
std::map<std::string, std::string> finished_metrics(const std::string& db) {
  std::map<std::string, std::string> out;
  const std::string ids = poll_value(db, "SELECT group_concat(id) FROM runs WHERE status = 'finished'");
  std::stringstream in(ids);
  std::string id;
  while (std::getline(in, id, ','))
    out[id] = poll_value(db, "SELECT group_concat(key || '@' || step || '=' || printf('%.17g', value), ';') FROM "
                        "(SELECT key, step, value FROM metrics WHERE run_id = " + id + " ORDER BY key, step)");
  return out;
}

TEST(ResumeTest, SigintCheckpointsMidEpochExits130AndContinuesToTheSameMetrics) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const std::string reference = dir.file("reference.db"), stopped = dir.file("stopped.db");
  ASSERT_EQ(wait_for(spawn(spec_args(reference))), 0);
  const pid_t pid = spawn(spec_args(stopped));
  wait_for_first_checkpoint(stopped);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into epoch 2
  ASSERT_EQ(kill(pid, SIGINT), 0);
  EXPECT_EQ(wait_for(pid), 130);
  const std::string state = poll_value(stopped, "SELECT status || ' ' || steps FROM runs");
  ASSERT_EQ(state.substr(0, 12), "interrupted ") << state;
  const int steps = std::stoi(state.substr(12));
  EXPECT_GT(steps, 50) << "stopped inside epoch 2 (50 steps per epoch)";
  EXPECT_LT(steps, 100);
  // Running the same spec again continues the sweep (no flag needed) from the mid-epoch checkpoint.
  ASSERT_EQ(wait_for(spawn(spec_args(stopped))), 0);
  EXPECT_EQ(poll_value(stopped, "SELECT status || ' ' || steps || ' ' || attempts FROM runs"), "finished 150 2");
  EXPECT_EQ(poll_value(stopped, "SELECT count(*) FROM sweeps"), "1");
  EXPECT_EQ(all_metrics(stopped), all_metrics(reference));
}

TEST(ResumeTest, KilledCoordinatorAndWorkerThenResumeFinishEveryRunOnce) {
  TempDir dir;
  const std::string reference = dir.file("reference.db"), db = dir.file("workers.db");
  auto args = [&](const std::string& path, int workers) {
    // Runs trained one by one (not fused), so that each worker holds one at a time.
    return std::vector<std::string>{TORCHSWEEP_BINARY, "run",  seed_spec(), "train.steps=20000", "train.log_every=100",
                                    "sweep.fuse=off",  "--db", path,        "--workers",         std::to_string(workers)};
  };
  ASSERT_EQ(wait_for(spawn(args(reference, 1))), 0);
  const pid_t coordinator = spawn(args(db, 2));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (poll_value(db, "SELECT count(*) FROM runs WHERE status = 'finished'") < "1" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  while (poll_value(db, "SELECT count(*) FROM runs WHERE status = 'running' AND heartbeat_at IS NOT NULL") != "2" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto before = finished_metrics(db);
  ASSERT_FALSE(before.empty());
  // One worker first (the coordinator replaces it), then the coordinator itself.
  const std::string worker = poll_value(db, "SELECT pid FROM runs WHERE status = 'running' ORDER BY id LIMIT 1");
  ASSERT_FALSE(worker.empty());
  ASSERT_EQ(kill(std::stoi(worker), SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(coordinator, SIGKILL), 0);
  wait_for(coordinator);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the orphaned workers stop on SIGTERM

  ASSERT_EQ(wait_for(spawn(args(db, 2))), 0);
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM sweeps"), "1");
  EXPECT_EQ(poll_value(db, "SELECT count(*) || ' ' || count(DISTINCT config_hash) FROM runs"), "6 6");
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM runs WHERE status = 'finished' AND steps = 20000"), "6");
  EXPECT_EQ(poll_value(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), std::to_string(6 * 201));
  const auto after = finished_metrics(db);
  for (const auto& [id, metrics] : before) EXPECT_EQ(after.at(id), metrics) << "run " << id << " changed";
  // Every run, killed or not, ends with the metrics of an undisturbed run.
  EXPECT_EQ(poll_value(db, "SELECT group_concat(v, ';') FROM (SELECT printf('%.17g', value) AS v FROM metrics "
                      "WHERE key = 'train/loss' ORDER BY run_id, step)"),
            poll_value(reference, "SELECT group_concat(v, ';') FROM (SELECT printf('%.17g', value) AS v FROM metrics "
                             "WHERE key = 'train/loss' ORDER BY run_id, step)"));
}

TEST(ResumeTest, SigtermWhileWorkersStartStopsTheSweepAndLosesNoRun) {
  TempDir dir;
  const std::string db = dir.file("term.db");
  std::string rates;
  for (int i = 1; i <= 16; ++i) rates += (i > 1 ? "," : "") + std::to_string(i) + "e-2";
  const pid_t coordinator =
      spawn({TORCHSWEEP_BINARY, "run", seed_spec(), "optimizer.lr=" + rates, "train.steps=2000000", "--workers", "16",
             "--db", db},
            dir.file("out.txt"));
  // As soon as the sweep is recorded, the coordinator is starting its 16 workers.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (poll_value(db, "SELECT count(*) FROM runs") != "16" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(kill(coordinator, SIGTERM), 0);
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for(coordinator), 128 + SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(90)) << "SIGTERM took this long to act";
  // Every run can be taken again: none is left running, none finished 2,000,000 steps.
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM runs WHERE status IN ('pending', 'interrupted')"), "16");
  std::ifstream out(dir.file("out.txt"));
  const std::string printed((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(printed.find("stopped; continue with: torchsweep run"), std::string::npos) << printed;
}

TEST(ResumeTest, RerunIsBitIdenticalOnCpuAndLinkedToItsOriginal) {
  TempDir dir;
  const std::string db = dir.file("rerun.db");
  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "run", seed_spec(), "optimizer.lr=0.5", "train.deterministic=true",
                            "--db", db})),
            0);
  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "rerun", "1", "--db", db})), 0);
  EXPECT_EQ(poll_value(db, "SELECT status || ' ' || rerun_of FROM runs WHERE id = 2"), "finished 1");
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM sweeps"), "2");
  const char* points = "SELECT group_concat(key || '@' || step || '=' || printf('%.17g', value), ';') FROM "
                       "(SELECT key, step, value FROM metrics WHERE run_id = ";
  const std::string original = poll_value(db, std::string(points) + "1 ORDER BY key, step)");
  ASSERT_FALSE(original.empty());
  EXPECT_EQ(poll_value(db, std::string(points) + "2 ORDER BY key, step)"), original);
}

}  // namespace

namespace {

std::vector<std::string> cuda_spec_args(const std::string& db) {
  // 235 steps an epoch; the seed CNN's dropout draws on the GPU's generator, which the
  // mid-epoch checkpoint must carry for the continued run to match.
  return {TORCHSWEEP_BINARY, "run", torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
          "train.epochs=3", "data.train_limit=30000", "data.test_limit=1000", "train.deterministic=true",
          "train.log_every=10", "device=cuda", "--db", db};
}

/// Starts the run, waits until its first epoch is checkpointed and it is `into` seconds
/// into the second, then sends `signal`.
pid_t stop_in_epoch_two(const std::string& db, int signal, double into) {
  const pid_t pid = spawn(cuda_spec_args(db));
  wait_for_first_checkpoint(db, std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::duration<double>(into));
  kill(pid, signal);
  return pid;
}

TEST(ResumeCudaTest, InterruptedAndKilledRunsContinueToBitIdenticalMetrics) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const std::string reference = dir.file("reference.db");
  ASSERT_EQ(wait_for(spawn(cuda_spec_args(reference))), 0);
  ASSERT_EQ(poll_value(reference, "SELECT status || ' ' || steps || ' ' || device FROM runs"), "finished 705 cuda:0");
  const std::string expected = all_metrics(reference);

  // SIGINT: a checkpoint after the current step, mid-epoch, then the same command continues.
  const std::string stopped = dir.file("stopped.db");
  EXPECT_EQ(wait_for(stop_in_epoch_two(stopped, SIGINT, 0.15)), 130);
  const std::string state = poll_value(stopped, "SELECT status || ' ' || steps FROM runs");
  ASSERT_EQ(state.substr(0, 12), "interrupted ") << state;
  const int steps = std::stoi(state.substr(12));
  EXPECT_GT(steps, 235) << "stopped inside epoch 2";
  EXPECT_LT(steps, 470);
  ASSERT_EQ(wait_for(spawn(cuda_spec_args(stopped))), 0);
  EXPECT_EQ(poll_value(stopped, "SELECT status || ' ' || steps FROM runs"), "finished 705");
  EXPECT_EQ(all_metrics(stopped), expected);

  // kill -9: no warning; --resume continues from the epoch-1 checkpoint.
  const std::string killed = dir.file("killed.db");
  wait_for(stop_in_epoch_two(killed, SIGKILL, 0.15));
  ASSERT_EQ(poll_value(killed, "SELECT status FROM runs"), "running") << "the run ended before it could be killed";
  auto resume = cuda_spec_args(killed);
  resume.push_back("--resume");
  ASSERT_EQ(wait_for(spawn(resume)), 0);
  EXPECT_EQ(poll_value(killed, "SELECT status || ' ' || steps FROM runs"), "finished 705");
  EXPECT_EQ(all_metrics(killed), expected);
}

}  // namespace

namespace {

TEST(ResumeTest, TheContinueHintIsACommandThatContinues) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const std::string db = dir.file("hint.db"), output = dir.file("out.txt");
  auto args = spec_args(db);
  args.insert(args.begin() + 3, {"optimizer.momentum=0.5", "~scheduler"});  // overrides the hint must keep
  const pid_t pid = spawn(args, output);
  wait_for_first_checkpoint(db);
  ASSERT_EQ(kill(pid, SIGINT), 0);
  EXPECT_EQ(wait_for(pid), 130);
  std::ifstream in(output);
  std::string line, hint;
  while (std::getline(in, line))
    if (line.rfind("stopped; continue with: ", 0) == 0) hint = line.substr(24);
  ASSERT_EQ(hint.rfind("torchsweep run ", 0), 0u) << "no hint printed";
  EXPECT_NE(hint.find("optimizer.momentum=0.5"), std::string::npos) << hint;
  EXPECT_NE(hint.find("'~scheduler'"), std::string::npos) << "shell words quoted: " << hint;
  // Run the hint as a user would paste it (the program by its path).
  const std::string command = "cd " + dir.path() + " && " + TORCHSWEEP_BINARY + hint.substr(10) + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_EQ(poll_value(db, "SELECT status || ' ' || attempts FROM runs"), "finished 2");
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM runs"), "1") << "the same run continued, not a new one";
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM sweeps"), "1");
}

}  // namespace

namespace {

/// What a file holds ("" when it cannot be read).
std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// `cp from to`, for a database no process has open.
void copy_file(const std::string& from, const std::string& to) { std::ofstream(to, std::ios::binary) << file_text(from); }

std::vector<std::string> seed_run(const std::string& rates, const std::string& db) {
  return {TORCHSWEEP_BINARY, "run", seed_spec(), "optimizer.lr=" + rates, "train.steps=30",
          "train.deterministic=true", "--db", db};
}

/// Issue 22, item 2: a new database at a deleted one's path continued the old run's
/// finished checkpoint ("resuming after epoch 30 (step 30)") and recorded the new run
/// finished with no metrics. Now the old folder is named, left alone, and the run
/// trains from scratch to the numbers of a run in a database of its own.
TEST(ResumeTest, ANewDatabaseNeverContinuesAnotherDatabasesCheckpoint) {
  TempDir dir;
  const std::string db = dir.file("ar.db"), old_folder = dir.file("ar-artifacts/run-1");
  ASSERT_EQ(wait_for(spawn(seed_run("0.05", db))), 0);
  ASSERT_TRUE(torchsweep::path_exists(old_folder + "/latest")) << "the run checkpoints after its last step";
  const std::string old_latest = file_text(old_folder + "/latest");
  torchsweep::remove_all(db);

  ASSERT_EQ(wait_for(spawn(seed_run("0.01", db), dir.file("out.txt"))), 0);
  const std::string printed = file_text(dir.file("out.txt"));
  EXPECT_EQ(printed.find("resuming after"), std::string::npos) << printed;
  EXPECT_NE(printed.find("run 1: " + old_folder + " holds run 1 of database "), std::string::npos) << printed;
  EXPECT_NE(printed.find("training from scratch in " + old_folder + "-"), std::string::npos) << printed;
  EXPECT_EQ(poll_value(db, "SELECT status || ' ' || steps FROM runs"), "finished 30");
  EXPECT_EQ(file_text(old_folder + "/latest"), old_latest) << "the old folder is left as it was";

  torchsweep::create_directories(dir.file("alone"));
  const std::string reference = dir.file("alone/reference.db");
  ASSERT_EQ(wait_for(spawn(seed_run("0.01", reference))), 0);
  const std::string expected = all_metrics(reference);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(all_metrics(db), expected);
  EXPECT_EQ(poll_value(db, "SELECT count(*) FROM metrics"), poll_value(reference, "SELECT count(*) FROM metrics"));
}

/// Issue 22, item 3: deleting runs in a copy of a database, or in a database they were
/// merged into, removed the original's folders, which it still records.
TEST(ResumeTest, DeletingInACopyOrAMergedDatabaseKeepsTheOriginalsFiles) {
  TempDir dir;
  const std::string a = dir.file("a.db"), b = dir.file("b.db"), merged = dir.file("merged.db");
  ASSERT_EQ(wait_for(spawn(seed_run("0.1,0.2", a))), 0);
  const std::string checkpoint = poll_value(a, "SELECT checkpoint FROM runs WHERE id = 2");
  ASSERT_EQ(checkpoint.rfind(dir.file("a-artifacts/run-2/"), 0), 0u) << checkpoint;
  ASSERT_TRUE(torchsweep::is_directory(checkpoint));
  copy_file(a, b);

  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "results", "delete", "2", "--yes", "--db", b}, dir.file("b.txt"))), 0);
  EXPECT_EQ(poll_value(b, "SELECT count(*) FROM runs"), "1");
  EXPECT_TRUE(torchsweep::is_directory(checkpoint)) << "a.db's checkpoint of run 2 is still there";
  EXPECT_NE(file_text(dir.file("b.txt")).find("keeping " + dir.file("a-artifacts/run-2") + ": it belongs to run 2 of"),
            std::string::npos)
      << file_text(dir.file("b.txt"));

  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "results", "merge", a, "--into", merged})), 0);
  EXPECT_EQ(poll_value(merged, "SELECT group_concat(artifact_dir, ' ') FROM runs"),
            dir.file("merged-artifacts/run-1") + " " + dir.file("merged-artifacts/run-2"));
  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "results", "delete", "--sweep", "1", "--yes", "--db", merged})), 0);
  EXPECT_EQ(poll_value(merged, "SELECT count(*) FROM runs"), "0");
  EXPECT_FALSE(torchsweep::path_exists(dir.file("merged-artifacts/run-1"))) << "the merged database's own copies go";
  EXPECT_TRUE(torchsweep::is_directory(checkpoint));
  EXPECT_TRUE(torchsweep::is_directory(poll_value(a, "SELECT checkpoint FROM runs WHERE id = 1")));

  // The original deletes its own folders.
  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "results", "delete", "2", "--yes", "--db", a})), 0);
  EXPECT_FALSE(torchsweep::path_exists(dir.file("a-artifacts/run-2")));
}

/// Issue 22 (review): `cp a.db b.db; mv a.db c.db; results delete 2 --db b.db` removed
/// a-artifacts/run-2, which c.db still records. With a.db gone, neither owns a's
/// folders: each keeps them, and b says why.
TEST(ResumeTest, DeletingInACopyOfAMovedDatabaseKeepsTheFoldersItStillRecords) {
  TempDir dir;
  const std::string a = dir.file("a.db"), b = dir.file("b.db"), c = dir.file("c.db");
  ASSERT_EQ(wait_for(spawn(seed_run("0.1,0.2", a))), 0);
  const std::string checkpoint = poll_value(a, "SELECT checkpoint FROM runs WHERE id = 2");
  ASSERT_EQ(checkpoint.rfind(dir.file("a-artifacts/run-2/"), 0), 0u) << checkpoint;
  copy_file(a, b);
  torchsweep::rename_path(a, c);

  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "results", "delete", "2", "--yes", "--db", b}, dir.file("b.txt"))), 0);
  EXPECT_EQ(poll_value(b, "SELECT count(*) FROM runs"), "1");
  EXPECT_TRUE(torchsweep::is_directory(checkpoint)) << "c.db's checkpoint of run 2 is still there";
  EXPECT_NE(file_text(dir.file("b.txt")).find("keeping " + dir.file("a-artifacts/run-2") + ": it was marked by " + a +
                                              ", which is gone"),
            std::string::npos)
      << file_text(dir.file("b.txt"));
  // c.db deletes none of a's folders either, and still records them.
  ASSERT_EQ(wait_for(spawn({TORCHSWEEP_BINARY, "results", "delete", "1", "--yes", "--db", c})), 0);
  EXPECT_TRUE(torchsweep::is_directory(dir.file("a-artifacts/run-1")));
  EXPECT_EQ(poll_value(c, "SELECT checkpoint FROM runs WHERE id = 2"), checkpoint);
}

}  // namespace

namespace {

/// Waits (up to 5 minutes) until the file holds `text`; false when it never did.
bool wait_for_output(const std::string& path, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path, std::ios::binary);
    const std::string seen((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (seen.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// The seed's CNN on Fashion-MNIST with an evaluation of 5,000 test images (seconds on one
/// thread) after each of few, short steps: a signal sent after the first evaluation's
/// line lands in the next evaluation (or in the one short step before it). No checkpoint
/// is written between the two: a stop during one would end the run right after it.
std::vector<std::string> evaluating_args(const std::string& db, const std::vector<std::string>& budget) {
  std::vector<std::string> args = {TORCHSWEEP_BINARY, "run",
                                   torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
                                   "data.test_limit=5000", "train.checkpoint_every=end", "train.deterministic=true",
                                   "train.threads=1", "train.log_every=1", "device=cpu", "--db", db};
  args.insert(args.begin() + 3, budget.begin(), budget.end());
  return args;
}

/// SIGINT after `line` appeared (the first evaluation ended): the run stops in the
/// second evaluation, recorded interrupted after step 2 with none of that evaluation
/// recorded; the same command continues it to exactly the metrics of an undisturbed run.
void stop_in_second_evaluation(const std::vector<std::string>& budget, const std::string& line,
                               const std::string& evaluated_rows) {
  TempDir dir;
  const std::string reference = dir.file("reference.db"), stopped = dir.file("stopped.db");
  ASSERT_EQ(wait_for(spawn(evaluating_args(reference, budget))), 0);
  ASSERT_EQ(poll_value(reference, "SELECT count(*) FROM metrics WHERE key = 'test/acc'"), "3");

  const pid_t pid = spawn(evaluating_args(stopped, budget), dir.file("out.txt"));
  ASSERT_TRUE(wait_for_output(dir.file("out.txt"), line)) << "no line \"" << line << "\" in the run's output";
  ASSERT_EQ(kill(pid, SIGINT), 0);
  EXPECT_EQ(wait_for(pid), 130);
  EXPECT_EQ(poll_value(stopped, "SELECT status || ' ' || steps || ' ' || error FROM runs"),
            "interrupted 2 stopped by SIGINT after step 2");
  EXPECT_EQ(poll_value(stopped, evaluated_rows), "1") << "the evaluation the stop cut short is not recorded";
  EXPECT_EQ(poll_value(stopped, "SELECT count(*) FROM metrics WHERE key IN ('test/loss', 'test/acc')"), "2");
  EXPECT_NE(poll_value(stopped, "SELECT checkpoint FROM runs"), "");

  ASSERT_EQ(wait_for(spawn(evaluating_args(stopped, budget))), 0);
  EXPECT_EQ(poll_value(stopped, "SELECT status || ' ' || steps || ' ' || attempts FROM runs"), "finished 3 2");
  EXPECT_EQ(all_metrics(stopped), all_metrics(reference));
}

TEST(ResumeTest, SigintDuringAnEvaluationEveryNStepsStopsThereAndTheContinuedRunEvaluates) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // Steps of 128 images, 10 an epoch: the evaluation after step 2 is mid-epoch.
  stop_in_second_evaluation({"~train.epochs", "train.steps=3", "~scheduler", "train.eval_every=1 steps",
                             "data.train_limit=1280"},
                            "step 1  test/loss", "SELECT count(*) FROM metrics WHERE key = 'test/acc'");
}

TEST(ResumeTest, SigintDuringAnEpochsEvaluationLeavesTheEpochUnrecordedUntilTheContinuedRunEndsIt) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // One step an epoch: epoch 2's evaluation follows its one step at once.
  stop_in_second_evaluation({"train.epochs=3", "data.train_limit=128"}, "epoch 1/3",
                            "SELECT count(*) FROM metrics WHERE key = 'train/loss_epoch'");
}

}  // namespace

namespace {

/// A run interrupted in a.db and continued in a copy of it (cp a.db b.db) continues
/// from a copy of its checkpoint in b's own folder, to the numbers of an undisturbed
/// run; a's folder, which a.db still records, is left as it was.
TEST(ResumeTest, ARunContinuedInACopyOfItsDatabaseContinuesFromACopyOfItsCheckpoint) {
  TempDir dir;
  const std::string a = dir.file("a.db"), b = dir.file("b.db");
  auto args = [&](const std::string& db) {
    return std::vector<std::string>{TORCHSWEEP_BINARY, "run", seed_spec(), "optimizer.lr=0.5", "train.steps=60000",
                                    "train.log_every=1000", "train.deterministic=true", "--db", db};
  };
  const pid_t pid = spawn(args(a));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  // Five points logged (5,000 steps): well inside the run's 60,000.
  while (std::atoi(poll_value(a, "SELECT count(*) FROM metrics WHERE key = 'train/loss'").c_str()) < 5 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  ASSERT_EQ(wait_for(pid), 130);
  ASSERT_EQ(poll_value(a, "SELECT status FROM runs"), "interrupted");
  const std::string a_folder = dir.file("a-artifacts/run-1");
  const std::string latest = file_text(a_folder + "/latest");
  ASSERT_FALSE(latest.empty());
  copy_file(a, b);

  ASSERT_EQ(wait_for(spawn(args(b), dir.file("b.txt"))), 0);
  const std::string printed = file_text(dir.file("b.txt"));
  EXPECT_NE(printed.find("run 1: its checkpoint folder " + a_folder + " belongs to run 1 of database "),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find("continuing from a copy in " + dir.file("b-artifacts/run-1")), std::string::npos) << printed;
  EXPECT_EQ(poll_value(b, "SELECT status || ' ' || steps || ' ' || artifact_dir FROM runs"),
            "finished 60000 " + dir.file("b-artifacts/run-1"));
  EXPECT_EQ(file_text(a_folder + "/latest"), latest) << "a's checkpoint is as a.db recorded it";
  EXPECT_EQ(poll_value(a, "SELECT status FROM runs"), "interrupted");

  torchsweep::create_directories(dir.file("alone"));
  const std::string reference = dir.file("alone/reference.db");
  ASSERT_EQ(wait_for(spawn(args(reference))), 0);
  EXPECT_EQ(all_metrics(b), all_metrics(reference));
}

}  // namespace
