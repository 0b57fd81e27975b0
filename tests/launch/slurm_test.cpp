#include "launch/slurm.h"

#include <algorithm>
#include <sstream>

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

TEST(SlurmTest, ShellQuotingKeepsWordsWhole) {
  EXPECT_EQ(torchsweep::shell_quote("plain/path-1.db"), "plain/path-1.db");
  EXPECT_EQ(torchsweep::shell_quote("it's here"), "'it'\\''s here'");
  EXPECT_EQ(torchsweep::shell_quote(""), "''");
  EXPECT_EQ(torchsweep::run_command({"printf", "%s|", "a b", "it's"}).output, "a b|it's|");
}

}  // namespace
