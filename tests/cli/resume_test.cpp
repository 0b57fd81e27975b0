// kill -9 in the middle of an epoch, then `run --resume`: training continues from
// the last checkpoint and ends with exactly the metrics of an uninterrupted run.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/test_helpers.h"

namespace {

using torchsweep::testing::TempDir;

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

std::vector<std::string> spec_args(const std::string& db) {
  return {TORCHSWEEP_BINARY, "run", torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
          "train.epochs=3", "data.train_limit=6400", "data.test_limit=1000", "train.deterministic=true",
          "train.threads=1", "train.log_every=1", "device=cpu", "--db", db};
}

pid_t spawn(std::vector<std::string> args) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
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

/// One value from the database, or "" (also while the file is being created).
std::string query(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW &&
        sqlite3_column_text(stmt, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

/// Every metric point of the run, as text with full precision, in a fixed order.
std::string all_metrics(const std::string& db) {
  return query(db,
               "SELECT group_concat(key || '@' || step || '=' || printf('%.17g', value), ';') FROM "
               "(SELECT key, step, value FROM metrics ORDER BY key, step)");
}

TEST(ResumeTest, KilledMidEpochResumesToTheSameMetrics) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  const std::string reference = dir.file("reference.db"), killed = dir.file("killed.db");
  ASSERT_EQ(wait_for(spawn(spec_args(reference))), 0);
  ASSERT_EQ(query(reference, "SELECT status FROM runs"), "finished");

  const pid_t pid = spawn(spec_args(killed));
  // Wait for the first checkpoint, then a little into epoch 2, and kill without warning.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (query(killed, "SELECT checkpoint_epoch FROM runs") != "1" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  wait_for(pid);
  ASSERT_EQ(query(killed, "SELECT status FROM runs"), "running") << "the run ended before it could be killed";
  EXPECT_EQ(query(killed, "SELECT count(*) FROM metrics WHERE key = 'test/acc'"), "1");

  auto resume = spec_args(killed);
  resume.push_back("--resume");
  ASSERT_EQ(wait_for(spawn(resume)), 0);
  EXPECT_EQ(query(killed, "SELECT status || ' ' || steps FROM runs"), "finished 150");
  EXPECT_EQ(query(killed, "SELECT count(*) FROM runs"), "1");
  EXPECT_EQ(query(killed, "PRAGMA integrity_check"), "ok");
  const std::string expected = all_metrics(reference);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(all_metrics(killed), expected);
  EXPECT_EQ(query(killed, "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), "150");
}

}  // namespace
