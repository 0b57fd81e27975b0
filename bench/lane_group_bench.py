#!/usr/bin/python3
"""The seed sweep (six learning rates of the 2-2-2 network, N steps each) three ways in
one invocation: PyTorch in Python, six eager loops (the reference); torchsweep with the
runs one by one (sweep.fuse=off); torchsweep with the six runs as the lanes of one group
(sweep.fuse=on: one process, the lanes taking turns step by step).
Both torchsweep runs record the spreadsheet's columns (31 points) at every logged step in
SQLite and include the process's start-up (LibTorch's load, ~0.7 s); Python keeps each
logged step's loss and weights in lists.

    /usr/bin/python3 bench/lane_group_bench.py [--steps 10000] [--log-every 1] [--repeats 3] [--binary build/torchsweep]
"""
import argparse
import os
import subprocess
import tempfile
import time

import torch


def python_six_loops(steps, log_every):
    torch.set_num_threads(1)
    x = torch.tensor([[0.05, 0.1]], dtype=torch.float64)
    t = torch.tensor([[0.5, 0.5]], dtype=torch.float64)  # the seed_example data set
    start = time.perf_counter()
    for lr in (0.1, 0.2, 0.5, 0.8, 1.0, 2.0):
        hidden = torch.tensor([[0.15, 0.2], [0.25, 0.3]], dtype=torch.float64, requires_grad=True)
        output = torch.tensor([[0.4, 0.45], [0.5, 0.55]], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([hidden, output], lr=lr)
        losses, weights = [], []
        for step in range(steps):
            opt.zero_grad()
            a_o = torch.sigmoid(torch.sigmoid(x @ hidden.t()) @ output.t())
            loss = 0.5 * ((t - a_o) ** 2).sum(dim=1).mean()
            loss.backward()
            if step % log_every == 0 or step + 1 == steps:
                losses.append(loss.item())
                weights.append(torch.cat([hidden.detach().flatten(), output.detach().flatten()]).tolist())
            opt.step()
    return time.perf_counter() - start


def torchsweep_sweep(binary, steps, fuse, log_every):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "b.db")
        start = time.perf_counter()
        subprocess.run([binary, "run", "experiments/seed_backprop.yaml", f"train.steps={steps}",
                        f"sweep.fuse={fuse}", f"train.log_every={log_every}", "train.threads=1", "--db", db],
                       check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--binary", default="build/torchsweep")
    parser.add_argument("--log-every", type=int, default=1,
                        help="log every N steps (1: the spreadsheet's columns every step)")
    args = parser.parse_args()
    best = {"python": float("inf"), "one-by-one": float("inf"), "lanes": float("inf")}
    for _ in range(args.repeats):  # interleaved rounds, best of each
        best["python"] = min(best["python"], python_six_loops(args.steps, args.log_every))
        best["one-by-one"] = min(best["one-by-one"], torchsweep_sweep(args.binary, args.steps, "off", args.log_every))
        best["lanes"] = min(best["lanes"], torchsweep_sweep(args.binary, args.steps, "on", args.log_every))
    print(f"6 runs x {args.steps} steps, logged every {args.log_every}, best of {args.repeats}")
    for name, seconds in best.items():
        print(f"{name:>11}: {seconds:7.3f} s   {best['python'] / seconds:5.2f}x python")
    print(f"lanes / one-by-one speed-up: {best['one-by-one'] / best['lanes']:.2f}x")


if __name__ == "__main__":
    main()
