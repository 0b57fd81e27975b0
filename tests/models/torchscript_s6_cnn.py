"""The seed notebook's CNN (models/s6_cnn.cpp) written in PyTorch, for the TorchScript tests.

    torchscript_s6_cnn.py save OUT.pt [DROPOUT]
        scripts the network and saves it; prints {"parameters": N} (Python's own count).
    torchscript_s6_cnn.py state_dict OUT.pt
        saves the network's weights with torch.save (not TorchScript).
    torchscript_s6_cnn.py counting OUT.pt
        saves a module whose forward pass counts its calls in an int attribute.
    torchscript_s6_cnn.py reference MODEL.pt BATCHES_PREFIX STEPS LR MOMENTUM
        trains the weights of MODEL.pt, as an eager nn.Module, with torch.optim.SGD on the
        batches the test wrote (PREFIX.inputs: float32 [STEPS, B, 1, 28, 28], PREFIX.targets:
        int64 [STEPS, B]); prints the loss before each update as a JSON list.
"""
import json
import sys

import torch
from torch import nn


class S6Cnn(nn.Module):
    """9 conv-relu-batchnorm blocks, a max-pool, Dropout2d after blocks 5-9, global
    average pooling, 32 -> 10 linear, log_softmax: 19,642 parameters. The layers are in
    one Sequential named `layers`, as torchsweep's layered models hold theirs."""

    def __init__(self, dropout: float = 0.01):
        super().__init__()
        layers = []

        def block(inputs, out, kernel, padding=0):
            layers.extend([nn.Conv2d(inputs, out, kernel, padding=padding), nn.ReLU(), nn.BatchNorm2d(out)])

        block(1, 16, 3)
        block(16, 16, 3)
        block(16, 16, 3)
        layers.append(nn.MaxPool2d(2))
        block(16, 16, 1)
        block(16, 16, 3)
        layers.append(nn.Dropout2d(dropout))
        block(16, 16, 3)
        layers.append(nn.Dropout2d(dropout))
        block(16, 16, 3)
        layers.append(nn.Dropout2d(dropout))
        block(16, 16, 3, padding=1)
        layers.append(nn.Dropout2d(dropout))
        block(16, 32, 3, padding=1)
        layers.append(nn.Dropout2d(dropout))
        layers.extend([nn.AvgPool2d(5), nn.Flatten(), nn.Linear(32, 10), nn.LogSoftmax(dim=1)])
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class Counting(nn.Module):
    """Keeps state on the host: a call counter its forward pass increments."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.linear = nn.Linear(4, 2)

    def forward(self, x):
        self.calls += 1
        return self.linear(x)


def save(out, dropout):
    model = S6Cnn(dropout)
    torch.jit.script(model).save(out)  # the two lines a user writes
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))


def reference(model_path, prefix, steps, lr, momentum):
    torch.set_num_threads(1)
    model = S6Cnn(0.0)
    model.load_state_dict(torch.jit.load(model_path).state_dict())
    model.train()
    with open(prefix + ".inputs", "rb") as f:
        inputs = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).view(steps, -1, 1, 28, 28)
    with open(prefix + ".targets", "rb") as f:
        targets = torch.frombuffer(bytearray(f.read()), dtype=torch.int64).view(steps, -1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.nll_loss(model(inputs[step]), targets[step])
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    print(json.dumps(losses))


if __name__ == "__main__":
    if sys.argv[1] == "state_dict":
        torch.save(S6Cnn().state_dict(), sys.argv[2])
    elif sys.argv[1] == "counting":
        torch.jit.script(Counting()).save(sys.argv[2])
    elif sys.argv[1] == "save":
        save(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.01)
    else:
        reference(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
