#!/usr/bin/python3
"""`torchsweep lr-find` on the seed CNN against the sweep it is meant to spare: a full
sweep of 16 log-spaced learning rates, one epoch each, of the same spec (the seed
notebook's CNN and recipe on Fashion-MNIST: batch 128, SGD with momentum 0.9, nll).

It prints what lr-find cost (steps, against one epoch's), whether it stopped before the
loss turned nan, its suggested rate (minimum / 10) and range, each swept rate's loss
after the epoch (test/loss; train/loss_epoch beside it), and whether each of the three
suggestions (minimum / 10, steep, valley) lies where the sweep is within 10 % of its
best loss: the sweep's test loss interpolated at the rate (linearly in log lr between
the two swept rates around it) against 1.1 × the best swept loss.

    /usr/bin/python3 bench/lr_find_vs_sweep.py [--binary build/torchsweep] [--threads 2]
        [--low 1e-4] [--high 10] [--rates 16] [--keep DIR [--reuse-sweep]] [--override KEY=VALUE]...

The sweep trains 16 epochs of 469 batches: minutes on two cores.
"""
import argparse
import math
import os
import re
import sqlite3
import subprocess
import tempfile
import time

SPEC = "experiments/s6_fashion_mnist.yaml"


def run(args, cwd):
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}")
    return done.stdout, seconds


def metric(db, run_id, key, step=None):
    sql = "SELECT value FROM metrics WHERE run_id = ? AND key = ?"
    params = [run_id, key]
    if step is None:
        sql += " ORDER BY step DESC LIMIT 1"
    else:
        sql += " AND step = ?"
        params.append(step)
    row = db.execute(sql, params).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="build/torchsweep")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads of every run")
    parser.add_argument("--low", type=float, default=1e-4, help="the sweep's lowest rate")
    parser.add_argument("--high", type=float, default=10.0, help="the sweep's highest rate")
    parser.add_argument("--rates", type=int, default=16, help="log-spaced rates in the sweep")
    parser.add_argument("--keep", default="", help="keep the databases and the chart in this folder")
    parser.add_argument("--override", action="append", default=[],
                        help="another override for both commands, e.g. data.train_limit=1280 (a quick check)")
    parser.add_argument("--reuse-sweep", action="store_true",
                        help="read the sweep from DIR/sweep.db of an earlier --keep DIR instead of training it again")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = os.path.join(root, SPEC)
    common = ["device=cpu", f"train.threads={args.threads}", *args.override]

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.abspath(args.keep) if args.keep else tmp
        os.makedirs(out, exist_ok=True)
        # 1. lr-find with fastai's defaults (1e-7 to 10, 100 steps, stop at 4 x best).
        text, find_seconds = run([binary, "lr-find", spec, *common, "--db", os.path.join(out, "lr_find.db"),
                                  "--plot", os.path.join(out, "lr_find.png")], out)
        db = sqlite3.connect(os.path.join(out, "lr_find.db"))
        run_id = db.execute("SELECT max(id) FROM runs WHERE kind = 'lr_find'").fetchone()[0]
        steps = db.execute("SELECT count(*) FROM metrics WHERE run_id = ? AND key = 'lr_find/lr'",
                           (run_id,)).fetchone()[0]
        nan_steps = db.execute("SELECT count(*) FROM metrics WHERE run_id = ? AND key = 'lr_find/loss' "
                               "AND (value IS NULL OR abs(value) > 1e308)", (run_id,)).fetchone()[0]
        stop = metric(db, run_id, "lr_find/stop")
        valley = metric(db, run_id, "lr_find/valley")
        steep = metric(db, run_id, "lr_find/steep")
        minimum = metric(db, run_id, "lr_find/minimum")
        low, high = metric(db, run_id, "lr_find/range_low"), metric(db, run_id, "lr_find/range_high")
        db.close()

        # 2. The sweep: `rates` log-spaced rates, one epoch each.
        n = args.rates
        rates = [args.low * (args.high / args.low) ** (k / (n - 1)) for k in range(n)]
        rate_list = "[" + ",".join(f"{r:.6g}" for r in rates) + "]"
        sweep_seconds = None
        if not (args.reuse_sweep and os.path.exists(os.path.join(out, "sweep.db"))):
            _, sweep_seconds = run([binary, "run", spec, *common, "train.epochs=1",
                                    f"optimizer.lr={rate_list}", "--db", os.path.join(out, "sweep.db"), "--quiet"], out)
        db = sqlite3.connect(os.path.join(out, "sweep.db"))
        rows = []
        for rid, status in db.execute("SELECT id, status FROM runs ORDER BY run_index").fetchall():
            lr = db.execute("SELECT value FROM params WHERE run_id = ? AND key = 'optimizer.lr'", (rid,)).fetchone()[0]
            rows.append((float(lr), status, metric(db, rid, "test/loss", 1), metric(db, rid, "train/loss_epoch", 1),
                         metric(db, rid, "test/acc", 1)))
        per_epoch = db.execute("SELECT max(value) FROM metrics WHERE key = 'train/steps'").fetchone()[0]
        db.close()

    per_epoch = int(per_epoch) if per_epoch else 469
    print(f"lr-find ({SPEC}, lr 1e-7 to 10, at most 100 steps): {steps} steps = {steps / per_epoch:.3f} of an "
          f"epoch ({per_epoch} steps); {find_seconds:.1f} s; stopped: "
          f"{ {0.0: 'ran every step', 1.0: 'smoothed loss > 4 x best', 2.0: 'loss not finite'}.get(stop, stop) }")
    print(f"  stopped before a nan: {'yes' if nan_steps == 0 else 'no'} ({nan_steps} non-finite loss(es) recorded)")
    print(f"  suggestions: minimum/10 {minimum:.4g} (the suggested rate), steep {steep:.4g}, valley {valley:.4g}; "
          f"range [{low:.3g}, {high:.3g}]")
    took = f"{sweep_seconds:.0f} s" if sweep_seconds else "read from the kept sweep.db"
    print(f"sweep: {len(rows)} rates {rows[0][0]:.4g} to {rows[-1][0]:.4g}, one epoch each ({len(rows) * per_epoch} "
          f"steps), {took}")
    print(f"  {'lr':>10} {'status':>9} {'test/loss':>10} {'train/loss_epoch':>17} {'test/acc':>9}")
    for lr, status, test_loss, train_loss, acc in rows:
        fmt = lambda v, w, p: (f"{'-':>{w}}" if v is None or not math.isfinite(v)
                               else f"{v:>{w}.{p}f}" if abs(v) < 1e6 else f"{v:>{w}.3g}")
        print(f"  {lr:>10.4g} {status:>9} {fmt(test_loss, 10, 4)} {fmt(train_loss, 17, 4)} {fmt(acc, 9, 4)}")
    finite = [(lr, loss) for lr, _, loss, _, _ in rows if loss is not None and math.isfinite(loss)]
    best_lr, best = min(finite, key=lambda p: p[1])
    within = [lr for lr, loss in finite if loss <= 1.1 * best]
    print(f"  best test/loss {best:.4f} at lr {best_lr:.4g}; within 10 % of it (<= {1.1 * best:.4f}): "
          f"lr {', '.join(f'{lr:.4g}' for lr in within)}")
    # The sweep's loss at each suggestion: linear in log lr between its neighbours.
    grid = sorted(finite)
    for name, lr in (("the suggested lr (minimum/10)", minimum), ("steep", steep), ("valley", valley)):
        at = None
        for (l0, v0), (l1, v1) in zip(grid, grid[1:]):
            if l0 <= lr <= l1:
                w = (math.log(lr) - math.log(l0)) / (math.log(l1) - math.log(l0))
                at = v0 + w * (v1 - v0)
        if at is None:
            print(f"  {name} {lr:.4g} lies outside the swept rates: not judged")
        else:
            verdict = "yes" if at <= 1.1 * best else "no"
            print(f"  the sweep's test/loss at {name} {lr:.4g} (interpolated): {at:.4f}; within 10 % of the best: "
                  f"{verdict}")
    inside = [lr for lr in within if low <= lr <= high]
    print(f"  the suggested range [{low:.3g}, {high:.3g}] holds {len(inside)} of the {len(within)} rate(s) within 10 %")
    if sweep_seconds:
        print(f"cost: lr-find {steps} steps, {find_seconds:.1f} s; the sweep {len(rows) * per_epoch} steps, "
              f"{sweep_seconds:.0f} s ({sweep_seconds / find_seconds:.0f}x)")


if __name__ == "__main__":
    main()
