#!/bin/bash
# Slurm end to end: a real single-node Slurm (slurmctld + slurmd + munge on
# 127.0.0.1, configured here in a scratch folder) runs the seed's six-rate sweep as a
# job array; the merged database must hold six finished runs with the seed's E_total
# values. Then a long run's task is sent USR1 (as Slurm does ahead of a time limit):
# it checkpoints, requeues, and still finishes — from its checkpoint.
# Needs root (to start the daemons); installs slurm-wlm and munge when missing.
# Exit 77 (skipped) when that is not possible.
set -u
src=$1
build=$2
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -n "${T:-}" ] && tail -20 "$T"/slurmctld.log "$T"/slurmd.log 2>/dev/null; exit 1; }

[ "$(id -u)" = 0 ] || skip "the Slurm test starts slurmctld, slurmd and munged, which needs root"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 ||
    skip "slurm-wlm and munge are not installed and could not be installed"
fi

torchsweep=$build/torchsweep
T=$(mktemp -d /tmp/torchsweep-slurm-XXXXXX)
export SLURM_CONF=$T/slurm.conf
cleanup() {
  scontrol shutdown >/dev/null 2>&1
  sleep 1
  [ -f "$T/slurmd.pid" ] && kill "$(cat "$T/slurmd.pid")" 2>/dev/null
  [ -f "$T/slurmctld.pid" ] && kill "$(cat "$T/slurmctld.pid")" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# munge: the system's daemon when it runs, else started with its default key.
if ! munge -n >/dev/null 2>&1; then
  [ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; } >/dev/null 2>&1
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
  sleep 1
fi
munge -n | unmunge >/dev/null 2>&1 || fail "munge does not work"

host=$(hostname -s)
port=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$T/state" "$T/spool"
cat >"$SLURM_CONF" <<CONF
ClusterName=torchsweep-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
JobRequeue=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i || fail "slurmctld did not start"
slurmd || fail "slurmd did not start"
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %t | grep -q idle || fail "the node did not become idle"
echo "slurm is up: $(sinfo -h)"

q() { sqlite3 "$1" "$2"; }
# Waits until none of the jobs is queued or running.
wait_jobs() {
  for _ in $(seq "$2"); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 1
  done
  squeue; fail "jobs $1 did not end in $2 s"
}

# 1. The seed's sweep as a job array, merged after.
out=$("$torchsweep" submit "$src/experiments/seed_backprop.yaml" sweep.fuse=on --slurm --db "$T/seed.db") || fail "submit: $out"
echo "$out"
jobs=$(q "$T/seed.db" "SELECT json_extract(launcher_state, '$.jobs.array[0]') || ',' || json_extract(launcher_state, '$.jobs.merge') FROM sweeps")
wait_jobs "$jobs" 300
[ "$(q "$T/seed.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" = 6 ] ||
  { cat "$T"/seed-slurm/sweep-1/logs/*; fail "expected six finished runs: $(q "$T/seed.db" 'SELECT status FROM runs')"; }
# E_total at iterations 1 and 19 with learning rate 1.0: the seed's spreadsheet values.
check() {
  local got
  got=$(q "$T/seed.db" "SELECT m.value FROM metrics m JOIN params p ON p.run_id = m.run_id AND p.key = 'optimizer.lr'
                        WHERE p.value = 1.0 AND m.key = 'train/loss' AND m.step = $1")
  awk -v a="$got" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9) }' ||
    fail "E_total at iteration $1: got '$got', expected $2"
}
check 1 0.01337791557
check 19 0.004441332139
[ "$(q "$T/seed.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
# The six runs differ only in their learning rate: one lane group, recorded at expansion
# and trained together by one task.
[ "$(ls "$T"/seed-slurm/sweep-1/shards/)" = task-0.db ] || fail "expected one task: $(ls "$T"/seed-slurm/sweep-1/shards/)"
[ "$(q "$T/seed.db" "SELECT count(DISTINCT lane_group) || ' ' || count(lane_group) FROM runs")" = "1 6" ] ||
  fail "the runs were not one lane group: $(q "$T/seed.db" 'SELECT lane_group FROM runs')"
[ "$(q "$T/seed.db" "SELECT count(DISTINCT pid) FROM runs")" = 1 ] || fail "the runs were not trained by one process"
echo "six finished runs with the seed's E_total values, one lane group in one task"
# The merge handed the task's checkpoint folders to the main database (docs/results-schema.md,
# "Artifact folders"): their owner.json names it, and deleting there would remove them.
for dir in $(q "$T/seed.db" "SELECT artifact_dir FROM runs"); do
  grep -q "\"database_path\": \"$T/seed.db\"" "$dir/owner.json" ||
    fail "$dir/owner.json does not name the main database: $(cat "$dir/owner.json")"
done

# 2. A long run, sent USR1 while it trains: it checkpoints, requeues and finishes.
out=$("$torchsweep" submit "$src/experiments/seed_backprop.yaml" optimizer.lr=1.0 train.steps=200000 \
      train.log_every=1000 --slurm --db "$T/long.db") || fail "submit: $out"
array=$(q "$T/long.db" "SELECT json_extract(launcher_state, '$.jobs.array[0]') FROM sweeps")
merge=$(q "$T/long.db" "SELECT json_extract(launcher_state, '$.jobs.merge') FROM sweeps")
shard=$T/long-slurm/sweep-1/shards/task-0.db
for _ in $(seq 120); do
  [ "$(q "$shard" "SELECT count(*) FROM metrics" 2>/dev/null)" -gt 5 ] 2>/dev/null && break
  sleep 0.5
done
[ "$(q "$shard" "SELECT status FROM runs")" = running ] || fail "the long run is not running: $(q "$shard" 'SELECT status FROM runs')"
scancel --batch --signal=USR1 "${array}_0" || fail "scancel --signal"
wait_jobs "$array,$merge" 300
cat "$T"/long-slurm/sweep-1/logs/task-*
grep -q "requeueing" "$T"/long-slurm/sweep-1/logs/task-* || fail "the task did not requeue"
[ "$(q "$T/long.db" "SELECT status || ' ' || steps || ' ' || attempts FROM runs")" = "finished 200000 2" ] ||
  fail "after the requeue: $(q "$T/long.db" 'SELECT status, steps, attempts, error FROM runs')"
[ "$(q "$T/long.db" "SELECT count(*) FROM metrics WHERE key = 'train/loss'")" = 201 ] || fail "train/loss points"
echo "signalled task requeued and finished"

# 3. An adaptive sweep (ASHA over nine rates) is one job on one node. With one worker it
# decides exactly as one local worker does: the same decisions, in the same order, on
# the same values.
asha=(optimizer.lr='[0.05,0.1,0.2,0.3,0.5,0.8,1.0,1.5,2.0]' train.steps=90
      'sweep={early_stop: {rule: asha, metric: train/loss, axis: step, min_resource: 10, eta: 3}}')
decisions="SELECT d.action, r.run_index, d.rung, d.at, d.value, d.threshold, d.seed FROM decisions d
           LEFT JOIN runs r ON r.id = d.run_id WHERE d.sweep_id = (SELECT max(id) FROM sweeps) ORDER BY d.seq"
"$torchsweep" run "$src/experiments/seed_backprop.yaml" "${asha[@]}" --db "$T/asha-local.db" -q ||
  fail "the local ASHA sweep"
out=$("$torchsweep" submit "$src/experiments/seed_backprop.yaml" "${asha[@]}" --slurm --db "$T/asha.db") ||
  fail "submit: $out"
echo "$out"
jobs=$(q "$T/asha.db" "SELECT json_extract(launcher_state, '$.jobs.adaptive') || ',' || json_extract(launcher_state, '$.jobs.merge') FROM sweeps")
wait_jobs "$jobs" 300
[ -n "$(q "$T/asha.db" "$decisions")" ] || { cat "$T"/asha-slurm/sweep-1/logs/*; fail "no decisions were merged"; }
[ "$(q "$T/asha.db" "$decisions")" = "$(q "$T/asha-local.db" "$decisions")" ] ||
  fail "Slurm's decisions differ from one local worker's:
$(q "$T/asha.db" "$decisions")
--- local:
$(q "$T/asha-local.db" "$decisions")"
runs="SELECT run_index, status, steps FROM runs ORDER BY run_index"
[ "$(q "$T/asha.db" "$runs")" = "$(q "$T/asha-local.db" "$runs")" ] ||
  fail "the runs differ: $(q "$T/asha.db" "$runs") vs $(q "$T/asha-local.db" "$runs")"
points="SELECT r.run_index, m.step, m.value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.key = 'train/loss' ORDER BY 1, 2"
[ "$(q "$T/asha.db" "$points")" = "$(q "$T/asha-local.db" "$points")" ] || fail "the runs' losses differ from the local sweep's"
echo "adaptive sweep on Slurm: $(q "$T/asha.db" "SELECT count(*) FROM decisions") decisions, as one local worker's"

# 4. Two workers in the job, signalled while they train: they checkpoint, the job
# requeues, its first step gives the runs back, and the sweep ends with every run
# finished or stopped at a rung, each decision merged once.
out=$("$torchsweep" submit "$src/experiments/seed_backprop.yaml" 'optimizer.lr=[0.05,0.1,0.2,0.3,0.5,0.8,1.0,1.5,2.0]' \
      train.steps=270000 train.log_every=1000 \
      'sweep={early_stop: {rule: asha, metric: train/loss, axis: step, min_resource: 30000, eta: 3}}' \
      --workers 2 --slurm --db "$T/asha2.db") || fail "submit: $out"
job=$(q "$T/asha2.db" "SELECT json_extract(launcher_state, '$.jobs.adaptive') FROM sweeps")
merge=$(q "$T/asha2.db" "SELECT json_extract(launcher_state, '$.jobs.merge') FROM sweeps")
shard=$T/asha2-slurm/sweep-1/shards/adaptive.db
# Each run trains a few seconds to its first rung: look often for two at once.
for _ in $(seq 1200); do
  [ "$(q "$shard" "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null)" = 2 ] && break
  sleep 0.1
done
[ "$(q "$shard" "SELECT count(*) FROM runs WHERE status = 'running'")" = 2 ] ||
  fail "two runs should train at once: $(q "$shard" 'SELECT status FROM runs')"
scancel --batch --signal=USR1 "$job" || fail "scancel --signal"
wait_jobs "$job,$merge" 300
cat "$T"/asha2-slurm/sweep-1/logs/adaptive-*
grep -q "requeueing" "$T"/asha2-slurm/sweep-1/logs/adaptive-* || fail "the adaptive job did not requeue"
[ "$(q "$T/asha2.db" "SELECT count(*) FROM runs WHERE status IN ('finished', 'stopped')")" = 9 ] ||
  fail "after the requeue: $(q "$T/asha2.db" 'SELECT status, steps, attempts, error FROM runs')"
[ "$(q "$T/asha2.db" "SELECT max(attempts) FROM runs")" -ge 2 ] || fail "no run was continued after the requeue"
[ "$(q "$T/asha2.db" "SELECT count(*) FROM decisions")" = "$(q "$shard" "SELECT count(*) FROM decisions")" ] ||
  fail "decisions: main $(q "$T/asha2.db" 'SELECT count(*) FROM decisions'), shard $(q "$shard" 'SELECT count(*) FROM decisions')"
[ "$(q "$T/asha2.db" "SELECT count(*) FROM runs WHERE status = 'finished' AND steps = 270000")" -ge 1 ] ||
  fail "no run reached the full budget: $(q "$T/asha2.db" 'SELECT status, steps FROM runs')"
"$torchsweep" results rungs --db "$T/asha2.db" || fail "results rungs"
echo "two workers in one job, requeued and merged"
