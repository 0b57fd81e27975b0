#!/usr/bin/python3
"""CIFAR-10 ResNet-18 training throughput: torchsweep against PyTorch in Python.

The shipped spec experiments/cifar10_resnet18.yaml (ResNet-18 in its CIFAR form,
batch 128, SGD lr 0.1 momentum 0.9 Nesterov weight decay 5e-4, nll loss, random crop
with padding 4 and horizontal flip on the data's device) for the same number of
steps, in one invocation:
  1. python: torchvision's resnet18(num_classes=10) with a 3x3 stride-1 stem and no
     max-pool, the training set resident on the device as uint8, each batch gathered
     there, scaled to [0, 1], passed through torchvision's (v1) RandomCrop(32, padding=4)
     and RandomHorizontalFlip() as one tensor, normalised per channel; the loss read
     every 10 steps. (The v1 transforms on a batch tensor draw one crop and one flip for
     the whole batch; torchsweep draws them per image, which is the more work.)
  2. torchsweep-eager: `torchsweep run` of the spec, one learning rate,
     train.cuda_graph=off, train.log_every=10, its evaluation at the end on 256 test
     images (data.test_limit) so that it costs little;
  3. torchsweep-graph (CUDA only): the same with train.cuda_graph=on.
Python's rate is timed after 10 warm-up steps (1 on the CPU). A run's recorded time includes its start
(CUDA, data, model), so on CUDA torchsweep's rate is taken from two runs of different
lengths, (steps2 - steps1) / (time2 - time1); on the CPU from one run's time.

Without --root (or when it lacks the files), it writes CIFAR-10's binary format with
random pixels into a temporary folder (data_batch_1..5.bin, test_batch.bin: records of a
label byte and 3,072 pixel bytes, the red, green and blue planes of 32x32 row-major), so
it runs anywhere; the rate does not depend on the pixels.

    python3 bench/cifar_resnet_vs_pytorch.py --device cuda --steps 300 --binary build-cuda/torchsweep
    /usr/bin/python3 bench/cifar_resnet_vs_pytorch.py --device cpu --steps 3 --repeats 1   # proves it runs
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SPEC = os.path.join(REPO, "experiments", "cifar10_resnet18.yaml")
FILES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
RECORD = 1 + 3 * 32 * 32
# CIFAR-10's per-channel mean and standard deviation of the training set.
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
BATCH = 128


def write_random_cifar(folder, records_per_file):
    """CIFAR-10's binary files with random labels and pixels."""
    generator = torch.Generator().manual_seed(0)
    for name in FILES:
        labels = torch.randint(0, 10, (records_per_file, 1), dtype=torch.uint8, generator=generator)
        pixels = torch.randint(0, 256, (records_per_file, RECORD - 1), dtype=torch.uint8, generator=generator)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(torch.cat([labels, pixels], 1).numpy().tobytes())


def read_cifar_train(folder):
    """The five training files as uint8 images [N, 3, 32, 32] and int64 labels."""
    raw = b"".join(open(os.path.join(folder, name), "rb").read() for name in FILES[:5])
    records = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, RECORD)
    return records[:, 1:].reshape(-1, 3, 32, 32).clone(), records[:, 0].long()


def resnet18_cifar():
    import torchvision
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    torch.nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.maxpool = torch.nn.Identity()
    assert sum(p.numel() for p in model.parameters()) == 11173962
    return model


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def python_loop(folder, device, steps):
    warmup = 10 if device.type == "cuda" else 1
    from torchvision import transforms
    images, labels = read_cifar_train(folder)
    images, labels = images.to(device), labels.to(device)
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    augment = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()])
    torch.manual_seed(1)
    model = resnet18_cifar().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    model.train()
    order = torch.randperm(len(labels), device=device)
    per_epoch = len(labels) // BATCH
    start = None
    for step in range(warmup + steps):
        if step == warmup:
            sync(device)
            start = time.perf_counter()
        if step % per_epoch == 0 and step:
            order = torch.randperm(len(labels), device=device)
        idx = order[(step % per_epoch) * BATCH:(step % per_epoch + 1) * BATCH]
        x = (augment(images[idx].float().div_(255)) - mean) / std
        optimizer.zero_grad(set_to_none=True)
        loss = F.nll_loss(F.log_softmax(model(x), 1), labels[idx])
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            loss.item()
    sync(device)
    return steps * BATCH / (time.perf_counter() - start)


def torchsweep_run(binary, folder, device, steps, extra=()):
    """(seconds, steps) of one run of the spec as torchsweep records them."""
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        subprocess.run([binary, "run", SPEC, f"data.root={folder}", "optimizer.lr=0.1", "~train.epochs",
                        f"train.steps={steps}", "train.log_every=10", "data.test_limit=256", f"device={device.type}", "--db", db, *extra],
                       check=True, stdout=subprocess.DEVNULL)
        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT wall_seconds, steps, status, engine FROM runs").fetchall()
    assert len(rows) == 1 and rows[0][1] == steps and rows[0][2] == "finished", rows
    return rows[0][0]


def torchsweep_rate(binary, folder, device, steps, extra=()):
    if device.type != "cuda":
        return steps * BATCH / torchsweep_run(binary, folder, device, steps, extra)
    short = max(20, steps // 5)
    long_seconds = torchsweep_run(binary, folder, device, steps, extra)
    short_seconds = torchsweep_run(binary, folder, device, short, extra)
    return (steps - short) * BATCH / (long_seconds - short_seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=300, help="timed steps of batch 128 for each variant")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds; each variant's best counts")
    parser.add_argument("--root", default=os.path.join(REPO, "data", "cifar-10-batches-bin"),
                        help="CIFAR-10's binary files; random ones are written when they are absent")
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "torchsweep"))
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU: intra-op threads of both")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        folder, kind = args.root, "CIFAR-10"
        if not all(os.path.exists(os.path.join(folder, name)) for name in FILES):
            folder, kind = scratch, "random pixels in CIFAR-10's format"
            write_random_cifar(folder, 10000)
        name = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
        print(f"# resnet18_cifar, {args.steps} steps of {BATCH}, crop 4 + flip on the device, {kind}, "
              f"best of {args.repeats} interleaved rounds, torch {torch.__version__}, {name}", flush=True)
        threads = [f"train.threads={args.threads}"] if device.type == "cpu" else []
        variants = {
            "python": lambda: python_loop(folder, device, args.steps),
            "torchsweep-eager": lambda: torchsweep_rate(args.binary, folder, device, args.steps,
                                                        ["train.cuda_graph=off", *threads]),
        }
        if device.type == "cuda":
            variants["torchsweep-graph"] = lambda: torchsweep_rate(args.binary, folder, device, args.steps,
                                                                   ["train.cuda_graph=on"])
        rounds = {n: [] for n in variants}
        for _ in range(args.repeats):  # interleaved, so that machine noise hits every variant alike
            for n, run in variants.items():
                try:
                    rounds[n].append(run())
                except Exception as error:  # one variant failing still reports the others
                    print(f"{n}: failed: {error}", flush=True)
                    rounds[n].append(float("nan"))
    results = {n: max(rates) for n, rates in rounds.items()}
    for n, rate in results.items():
        spread = ", ".join(f"{r:.0f}" for r in rounds[n])
        print(f"{n:18s} {rate:10.1f} samples/s  {BATCH * 1e3 / rate:8.2f} ms/step   (rounds: {spread})")
    for n in variants:
        if n != "python":
            print(f"{n} / python = {results[n] / results['python']:.2f}x")
    return 0 if all(r == r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
