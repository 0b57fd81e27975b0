#!/usr/bin/python3
"""ASHA against the full sweep it prunes, on the seed CNN (issue: adaptive sweeps).

Runs the seed CNN on Fashion-MNIST over N log-spaced learning rates twice, in one
invocation and one database: every run to the full budget (3 epochs), then the same
grid under `sweep.early_stop: {rule: asha, eta: 3}` with rungs on the step axis. ASHA
judges a held-out validation split (`data.validation`, `val/loss` evaluated at every
rung) by default; `--validation 0 --metric train/loss --levels 3` is the first version
of this benchmark, which judged the last training batches from a ninth of an epoch on
(bench/README.md says what that cost). Prints
the optimizer steps each sweep took (from runs.steps), the best final test accuracy of
each (ASHA: of the runs it let finish), and the ratios the acceptance states: ASHA's
steps / the full sweep's (target <= 35 %) and the difference of the best accuracies
(target <= 0.5 points).

    /usr/bin/python3 bench/asha_vs_full_sweep.py [--rates 27] [--epochs 3] [--levels 2] [--db FILE]
        [--skip-full | --skip-asha | --report-only]
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
  validation: {validation}
loss: nll
optimizer:
  name: sgd
  lr: [{lrs}]
  momentum: 0.9
train:
  epochs: {epochs}
  log_every: 10
{eval_every}{sweep}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=int, default=27)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--low", type=float, default=1e-4, help="smallest learning rate")
    parser.add_argument("--high", type=float, default=1.0, help="largest learning rate")
    parser.add_argument("--eta", type=float, default=3)
    parser.add_argument("--levels", type=int, default=2,
                        help="rung levels under the budget: the first rung is at budget / eta^levels")
    parser.add_argument("--validation", type=float, default=0.1, help="the training fraction held out (0: none)")
    parser.add_argument("--metric", default="val/loss", help="what ASHA ranks runs by at a rung")
    parser.add_argument("--db", default="")
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "torchsweep"))
    parser.add_argument("--skip-full", action="store_true", help="reuse the full sweep already in --db")
    parser.add_argument("--skip-asha", action="store_true", help="reuse the ASHA sweep already in --db")
    parser.add_argument("--report-only", action="store_true", help="train nothing: report both sweeps in --db")
    args = parser.parse_args()

    train_images = 60000 - int(60000 * args.validation)
    steps_per_epoch = math.ceil(train_images / 128)
    budget = steps_per_epoch * args.epochs
    # Rungs at budget / eta^k. With 27 runs and eta 3, three levels put the first rung at
    # a ninth of an epoch, where the order of the rates has not settled; two put it at a
    # third, and three runs train to the end.
    # Rounded down: rounded up, min_resource · eta^levels could pass the budget and the
    # last rung would fall away (141 · 9 = 1269 > 1266 leaves one rung, not two).
    min_resource = max(1, math.floor(budget / args.eta ** args.levels))
    # The metric must have a point at every rung: a validation metric is evaluated there.
    eval_every = f"  eval_every: {min_resource} steps\n" if args.metric.startswith("val/") else ""
    lrs = [args.low * (args.high / args.low) ** (i / (args.rates - 1)) for i in range(args.rates)]
    lr_text = ", ".join(f"{lr:.6g}" for lr in lrs)
    work = tempfile.mkdtemp(prefix="asha-bench-")
    db = args.db or os.path.join(work, "asha.db")

    def run(name, what, sweep):
        path = os.path.join(work, name + ".yaml")
        # The full sweep needs no evaluations at the rungs (nothing judges them there):
        # it evaluates each epoch, as a spec with an epoch budget does by default.
        # Evaluating does not change what a run trains, so its runs stay comparable.
        with open(path, "w") as f:
            f.write(SPEC.format(name=name, rates=args.rates, epochs=args.epochs, what=what, lrs=lr_text,
                               validation=f"{args.validation:g}", eval_every=eval_every if sweep else "",
                               sweep=sweep))
        start = time.monotonic()
        subprocess.run([args.binary, "run", path, "--db", db, "--fresh", "-q"], check=True)
        return time.monotonic() - start

    full_seconds = None
    if not args.skip_full and not args.report_only:
        full_seconds = run("full", "", "")
    goal = "maximize" if args.metric.endswith("acc") else "minimize"
    asha_sweep = (f"sweep:\n  early_stop: {{rule: asha, metric: {args.metric}, goal: {goal}, axis: step, "
                  f"min_resource: {min_resource}, max_resource: {budget}, eta: {args.eta:g}}}\n")
    asha_seconds = None if args.report_only or args.skip_asha else run("asha", ", ASHA", asha_sweep)

    con = sqlite3.connect(db)

    def sweep_of(name):
        return con.execute("SELECT max(id) FROM sweeps WHERE name = ?", (name,)).fetchone()[0]

    def best_accuracy(sweep):
        return con.execute(
            "SELECT max(u.last), (SELECT json_extract(r2.config_json, '$.optimizer.lr') FROM runs r2 JOIN summaries u2 "
            "ON u2.run_id = r2.id AND u2.key = 'test/acc' WHERE r2.sweep_id = ?1 AND r2.status = 'finished' "
            "ORDER BY u2.last DESC LIMIT 1) FROM runs r JOIN summaries u ON u.run_id = r.id AND u.key = 'test/acc' "
            "WHERE r.sweep_id = ?1 AND r.status = 'finished'", (sweep,)).fetchone()

    def finished(sweep):
        return con.execute(
            "SELECT json_extract(r.config_json, '$.optimizer.lr'), u.last FROM runs r JOIN summaries u "
            "ON u.run_id = r.id AND u.key = 'test/acc' WHERE r.sweep_id = ? AND r.status = 'finished' "
            "ORDER BY 1", (sweep,)).fetchall()

    print(f"{args.rates} learning rates {args.low:g}..{args.high:g}, {args.epochs} epochs = {budget} steps a run; "
          f"ASHA eta {args.eta:g}, rungs from {min_resource} steps ({args.metric}"
          + (f", validation {args.validation:g} held out)" if args.validation else ")"))
    full, asha = sweep_of("full"), sweep_of("asha")
    seconds = {"full": full_seconds, "asha": asha_seconds}
    for name, sweep in (("full", full), ("asha", asha)):
        if sweep is None:
            print(f"{name}: not in {db}")
            continue
        steps = con.execute("SELECT sum(steps) FROM runs WHERE sweep_id = ?", (sweep,)).fetchone()[0]
        statuses = dict(con.execute("SELECT status, count(*) FROM runs WHERE sweep_id = ? GROUP BY status", (sweep,)))
        acc, lr = best_accuracy(sweep)
        print(f"{name:5} sweep {sweep}: {steps} steps, best final test/acc {acc:.4f} (lr {lr:.4g})"
              + (f", {seconds[name]:.0f} s" if seconds[name] else "") + f"; runs {statuses}")
        if name == "asha":
            print("      finished: " + ", ".join(f"lr {lr:.4g} test/acc {acc:.4f}" for lr, acc in finished(sweep)))
    if full is None or asha is None:
        return 0
    full_steps = con.execute("SELECT sum(steps) FROM runs WHERE sweep_id = ?", (full,)).fetchone()[0]
    asha_steps = con.execute("SELECT sum(steps) FROM runs WHERE sweep_id = ?", (asha,)).fetchone()[0]
    full_acc, _ = best_accuracy(full)
    asha_acc, _ = best_accuracy(asha)
    print(f"ASHA steps / full steps = {asha_steps / full_steps:.1%} (target <= 35 %); "
          f"best accuracy difference = {100 * (full_acc - asha_acc):+.2f} points (target <= 0.5)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
