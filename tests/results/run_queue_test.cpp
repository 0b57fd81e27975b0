// The run queue against a real SQLite file: workers take each waiting run once, dead
// holders are found, and their runs are taken again.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "results/run_queue.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Holder;
using torchsweep::NewRun;
using torchsweep::RunQueue;
using torchsweep::RunStatus;
using torchsweep::Store;
using torchsweep::this_process;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;
using torchsweep::testing::scalar_int;
using torchsweep::testing::scalar_text;
using torchsweep::testing::TempDir;

/// Every one of `runs` runs was claimed, by exactly one of the claimers.
void expect_each_claimed_once(const std::vector<std::vector<int64_t>>& taken, size_t runs) {
  std::set<int64_t> all;
  size_t total = 0;
  for (const auto& t : taken) {
    total += t.size();
    all.insert(t.begin(), t.end());
  }
  EXPECT_EQ(total, runs) << "a run claimed twice, or one left";
  EXPECT_EQ(all.size(), runs);
}

TEST(RunQueueTest, ClaimTakesEachWaitingRunOnceInOrder) {
  TempDir dir;
  auto store = Store::open(dir.file("c.db"));
  RunQueue queue(store->db());
  auto [sweep, ids] = store->create_sweep(make_sweep("c"), {make_run(0, 0.1, 1), make_run(1, 0.2, 1), make_run(2, 0.3, 1)});
  const Holder me{"host-a", 4242};
  std::vector<int64_t> taken;
  while (auto run = queue.claim_next(sweep, me)) {
    taken.push_back(run->id);
    EXPECT_EQ(run->attempts, 1);
    EXPECT_EQ(run->sweep_runs, 3);
  }
  EXPECT_EQ(taken, ids);
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM runs WHERE status = 'running' AND host = 'host-a' AND "
                                    "pid = 4242 AND heartbeat_at IS NOT NULL"),
            3);
}

TEST(RunQueueTest, ConcurrentClaimersNeverShareARun) {
  TempDir dir;
  const std::string path = dir.file("c.db");
  std::vector<NewRun> runs;
  for (int i = 0; i < 60; ++i) runs.push_back(make_run(i, 0.01 * (i + 1), 1));
  int64_t sweep = Store::open(path)->create_sweep(make_sweep("c"), runs).first;
  std::vector<std::vector<int64_t>> taken(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto store = Store::open(path);  // one connection each, as separate processes have
      RunQueue queue(store->db());
      while (auto run = queue.claim_next(sweep, {"h", t + 1})) taken[t].push_back(run->id);
    });
  for (auto& t : threads) t.join();
  expect_each_claimed_once(taken, 60);
}

TEST(RunQueueTest, DeadHoldersAreFoundAndTheirRunsTakenAgain) {
  TempDir dir;
  auto store = Store::open(dir.file("s.db"));
  RunQueue queue(store->db());
  auto [sweep, ids] = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1), make_run(1, 0.2, 1), make_run(2, 0.3, 1)});
  const Holder self = this_process();
  // Run 0: held by this (live) process. Run 1: a pid of this host that no longer exists.
  // Run 2: another host, whose heartbeat is then made an hour old.
  queue.claim_next(sweep, self);
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  queue.claim_next(sweep, {self.host, child});
  queue.claim_next(sweep, {"elsewhere", 1});
  store->db().exec("UPDATE runs SET heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE host = 'elsewhere'");
  const auto stale = queue.recover_stale(sweep, self, std::chrono::seconds(300));
  EXPECT_EQ(stale, (std::vector<int64_t>{ids[1], ids[2]}));
  EXPECT_EQ(scalar_text(store->db(), "SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY id)"),
            "running,interrupted,interrupted");
  // An interrupted run is taken again, as its second attempt.
  auto again = queue.claim_next(sweep, self);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, ids[1]);
  EXPECT_EQ(again->attempts, 2);
  // Failed runs wait again only when the sweep is continued (with the interrupted ones).
  store->end_run(ids[1], RunStatus::Failed, "boom", 1, 0.1);
  EXPECT_EQ(queue.requeue(sweep), 2);
  EXPECT_EQ(scalar_text(store->db(), "SELECT status FROM runs WHERE id = ?", ids[1]), "pending");
}

/// A sweep of seven runs whose lane groups were recorded at expansion: runs 0, 2, 3 and 5
/// in one group, 1 and 4 in another, 6 alone.
std::pair<int64_t, std::vector<int64_t>> grouped_sweep(Store& store) {
  std::vector<NewRun> runs;
  const std::vector<int64_t> leader = {0, 1, 0, 0, 1, 0, -1};
  for (int i = 0; i < 7; ++i) {
    runs.push_back(make_run(i, 0.1 * (i + 1), 1));
    runs.back().lane_leader = leader[static_cast<size_t>(i)];
  }
  return store.create_sweep(make_sweep("g"), runs);
}

std::vector<int64_t> ids_of(const std::vector<torchsweep::ClaimedRun>& group) {
  std::vector<int64_t> ids;
  for (const auto& run : group) ids.push_back(run.id);
  return ids;
}

TEST(RunQueueTest, TheGroupsRecordedWithTheRunsAreNumberedByTheirFirstRuns) {
  TempDir dir;
  auto store = Store::open(dir.file("g.db"));
  store->create_sweep(make_sweep("first"), {make_run(0, 0.1, 1)});  // ids differ from positions
  auto [sweep, ids] = grouped_sweep(*store);
  auto group_of = [&](size_t i) {
    return scalar_int(store->db(), "SELECT coalesce(lane_group, 0) FROM runs WHERE id = ?", ids[i]);
  };
  for (size_t i : {0, 2, 3, 5}) EXPECT_EQ(group_of(i), ids[0]) << i;
  for (size_t i : {1, 4}) EXPECT_EQ(group_of(i), ids[1]) << i;
  EXPECT_EQ(group_of(6), 0) << "alone: NULL";
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM runs WHERE lane_group IS NULL"), 2);
}

TEST(RunQueueTest, AClaimTakesTheNextRunAndTheOthersOfItsGroupThatWait) {
  TempDir dir;
  auto store = Store::open(dir.file("g.db"));
  RunQueue queue(store->db());
  auto [sweep, ids] = grouped_sweep(*store);
  const Holder me{"host-a", 4242};
  auto first = queue.claim_group(sweep, me, 0);
  EXPECT_EQ(ids_of(first), (std::vector<int64_t>{ids[0], ids[2], ids[3], ids[5]}));
  for (const auto& run : first) {
    EXPECT_EQ(run.lane_group, ids[0]);
    EXPECT_EQ(run.lane_group_runs, 4);
    EXPECT_EQ(run.attempts, 1);
    EXPECT_EQ(run.sweep_runs, 7);
  }
  // At most max_lanes runs; the rest of the group waits for the next claim.
  auto second = queue.claim_group(sweep, me, 1);
  EXPECT_EQ(ids_of(second), (std::vector<int64_t>{ids[1]}));
  auto third = queue.claim_group(sweep, me, 4);
  EXPECT_EQ(ids_of(third), (std::vector<int64_t>{ids[4]}));
  auto alone = queue.claim_group(sweep, me, 0);
  EXPECT_EQ(ids_of(alone), (std::vector<int64_t>{ids[6]}));
  EXPECT_EQ(alone.front().lane_group, 0);
  EXPECT_EQ(alone.front().lane_group_runs, 0);
  EXPECT_TRUE(queue.claim_group(sweep, me, 0).empty());
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM runs WHERE status = 'running' AND host = 'host-a'"), 7);
}

TEST(RunQueueTest, AContinuedGroupIsClaimedTogetherAgainAndDoneRunsStayDone) {
  TempDir dir;
  auto store = Store::open(dir.file("g.db"));
  RunQueue queue(store->db());
  auto [sweep, ids] = grouped_sweep(*store);
  const Holder self = this_process();
  // A worker took the first group and died: its runs are given back as interrupted.
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  ASSERT_EQ(queue.claim_group(sweep, {self.host, child}, 0).size(), 4u);
  store->end_run(ids[3], RunStatus::Finished, "", 1, 0.1);  // one lane had ended
  EXPECT_EQ(queue.recover_stale(sweep, self, std::chrono::seconds(300)),
            (std::vector<int64_t>{ids[0], ids[2], ids[5]}));
  // Its waiting lanes are taken again together, as second attempts; the finished one is not.
  auto again = queue.claim_group(sweep, self, 0);
  EXPECT_EQ(ids_of(again), (std::vector<int64_t>{ids[0], ids[2], ids[5]}));
  for (const auto& run : again) EXPECT_EQ(run.attempts, 2);
  // A lane that waits beside fresh runs of its group joins them: run 4, pending, with 1
  // interrupted.
  store->db().exec("UPDATE runs SET status = 'interrupted', attempts = 1 WHERE id = " + std::to_string(ids[1]));
  EXPECT_EQ(ids_of(queue.claim_group(sweep, self, 0)), (std::vector<int64_t>{ids[1], ids[4]}));
}

TEST(RunQueueTest, ConcurrentGroupClaimersNeverShareARun) {
  TempDir dir;
  const std::string path = dir.file("c.db");
  std::vector<NewRun> runs;
  for (int i = 0; i < 60; ++i) {
    runs.push_back(make_run(i, 0.01 * (i + 1), 1));
    runs.back().lane_leader = i % 3 == 2 ? -1 : (i % 2 == 0 ? 0 : 1);  // two groups and runs alone
  }
  int64_t sweep = Store::open(path)->create_sweep(make_sweep("c"), runs).first;
  std::vector<std::vector<int64_t>> taken(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto store = Store::open(path);
      RunQueue queue(store->db());
      for (auto group = queue.claim_group(sweep, {"h", t + 1}, 3); !group.empty();
           group = queue.claim_group(sweep, {"h", t + 1}, 3)) {
        EXPECT_LE(group.size(), 3u);
        for (const auto& run : group) taken[t].push_back(run.id);
      }
    });
  for (auto& t : threads) t.join();
  expect_each_claimed_once(taken, 60);
}

TEST(RunQueueTest, AHolderIsGoneWhenItsPidIsFreeOrNowBelongsToALaterProcess) {
  using torchsweep::holder_gone;
  const Holder self = this_process();
  const std::string now = torchsweep::utc_now();
  const std::chrono::seconds stale_after(300);
  // This process, alive and beating now, holds its runs.
  EXPECT_FALSE(holder_gone(self, now, self, stale_after));
  // A pid that no process has (a child that has exited and been waited for).
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(holder_gone({self.host, child}, now, self, stale_after));
  // A holder killed but not yet waited for by its parent (a zombie) is gone too.
  const pid_t paused = fork();
  if (paused == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(paused, 0);
  EXPECT_FALSE(holder_gone({self.host, paused}, now, self, stale_after));
  ASSERT_EQ(kill(paused, SIGKILL), 0);
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(paused), &info, WEXITED | WNOWAIT), 0);  // dead, not reaped
  EXPECT_TRUE(holder_gone({self.host, paused}, now, self, stale_after));
  waitpid(paused, nullptr, 0);
  // This pid with a heartbeat from before this process started: the holder that beat
  // then was another process, whose pid was given again.
  EXPECT_TRUE(holder_gone(self, "2000-01-01T00:00:00.000Z", self, stale_after));
  // Another host's holder: judged by its heartbeat's age alone.
  const Holder elsewhere{self.host + "-elsewhere", self.pid};
  EXPECT_FALSE(holder_gone(elsewhere, now, self, stale_after));
  EXPECT_TRUE(holder_gone(elsewhere, torchsweep::utc_iso(std::chrono::system_clock::now() - std::chrono::minutes(6)),
                          self, stale_after));
  EXPECT_TRUE(holder_gone(elsewhere, "", self, stale_after)) << "never beat: nothing says it is alive";
}

}  // namespace
