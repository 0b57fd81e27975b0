#!/usr/bin/python3
"""Intra-op threads: how fast the seed's two experiments train with train.threads = 1, 2
and 0 (all cores), on an idle machine and with other processes keeping cores busy.

For each setting it runs `torchsweep run` in interleaved rounds and reports runs/s
(the seed network's six-run sweep) and steps/s (the seed CNN on Fashion-MNIST), each
as the best round, and the ratio to the all-cores default.

    /usr/bin/python3 bench/threads_bench.py [--rounds 3] [--busy 0,1] [--binary build/torchsweep]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

WORKLOADS = {
    # name: (spec, overrides, unit, count)
    "seed network (6 runs x 2000 steps)": ("experiments/seed_backprop.yaml", ["train.steps=2000"], "runs/s", 6),
    "seed CNN (30 steps, batch 128)": ("experiments/s6_fashion_mnist.yaml",
                                       ["~train.epochs", "train.steps=30", "~scheduler", "device=cpu",
                                        "data.train_limit=3840", "data.test_limit=100"], "steps/s", 30),
}


def timed_run(binary, spec, overrides, threads):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([binary, "run", os.path.join(REPO, spec), *overrides, f"train.threads={threads}",
                        "--db", os.path.join(tmp, "t.db")], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def busy_processes(n):
    """n processes that each keep a core busy, as other jobs on a shared machine do."""
    code = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", default="0,1", help="numbers of busy cores to measure under")
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "torchsweep"))
    args = parser.parse_args()
    cores = os.cpu_count()
    settings = [1, 2, 0] if cores > 2 else [1, 0]
    print(f"# {cores} cores; train.threads in {settings} (0: all cores); best of {args.rounds} interleaved rounds")
    for busy in [int(b) for b in args.busy.split(",")]:
        load = busy_processes(busy)
        try:
            for name, (spec, overrides, unit, count) in WORKLOADS.items():
                best = {t: float("inf") for t in settings}
                for _ in range(args.rounds):
                    for t in settings:
                        best[t] = min(best[t], timed_run(args.binary, spec, overrides, t))
                rates = {t: count / best[t] for t in settings}
                cells = "  ".join(f"threads={t}: {rates[t]:8.2f} {unit} ({rates[t] / rates[0]:.2f}x)" for t in settings)
                print(f"{busy} busy core(s)  {name:36s} {cells}")
        finally:
            for p in load:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
