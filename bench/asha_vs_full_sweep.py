#!/usr/bin/python3
"""ASHA against the full sweep it prunes, on the seed CNN (issue: adaptive sweeps).

Runs the seed CNN on Fashion-MNIST over N log-spaced learning rates twice, in one
invocation and one database: every run to the full budget (3 epochs), then the same
grid under `sweep.early_stop: {rule: asha, eta: 3}` with rungs on the step axis. Prints
the optimizer steps each sweep took (from runs.steps), the best final test accuracy of
each (ASHA: of the runs it let finish), and the ratios the acceptance states: ASHA's
steps / the full sweep's (target <= 35 %) and the difference of the best accuracies
(target <= 0.5 points).

    /usr/bin/python3 bench/asha_vs_full_sweep.py [--rates 27] [--epochs 3] [--db FILE] [--skip-full]
"""
import argparse
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SPEC = """name: {name}
description: seed CNN on Fashion-MNIST, {rates} log-spaced learning rates, {epochs} epochs{what}
seed: 1
device: cpu
model: s6_cnn
data:
  name: idx
  root: /usr/share/datasets/fashion-mnist
  batch_size: 128
  mean: 0.1307
  std: 0.3081
loss: nll
optimizer:
  name: sgd
  lr: [{lrs}]
  momentum: 0.9
train:
  epochs: {epochs}
  log_every: 10
{sweep}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=int, default=27)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--low", type=float, default=1e-4, help="smallest learning rate")
    parser.add_argument("--high", type=float, default=1.0, help="largest learning rate")
    parser.add_argument("--eta", type=float, default=3)
    parser.add_argument("--db", default="")
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "torchsweep"))
    parser.add_argument("--skip-full", action="store_true", help="reuse the full sweep already in --db")
    parser.add_argument("--report-only", action="store_true", help="train nothing: report both sweeps in --db")
    args = parser.parse_args()

    steps_per_epoch = math.ceil(60000 / 128)
    budget = steps_per_epoch * args.epochs
    # Rungs at budget / eta^k: the lowest so that the rungs reach the budget in whole powers.
    levels = int(math.floor(math.log(args.rates) / math.log(args.eta) + 1e-9))
    min_resource = max(1, round(budget / args.eta ** levels))
    lrs = [args.low * (args.high / args.low) ** (i / (args.rates - 1)) for i in range(args.rates)]
    lr_text = ", ".join(f"{lr:.6g}" for lr in lrs)
    work = tempfile.mkdtemp(prefix="asha-bench-")
    db = args.db or os.path.join(work, "asha.db")

    def run(name, what, sweep):
        path = os.path.join(work, name + ".yaml")
        with open(path, "w") as f:
            f.write(SPEC.format(name=name, rates=args.rates, epochs=args.epochs, what=what, lrs=lr_text, sweep=sweep))
        start = time.monotonic()
        subprocess.run([args.binary, "run", path, "--db", db, "--fresh", "-q"], check=True)
        return time.monotonic() - start

    full_seconds = None
    if not args.skip_full and not args.report_only:
        full_seconds = run("full", "", "")
    asha_sweep = (f"sweep:\n  early_stop: {{rule: asha, metric: train/loss, goal: minimize, axis: step, "
                  f"min_resource: {min_resource}, max_resource: {budget}, eta: {args.eta:g}}}\n")
    asha_seconds = None if args.report_only else run("asha", ", ASHA", asha_sweep)

    con = sqlite3.connect(db)

    def sweep_of(name):
        return con.execute("SELECT max(id) FROM sweeps WHERE name = ?", (name,)).fetchone()[0]

    def best_accuracy(sweep):
        return con.execute(
            "SELECT max(u.last), (SELECT json_extract(r2.config_json, '$.optimizer.lr') FROM runs r2 JOIN summaries u2 "
            "ON u2.run_id = r2.id AND u2.key = 'test/acc' WHERE r2.sweep_id = ?1 AND r2.status = 'finished' "
            "ORDER BY u2.last DESC LIMIT 1) FROM runs r JOIN summaries u ON u.run_id = r.id AND u.key = 'test/acc' "
            "WHERE r.sweep_id = ?1 AND r.status = 'finished'", (sweep,)).fetchone()

    full, asha = sweep_of("full"), sweep_of("asha")
    full_steps = con.execute("SELECT sum(steps) FROM runs WHERE sweep_id = ?", (full,)).fetchone()[0]
    asha_steps = con.execute("SELECT sum(steps) FROM runs WHERE sweep_id = ?", (asha,)).fetchone()[0]
    statuses = dict(con.execute("SELECT status, count(*) FROM runs WHERE sweep_id = ? GROUP BY status", (asha,)))
    full_acc, full_lr = best_accuracy(full)
    asha_acc, asha_lr = best_accuracy(asha)
    print(f"{args.rates} learning rates {args.low:g}..{args.high:g}, {args.epochs} epochs = {budget} steps a run; "
          f"ASHA eta {args.eta:g}, rungs from {min_resource} steps (train/loss)")
    print(f"full sweep: {full_steps} steps, best final test/acc {full_acc:.4f} (lr {full_lr:.4g})"
          + (f", {full_seconds:.0f} s" if full_seconds else ""))
    print(f"ASHA:       {asha_steps} steps, best final test/acc {asha_acc:.4f} (lr {asha_lr:.4g}), "
          + (f"{asha_seconds:.0f} s; " if asha_seconds else "") + f"runs {statuses}")
    print(f"ASHA steps / full steps = {asha_steps / full_steps:.1%} (target <= 35 %); "
          f"best accuracy difference = {100 * (full_acc - asha_acc):+.2f} points (target <= 0.5)")


if __name__ == "__main__":
    sys.exit(main())
