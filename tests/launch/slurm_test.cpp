#include "launch/slurm.h"

#include <stdlib.h>

#include <algorithm>
#include <sstream>

#include "base/paths.h"
#include "sweep/sweep.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

TEST(SlurmTest, ArraysAreSplitAtTheClustersLimit) {
  using Chunks = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(torchsweep::slurm_array_chunks(6, 1001), (Chunks{{0, 6}}));
  EXPECT_EQ(torchsweep::slurm_array_chunks(2500, 1001), (Chunks{{0, 1001}, {1001, 1001}, {2002, 498}}));
  EXPECT_EQ(torchsweep::slurm_array_chunks(1001, 1001), (Chunks{{0, 1001}}));
}

TEST(SlurmTest, ArrayScriptCheckpointsAndRequeuesOnTheSignal) {
  torchsweep::SlurmOptions options;
  options.partition = "gpu";
  options.time = "01:00:00";
  options.gpus_per_task = 1;
  options.sbatch_args = {"--account=lab"};
  const std::string script = torchsweep::slurm_array_script("seed lr", "/shared/x-slurm/sweep-3", "/opt/ts/torchsweep", options);
  for (const char* line : {"#SBATCH --job-name=torchsweep-seed_lr\n", "#SBATCH --requeue\n",
                           "#SBATCH --signal=B:USR1@120\n", "#SBATCH --partition=gpu\n", "#SBATCH --time=01:00:00\n",
                           "#SBATCH --gpus-per-task=1\n", "#SBATCH --account=lab\n",
                           "task=$(( ${TORCHSWEEP_TASK_OFFSET:-0} + SLURM_ARRAY_TASK_ID ))\n",
                           "scontrol requeue \"$SLURM_JOB_ID\""})
    EXPECT_NE(script.find(line), std::string::npos) << line << "\n" << script;
  EXPECT_NE(script.find("worker --exclusive --db \"$sweep_dir/shards/task-$task.db\""), std::string::npos);
  const std::string merge =
      torchsweep::slurm_merge_script("seed lr", "/shared/x-slurm/sweep-3", "/opt/ts/torchsweep", "/shared/x.db", options);
  EXPECT_NE(merge.find("/opt/ts/torchsweep results merge /shared/x-slurm/sweep-3/shards --into /shared/x.db"),
            std::string::npos)
      << merge;
}

TEST(SlurmTest, AdaptiveSweepIsOneJobOfWorkersOnOneNode) {
  torchsweep::SlurmOptions options;
  options.workers = 4;
  options.gpus_per_task = 1;
  options.cpus_per_task = 8;
  const std::string script =
      torchsweep::slurm_adaptive_script("seed asha", "/shared/x-slurm/sweep-3", "/opt/ts/torchsweep", 1, options);
  for (const char* line : {"#SBATCH --nodes=1\n", "#SBATCH --ntasks=4\n", "#SBATCH --gpus-per-task=1\n",
                           "#SBATCH --cpus-per-task=8\n", "#SBATCH --requeue\n", "#SBATCH --signal=B:USR1@120\n",
                           "shard=\"$sweep_dir/shards/adaptive.db\"\n",
                           "scontrol requeue \"$SLURM_JOB_ID\""})
    EXPECT_NE(script.find(line), std::string::npos) << line << "\n" << script;
  // Runs of an earlier attempt are given back before any worker starts (a worker of
  // this attempt never finds its run taken from it), then the workers start, each on
  // its own GPU of the job's four.
  const auto recover = script.find("worker --recover-only --exclusive --sweep 1 --db \"$shard\"");
  const auto workers = script.find("\"$torchsweep\" worker --sweep 1 --db \"$shard\" --lines --prefix \"[worker $w] \"");
  ASSERT_NE(recover, std::string::npos) << script;
  ASSERT_NE(workers, std::string::npos) << script;
  EXPECT_LT(recover, workers);
  EXPECT_EQ(torchsweep::run_command({"bash", "-n", "-c", script}).status, 0) << script;
  // The script run by bash with a stand-in for the program that prints what each
  // process was given: the recovery first, then worker w on the job's GPU w.
  torchsweep::testing::TempDir dir;
  const std::string fake = dir.write("fake-torchsweep", "#!/bin/sh\necho \"gpus=${CUDA_VISIBLE_DEVICES:-none} $*\"\n");
  ASSERT_EQ(torchsweep::run_command({"chmod", "+x", fake}).status, 0);
  const auto ran = torchsweep::run_command(
      {"env", "CUDA_VISIBLE_DEVICES=4,5,6,7", "SLURM_CPUS_PER_TASK=8", "bash", "-c",
       torchsweep::slurm_adaptive_script("seed asha", dir.path(), fake, 1, options) + "\n"});
  ASSERT_EQ(ran.status, 0) << ran.output;
  std::vector<std::string> lines;
  std::istringstream text(ran.output);
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u) << ran.output;
  EXPECT_EQ(lines[0], "gpus=4,5,6,7 worker --recover-only --exclusive --sweep 1 --db " + dir.path() +
                          "/shards/adaptive.db");
  std::sort(lines.begin() + 1, lines.end());
  for (int w = 0; w < 4; ++w)
    EXPECT_EQ(lines[static_cast<size_t>(w) + 1],
              "gpus=" + std::to_string(4 + w) + " worker --sweep 1 --db " + dir.path() +
                  "/shards/adaptive.db --lines --prefix [worker " + std::to_string(w) + "]  --artifacts " + dir.path() +
                  "/artifacts/adaptive --threads 8");
}

/// A submission with a stand-in sbatch on the PATH: the sweep is recorded and its
/// shards written as for a cluster. One task per lane group recorded at expansion, its
/// shard holding that group's runs as one group.
TEST(SlurmTest, EachRecordedLaneGroupIsOneTaskWhoseShardHoldsItAsAGroup) {
  torchsweep::testing::TempDir dir;
  const std::string bin = dir.file("bin");
  ASSERT_EQ(torchsweep::run_command({"mkdir", "-p", bin}).status, 0);
  const std::string sbatch = dir.write("bin/sbatch", "#!/bin/sh\necho 4242\n");
  ASSERT_EQ(torchsweep::run_command({"chmod", "+x", sbatch}).status, 0);
  const std::string path = getenv("PATH") ? getenv("PATH") : "";
  setenv("PATH", (bin + ":" + path).c_str(), 1);
  const std::string spec = dir.write(
      "s.yaml", "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 3}\n"
                "optimizer: {name: sgd, lr: [0.1, 0.2, 0.5]}\n");
  torchsweep::SlurmOptions options;
  options.max_array_size = 1000;
  options.executable = "/bin/true";
  auto submit = [&](const std::string& db, const std::vector<std::string>& overrides) {
    std::ostringstream out;
    return torchsweep::submit_slurm(torchsweep::load_sweep(spec, overrides), dir.file(db), out, options);
  };
  // Threads 1 and 2 for each rate: two groups of three.
  const auto grouped = submit("on.db", {"sweep.fuse=on", "train.threads=[1,2]"});
  // And a dry run counts the same tasks.
  options.dry_run = true;
  std::ostringstream dry;
  torchsweep::submit_slurm(torchsweep::load_sweep(spec, {"sweep.fuse=on", "train.threads=[1,2]"}), dir.file("dry.db"),
                           dry, options);
  options.dry_run = false;
  const auto alone = submit("off.db", {"sweep.fuse=off", "train.threads=[1,2]"});
  setenv("PATH", path.c_str(), 1);
  EXPECT_NE(dry.str().find("# 2 task(s)"), std::string::npos) << dry.str();
  auto main = torchsweep::Store::open(dir.file("on.db"));
  EXPECT_EQ(torchsweep::testing::scalar_int(main->db(), "SELECT count(DISTINCT lane_group) FROM runs"), 2);
  for (int task = 0; task < 2; ++task) {
    auto shard = torchsweep::Store::open(grouped.sweep_dir + "/shards/task-" + std::to_string(task) + ".db");
    EXPECT_EQ(torchsweep::testing::scalar_text(shard->db(), "SELECT group_concat(lane_group) FROM runs"), "1,1,1");
    // The shard's runs are one group of the main database's, the same uids.
    main->db().exec("ATTACH DATABASE '" + grouped.sweep_dir + "/shards/task-" + std::to_string(task) + ".db' AS shard");
    EXPECT_EQ(torchsweep::testing::scalar_int(main->db(), "SELECT count(DISTINCT m.lane_group) || count(*) FROM runs m "
                                                          "JOIN shard.runs s ON s.uid = m.uid"),
              13);
    main->db().exec("DETACH DATABASE shard");
  }
  EXPECT_FALSE(torchsweep::path_exists(grouped.sweep_dir + "/shards/task-2.db"));
  // fuse: off: a task per run, none of them grouped.
  EXPECT_TRUE(torchsweep::path_exists(alone.sweep_dir + "/shards/task-5.db"));
  auto off = torchsweep::Store::open(alone.sweep_dir + "/shards/task-5.db");
  EXPECT_EQ(torchsweep::testing::scalar_int(off->db(), "SELECT count(lane_group) FROM runs"), 0);
}

TEST(SlurmTest, ShellQuotingKeepsWordsWhole) {
  EXPECT_EQ(torchsweep::shell_quote("plain/path-1.db"), "plain/path-1.db");
  EXPECT_EQ(torchsweep::shell_quote("it's here"), "'it'\\''s here'");
  EXPECT_EQ(torchsweep::shell_quote(""), "''");
  EXPECT_EQ(torchsweep::run_command({"printf", "%s|", "a b", "it's"}).output, "a b|it's|");
}

}  // namespace
