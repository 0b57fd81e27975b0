#!/usr/bin/python3
"""A model written in PyTorch, saved as TorchScript for torchsweep.

usage: make_model.py [OUT]      (default: net.pt beside this script)

Any nn.Module that torch.jit.script compiles (or torch.jit.trace traces) will do; its
forward takes a batch of inputs and returns one tensor (here log-probabilities, for
the `nll` loss). The weights saved are the initial weights of every run that trains it.
"""
import os
import sys

import torch
from torch import nn


class SmallCnn(nn.Module):
    """Two conv-relu-batchnorm blocks with max-pooling, then a linear head: 1x28x28 -> 10."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(16), nn.MaxPool2d(2),  # 16x14x14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(32), nn.MaxPool2d(2),  # 32x7x7
            nn.Dropout2d(0.1),
        )
        self.head = nn.Linear(32 * 7 * 7, classes)

    def forward(self, x):
        x = self.features(x)
        return torch.log_softmax(self.head(torch.flatten(x, 1)), dim=1)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "net.pt")
    torch.manual_seed(0)
    model = SmallCnn()
    scripted = torch.jit.script(model)  # the two lines at the heart of it
    scripted.save(out)
    print(f"{out}: {sum(p.numel() for p in model.parameters()):,} parameters")
