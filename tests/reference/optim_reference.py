#!/usr/bin/python3
"""Reference values for torchsweep's optimizer and learning-rate schedule tests,
computed by PyTorch in Python (Debian's python3-torch, the same version as the
LibTorch the project builds against).

    /usr/bin/python3 tests/reference/optim_reference.py > tests/reference/optim_reference.json

Optimizers: a 3->2 linear layer in float64 with fixed weights, fixed inputs and
targets, MSE loss, five steps; the parameters after every step are recorded.
Schedules: the learning rate PyTorch's scheduler gives at every epoch or step.
"""
import json
import math

import torch

INPUTS = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-2.0, 1.0, 0.75], [0.1, 0.2, 0.3]]
TARGETS = [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5], [0.2, 0.1]]
WEIGHT = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]
BIAS = [0.05, -0.05]
STEPS = 5

OPTIMIZERS = {
    "sgd": (torch.optim.SGD, {"lr": 0.1}),
    "sgd_momentum": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    "sgd_nesterov": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "adam": (torch.optim.Adam, {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01}),
    "adam_amsgrad": (torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    "adamw": (torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
}

# torchsweep option names for the same settings.
TORCHSWEEP_OPTIONS = {
    "sgd": {"name": "sgd", "lr": 0.1},
    "sgd_momentum": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
    "sgd_nesterov": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
    "adam": {"name": "adam", "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
    "adam_amsgrad": {"name": "adam", "lr": 0.01, "amsgrad": True},
    "adamw": {"name": "adamw", "lr": 0.01, "weight_decay": 0.1},
    "rmsprop": {"name": "rmsprop", "lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True},
    "adagrad": {"name": "adagrad", "lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
}


def optimizer_trajectory(cls, kwargs):
    layer = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(WEIGHT, dtype=torch.float64))
        layer.bias.copy_(torch.tensor(BIAS, dtype=torch.float64))
    optimizer = cls(layer.parameters(), **kwargs)
    x = torch.tensor(INPUTS, dtype=torch.float64)
    y = torch.tensor(TARGETS, dtype=torch.float64)
    steps = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(layer(x), y).backward()
        optimizer.step()
        steps.append({"weight": layer.weight.detach().flatten().tolist(), "bias": layer.bias.detach().tolist()})
    return steps


def schedule_lrs(make, count, base_lr=0.1):
    layer = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=base_lr)
    scheduler = make(optimizer)
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


S = torch.optim.lr_scheduler
SCHEDULES = {
    "step": ({"name": "step", "step_size": 3, "gamma": 0.5}, False, lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    "multistep": ({"name": "multistep", "milestones": [2, 5, 7], "gamma": 0.1}, False,
                  lambda o: S.MultiStepLR(o, milestones=[2, 5, 7], gamma=0.1)),
    "exponential": ({"name": "exponential", "gamma": 0.8}, False, lambda o: S.ExponentialLR(o, gamma=0.8)),
    "cosine": ({"name": "cosine", "t_max": 10, "eta_min": 0.001}, False,
               lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    "onecycle": ({"name": "onecycle", "max_lr": 1.0, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},
                 True, lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=20, pct_start=0.3, div_factor=25.0,
                                              final_div_factor=1e4, cycle_momentum=False)),
    "linear_warmup": ({"name": "linear_warmup", "start_factor": 0.25, "warmup_steps": 4}, True,
                      lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4)),
}


def main():
    out = {
        "torch_version": torch.__version__,
        "problem": {"inputs": INPUTS, "targets": TARGETS, "weight": WEIGHT, "bias": BIAS, "steps": STEPS},
        "optimizers": {},
        "schedules": {},
    }
    for name, (cls, kwargs) in OPTIMIZERS.items():
        out["optimizers"][name] = {"options": TORCHSWEEP_OPTIONS[name], "trajectory": optimizer_trajectory(cls, kwargs)}
    for name, (options, per_step, make) in SCHEDULES.items():
        # 20 epochs, or 20 steps (the one-cycle total).
        out["schedules"][name] = {"options": options, "per_step": per_step, "base_lr": 0.1, "count": 20,
                                  "lrs": schedule_lrs(make, 20)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
