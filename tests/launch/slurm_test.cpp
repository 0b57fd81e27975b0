#include "launch/slurm.h"

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

TEST(SlurmTest, ShellQuotingKeepsWordsWhole) {
  EXPECT_EQ(torchsweep::shell_quote("plain/path-1.db"), "plain/path-1.db");
  EXPECT_EQ(torchsweep::shell_quote("it's here"), "'it'\\''s here'");
  EXPECT_EQ(torchsweep::shell_quote(""), "''");
  EXPECT_EQ(torchsweep::run_command({"printf", "%s|", "a b", "it's"}).output, "a b|it's|");
}

}  // namespace
