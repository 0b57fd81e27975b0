#!/usr/bin/python3
"""Training throughput: torchsweep against the same PyTorch in Python.

Trains the seed's 19,642-parameter CNN on Fashion-MNIST for the same number of
batches (batch 128, SGD lr 0.01 momentum 0.9, nll loss), in one invocation.

On the CPU (--device cpu, the default), with the same intra-op threads, three
measurements, each like for like:
  1. the steady-state step, every side from the same difference of two lengths (N and
     N/5 batches): (N - N/5) batches / (time(N) - time(N/5)), which cancels what a run
     does once (loading the data, the final evaluation):
       python-dataloader: the seed notebook's loop, a torchvision-style Dataset that
         applies ToTensor() + Normalize() per sample, behind a DataLoader (num_workers=0);
       python-preloaded: the same loop over tensors normalised once up front;
       python-channels-last: python-preloaded with the model and each batch in
         channels-last memory format (oneDNN's preferred layout on the CPU);
       torchsweep: `torchsweep run experiments/s6_fashion_mnist.yaml` with train.steps,
         its runs' recorded wall times; train.memory_format is left at its default
         (auto: channels-last for this CNN on the CPU);
       torchsweep-contiguous: the same with train.memory_format=contiguous, the
         layout of python-preloaded;
  2. a whole run as a whole process, the same work on both sides: start, load
     Fashion-MNIST, train N batches, evaluate the 10,000 test images (batch 1000,
     inference mode); Python's script against `torchsweep run` (which also records
     every step in SQLite);
  3. evaluation alone: the 10,000 test images through the CNN in eval mode, each side
     the difference of 10,000 and 1,000 images (torchsweep: two runs of 10 steps with
     data.test_limit 0 and 1000), scaled to 10,000; both layouts on both sides.

On a GPU (--device cuda), with the data set on the GPU for every variant:
  1. python-eager: the notebook's loop, reading loss.item() every step;
  2. python-eager-nosync: the same loop, reading the loss every 10 steps only;
  3. python-graph: the same step captured once as a CUDA graph and replayed
     (PyTorch's documented whole-network capture), the loss read every 10 steps;
  4. torchsweep-eager: device=cuda, train.log_every=10, train.cuda_graph=off;
  5. torchsweep-graph: the same with the captured step (train.cuda_graph=on);
  6. torchsweep-fused6: six runs (six learning rates) trained as the lanes of one
     group (sweep.fuse=on); its ms/step is one step of all six.
  A run's recorded time includes its start (CUDA, data, model), so torchsweep's rate is
  taken from two runs of different lengths: (steps2 - steps1) / (time2 - time1).
  Beside the steps, as on the CPU: a whole run as a whole process (data set on the GPU,
  the loss read every 10th step on both sides, then the 10,000 test images), and
  evaluation alone (the difference of 10,000 and 1,000 images, scaled).

It prints samples/s and ms per step for each and torchsweep's ratios.

    /usr/bin/python3 bench/training_vs_pytorch.py [--batches 200] [--threads 2] [--binary build/torchsweep]
    python3 bench/training_vs_pytorch.py --device cuda --batches 2000
"""
import argparse
import gzip
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def read_idx(name):
    """An IDX file as a uint8 tensor (numpy is not needed)."""
    with gzip.open(os.path.join(ROOT, name + ".gz"), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


class SeedNet(nn.Module):
    """The seed notebook's network (19,642 parameters)."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, k, pad):
            return [nn.Conv2d(cin, cout, k, padding=pad), nn.ReLU(), nn.BatchNorm2d(cout)]

        drop = lambda: nn.Dropout2d(0.01)
        layers = block(1, 16, 3, 0) + block(16, 16, 3, 0) + block(16, 16, 3, 0) + [nn.MaxPool2d(2)]
        layers += block(16, 16, 1, 0) + block(16, 16, 3, 0) + [drop()] + block(16, 16, 3, 0) + [drop()]
        layers += block(16, 16, 3, 0) + [drop()] + block(16, 16, 3, 1) + [drop()] + block(16, 32, 3, 1) + [drop()]
        layers += [nn.AvgPool2d(5)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return F.log_softmax(self.fc(self.features(x).flatten(1)), dim=1)


class SeedStyleDataset(torch.utils.data.Dataset):
    """What torchvision's MNIST dataset does per sample: a PIL image, then the transform."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        from PIL import Image
        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


def train(batches_iter, batches, channels_last=False):
    torch.manual_seed(1)
    model = SeedNet()
    assert sum(p.numel() for p in model.parameters()) == 19642
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    done = 0
    start = time.perf_counter()
    for x, y in batches_iter:
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()  # as the notebook's progress bar reads it
        done += 1
        if done == batches:
            break
    return done * 128 / (time.perf_counter() - start)


def python_loop_rate(make_iter, batches, channels_last=False):
    """Steady-state samples/s of the Python loop: the difference of two lengths."""
    short = max(10, batches // 5)
    start = time.perf_counter()
    train(make_iter(), short, channels_last)
    t_short = time.perf_counter() - start
    start = time.perf_counter()
    train(make_iter(), batches, channels_last)
    t_long = time.perf_counter() - start
    return (batches - short) * 128 / (t_long - t_short)


def python_dataloader(images, labels, batches):
    from torchvision import transforms
    images, labels = images.numpy(), labels.numpy()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    loader = torch.utils.data.DataLoader(SeedStyleDataset(images, labels, transform), batch_size=128, shuffle=True,
                                         num_workers=0)
    return python_loop_rate(lambda: iter(loader), batches)


def python_preloaded(images, labels, batches, channels_last=False):
    x_all = images.float().div_(255).sub_(0.1307).div_(0.3081).unsqueeze(1)
    y_all = labels.long()

    def batches_iter():
        order = torch.randperm(len(y_all))
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            yield x_all[idx], y_all[idx]

    return python_loop_rate(batches_iter, batches, channels_last)


def torchsweep_timed(binary, batches, threads, *extra, device="cpu", lanes=1):
    """One `torchsweep run` of the seed CNN: (its recorded wall seconds, the process's own).
    On the CPU it logs every step, as Python's loop reads every loss; on CUDA every 10th.
    threads None leaves train.threads at its default. With lanes > 1, `extra` sweeps that
    many runs and the recorded time is the slowest run's."""
    threads = [f"train.threads={threads}"] if threads is not None else []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        start = time.perf_counter()
        subprocess.run([binary, "run", os.path.join(REPO, "experiments/s6_fashion_mnist.yaml"), "~train.epochs",
                        f"train.steps={batches}", *threads, "~scheduler", f"device={device}",
                        f"train.log_every={LOG_EVERY[device]}", "--db", db, *extra], check=True,
                       stdout=subprocess.DEVNULL)
        process = time.perf_counter() - start
        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT wall_seconds, steps FROM runs").fetchall()
    assert len(rows) == lanes and all(steps == batches for _, steps in rows), (rows, lanes, batches)
    return max(seconds for seconds, _ in rows), process


def torchsweep_run(binary, batches, threads, *extra):
    """Steady-state samples/s: the difference of two runs' recorded times."""
    short = max(10, batches // 5)
    return (batches - short) * 128 / (torchsweep_timed(binary, batches, threads, *extra)[0] -
                                      torchsweep_timed(binary, short, threads, *extra)[0])


# How often each side reads the loss: every step on the CPU (the notebook's progress
# bar), every 10th on a GPU (where each read waits for the device).
LOG_EVERY = {"cpu": 1, "cuda": 10}


def python_evaluate(model, x_test, y_test, limit, channels_last=False):
    """Mean loss and accuracy over the first `limit` test images, as torchsweep evaluates."""
    model.eval()
    loss, correct = 0.0, 0
    with torch.inference_mode():
        for i in range(0, limit, 1000):
            x = x_test[i:min(limit, i + 1000)]
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            out = model(x)
            y = y_test[i:min(limit, i + 1000)]
            loss += F.nll_loss(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
    model.train()
    return loss / limit, correct / limit


def normalised(name):
    return read_idx(name).float().div_(255).sub_(0.1307).div_(0.3081).unsqueeze(1)


def python_whole_run(batches, threads, device):
    """The child process of the whole-run comparison: what a run does, timed from the
    interpreter's start by the parent. On a GPU the data set lives there, as torchsweep
    places it."""
    torch.set_num_threads(threads)
    device = torch.device(device)
    x_all, y_all = normalised("train-images-idx3-ubyte"), read_idx("train-labels-idx1-ubyte").long()
    test_x, test_y = normalised("t10k-images-idx3-ubyte"), read_idx("t10k-labels-idx1-ubyte").long()
    x_all, y_all, test_x, test_y = (t.to(device) for t in (x_all, y_all, test_x, test_y))
    torch.manual_seed(1)
    model = SeedNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    order = torch.randperm(len(y_all), device=device)
    for step in range(batches):
        first = (step * 128) % (len(y_all) - 128)
        idx = order[first:first + 128]
        optimizer.zero_grad()
        loss = F.nll_loss(model(x_all[idx]), y_all[idx])
        loss.backward()
        optimizer.step()
        if step % LOG_EVERY[device.type] == 0 or step + 1 == batches:
            loss.item()
    python_evaluate(model, test_x, test_y, 10000)


def whole_runs(binary, batches, threads, device="cpu"):
    """(Python's whole process, torchsweep's whole process), seconds."""
    start = time.perf_counter()
    subprocess.run(["/usr/bin/python3", os.path.abspath(__file__), "--whole-run-child", str(batches),
                    "--threads", str(threads), "--device", device], check=True)
    python = time.perf_counter() - start
    return python, torchsweep_timed(binary, batches, threads, device=device)[1]


EVALUATORS = ("python", "python-channels-last", "torchsweep", "torchsweep-contiguous")


def evaluations(binary, threads, device="cpu"):
    """Seconds to evaluate the 10,000 test images, by EVALUATORS: each the difference of
    10,000 and 1,000 images, scaled to 10,000. On a GPU (images and model there, each
    batch's loss read as on the CPU) only the default layouts: python and torchsweep."""
    test_x, test_y = normalised("t10k-images-idx3-ubyte"), read_idx("t10k-labels-idx1-ubyte").long()
    test_x, test_y = test_x.to(device), test_y.to(device)

    def python(channels_last):
        torch.manual_seed(1)
        model = SeedNet().to(device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        python_evaluate(model, test_x, test_y, 1000, channels_last)  # warm-up
        start = time.perf_counter()
        python_evaluate(model, test_x, test_y, 10000, channels_last)
        t_all = time.perf_counter() - start
        start = time.perf_counter()
        python_evaluate(model, test_x, test_y, 1000, channels_last)
        return (t_all - (time.perf_counter() - start)) * 10 / 9

    def torchsweep(*extra):
        t_all = torchsweep_timed(binary, 10, threads, *extra, device=device)[0]
        limited = torchsweep_timed(binary, 10, threads, "data.test_limit=1000", *extra, device=device)[0]
        return (t_all - limited) * 10 / 9

    if device != "cpu":
        return {"python": python(False), "torchsweep": torchsweep()}

    return {"python": python(False), "python-channels-last": python(True), "torchsweep": torchsweep(),
            "torchsweep-contiguous": torchsweep("train.memory_format=contiguous")}


class CudaSetup:
    """The data set on the GPU (normalised), the seeded model and its SGD, and one
    order of the samples: what every GPU variant in Python starts from."""

    def __init__(self, images, labels):
        device = torch.device("cuda")
        self.x_all = images.to(device).float().div_(255).sub_(0.1307).div_(0.3081).unsqueeze(1)
        self.y_all = labels.to(device).long()
        torch.manual_seed(1)
        self.model = SeedNet().to(device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.model.train()
        self.order = torch.randperm(len(self.y_all), device=device)

    def batch_at(self, step):
        start = (step * 128) % (len(self.y_all) - 128)
        idx = self.order[start:start + 128]
        return self.x_all[idx], self.y_all[idx]


def python_cuda(images, labels, batches, read_every):
    """The training loop on a GPU over data already there; the loss is read every `read_every` steps."""
    setup = CudaSetup(images, labels)
    model, optimizer, batch_at = setup.model, setup.optimizer, setup.batch_at
    warmup = 20
    for step in range(warmup + batches):
        if step == warmup:
            torch.cuda.synchronize()
            start = time.perf_counter()
        x, y = batch_at(step)
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if step % read_every == 0:
            loss.item()
    torch.cuda.synchronize()
    return batches * 128 / (time.perf_counter() - start)


def python_cuda_graph(images, labels, batches):
    """The loop with the whole step captured as one CUDA graph (PyTorch's documented way)."""
    setup = CudaSetup(images, labels)
    model, optimizer = setup.model, setup.optimizer
    static_x = torch.empty(128, 1, 28, 28, device="cuda")
    static_y = torch.empty(128, dtype=torch.long, device="cuda")

    def fill(step):
        x, y = setup.batch_at(step)
        static_x.copy_(x)
        static_y.copy_(y)

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for step in range(3):
            fill(step)
            optimizer.zero_grad(set_to_none=True)
            F.nll_loss(model(static_x), static_y).backward()
            optimizer.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = F.nll_loss(model(static_x), static_y)
        static_loss.backward()
        optimizer.step()
    warmup = 20
    for step in range(warmup + batches):
        if step == warmup:
            torch.cuda.synchronize()
            start = time.perf_counter()
        fill(step)
        graph.replay()
        if step % 10 == 0:
            static_loss.item()
    torch.cuda.synchronize()
    return batches * 128 / (time.perf_counter() - start)


def torchsweep_cuda(binary, batches, extra=(), lanes=1):
    """Steady-state samples/s of `torchsweep run` on CUDA: two runs, the difference of
    their times. With lanes > 1, `extra` sweeps that many runs fused into one model, and
    the rate is of whole fused steps (each of `lanes` batches)."""
    def timed(steps):
        return torchsweep_timed(binary, steps, None, *extra, device="cuda", lanes=lanes)[0]
    short = max(50, batches // 5)
    return (batches - short) * 128 / (timed(batches) - timed(short))


def report(results, rounds, unit_note):
    for name, rate in results.items():
        spread = ", ".join(f"{r:.0f}" for r in rounds[name])
        print(f"{name:20s} {rate:10.1f} samples/s  {128e3 / rate:7.3f} ms/step   (rounds: {spread}){unit_note}")


def main_cuda(args):
    images, labels = read_idx("train-images-idx3-ubyte"), read_idx("train-labels-idx1-ubyte")
    name = torch.cuda.get_device_name(0)
    print(f"# {args.batches} batches of 128, best of {args.repeats} interleaved rounds, torch {torch.__version__}, "
          f"{name}")
    fused = ["optimizer.lr=0.01,0.02,0.03,0.04,0.05,0.06", "sweep.fuse=on", "train.cuda_graph=on"]
    variants = {
        "python-eager": lambda: python_cuda(images, labels, args.batches, 1),
        "python-eager-nosync": lambda: python_cuda(images, labels, args.batches, 10),
        "python-graph": lambda: python_cuda_graph(images, labels, args.batches),
        "torchsweep-eager": lambda: torchsweep_cuda(args.binary, args.batches, ["train.cuda_graph=off"]),
        "torchsweep-graph": lambda: torchsweep_cuda(args.binary, args.batches, ["train.cuda_graph=on"]),
        "torchsweep-fused6": lambda: torchsweep_cuda(args.binary, args.batches, fused, lanes=6),
    }
    # Beside the steps, like for like as on the CPU: a whole run as a whole process, and
    # evaluation alone.
    comparisons = {"whole-run", "evaluation"}
    if args.variants:
        asked = args.variants.split(",")
        variants = {n: variants[n] for n in asked if n not in comparisons}
        comparisons &= set(asked)
    rounds = {n: [] for n in variants}
    for _ in range(args.repeats):
        for n, run in variants.items():
            try:
                rounds[n].append(run())
            except Exception as error:  # one variant failing still reports the others
                print(f"{n}: failed: {error}", flush=True)
                rounds[n].append(float("nan"))
    results = {n: max(rates) for n, rates in rounds.items()}
    report(results, rounds, "")
    nan = float("nan")
    eager, graph = results.get("torchsweep-eager", nan), results.get("torchsweep-graph", nan)
    print(f"torchsweep-graph / torchsweep-eager  = {graph / eager:.2f}x")
    print(f"torchsweep-graph / python-eager      = {graph / results.get('python-eager', nan):.2f}x (target >= 2.8x)")
    print(f"torchsweep-graph / python-graph      = {graph / results.get('python-graph', nan):.2f}x")
    print(f"torchsweep-graph ms/step = {128e3 / graph:.3f} (target <= 1.3 on an H100/H200)")
    print(f"torchsweep-fused6 step / torchsweep-graph step = {graph / results.get('torchsweep-fused6', nan):.2f}x "
          "(six runs in one step; target <= 1.5x)")
    try:
        if "whole-run" in comparisons:
            wholes = [whole_runs(args.binary, args.batches, args.threads, "cuda") for _ in range(args.repeats)]
            python_whole, ts_whole = min(w[0] for w in wholes), min(w[1] for w in wholes)
            print(f"a whole run as a whole process (start, data on the GPU, {args.batches} batches, loss read every "
                  f"{LOG_EVERY['cuda']}th, 10,000 test images), best of {args.repeats}: python {python_whole:.2f} s, "
                  f"torchsweep {ts_whole:.2f} s: torchsweep / python = {python_whole / ts_whole:.2f}x")
        if "evaluation" in comparisons:
            evals = [evaluations(args.binary, args.threads, "cuda") for _ in range(args.repeats)]
            best = {name: min(e[name] for e in evals) for name in evals[0]}
            print(f"evaluating 10,000 test images on the GPU, best of {args.repeats}: python {best['python']:.3f} s, "
                  f"torchsweep {best['torchsweep']:.3f} s: torchsweep / python = "
                  f"{best['python'] / best['torchsweep']:.2f}x (target >= 1.0x)")
    except Exception as error:
        print(f"whole-run / evaluation comparison failed: {error}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "torchsweep"))
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each variant's best round counts")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--variants", default="", help="cuda: a comma-separated subset of the variants to run "
                        "(whole-run and evaluation name the two comparisons beside the steps)")
    parser.add_argument("--whole-run-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.whole_run_child:
        return python_whole_run(args.whole_run_child, args.threads, args.device)
    if args.device == "cuda":
        return main_cuda(args)
    torch.set_num_threads(args.threads)
    images, labels = read_idx("train-images-idx3-ubyte"), read_idx("train-labels-idx1-ubyte")
    print(f"# {args.batches} batches of 128, {args.threads} thread(s), best of {args.repeats} interleaved rounds, "
          f"torch {torch.__version__}, CPU")
    variants = {
        "python-dataloader": lambda: python_dataloader(images, labels, args.batches),
        "python-preloaded": lambda: python_preloaded(images, labels, args.batches),
        "python-channels-last": lambda: python_preloaded(images, labels, args.batches, channels_last=True),
        "torchsweep": lambda: torchsweep_run(args.binary, args.batches, args.threads),
        "torchsweep-contiguous": lambda: torchsweep_run(args.binary, args.batches, args.threads,
                                                        "train.memory_format=contiguous"),
    }
    rounds = {name: [] for name in variants}
    wholes, evals = [], []
    for _ in range(args.repeats):  # interleaved, so that machine noise hits every variant alike
        for name, run in variants.items():
            rounds[name].append(run())
        wholes.append(whole_runs(args.binary, args.batches, args.threads))
        evals.append(evaluations(args.binary, args.threads))
    results = {name: max(rates) for name, rates in rounds.items()}
    short = max(10, args.batches // 5)
    print(f"1. steady-state step, every side ({args.batches} - {short}) batches / (time({args.batches}) - "
          f"time({short})):")
    for name, rate in results.items():
        spread = ", ".join(f"{r:.0f}" for r in rounds[name])
        print(f"   {name:24s} {rate:10.1f} samples/s  {128e3 / rate:7.2f} ms/step   (rounds: {spread})")
    ts, tc = results["torchsweep"], results["torchsweep-contiguous"]
    print(f"   torchsweep / python-dataloader = {ts / results['python-dataloader']:.2f}x")
    print(f"   torchsweep / python-preloaded  = {ts / results['python-preloaded']:.2f}x (each as its user runs it "
          f"by default; target >= 1.2x)")
    print(f"   python-channels-last / python-preloaded = "
          f"{results['python-channels-last'] / results['python-preloaded']:.2f}x (the same loop with the model and "
          f"batches in channels-last memory format: what the layout alone is worth)")
    print(f"   like for like, layout by layout: torchsweep / python-channels-last = "
          f"{ts / results['python-channels-last']:.2f}x, torchsweep-contiguous / python-preloaded = "
          f"{tc / results['python-preloaded']:.2f}x")
    python_whole, ts_whole = min(w[0] for w in wholes), min(w[1] for w in wholes)
    print(f"2. a whole run as a whole process (start, data, {args.batches} batches, 10,000 test images), best of "
          f"{args.repeats}: python {python_whole:.2f} s, torchsweep {ts_whole:.2f} s: "
          f"torchsweep / python = {python_whole / ts_whole:.2f}x")
    best = {name: min(e[name] for e in evals) for name in EVALUATORS}
    print(f"3. evaluating 10,000 test images (the difference of 10,000 and 1,000, scaled), best of {args.repeats}: "
          + ", ".join(f"{name} {best[name]:.3f} s" for name in EVALUATORS))
    print(f"   torchsweep / python = {best['python'] / best['torchsweep']:.2f}x (each by default; target >= 1.0x); "
          f"like for like: torchsweep / python-channels-last = "
          f"{best['python-channels-last'] / best['torchsweep']:.2f}x, torchsweep-contiguous / python = "
          f"{best['python'] / best['torchsweep-contiguous']:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
