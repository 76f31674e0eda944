"""Benchmark: Adam's step inside backward (``opt.step_in_backward()``) against ``step()``.

Issue 14's target: peak memory lower by the gradients' size. A training step here is forward,
``loss.backward()`` and -- for the baseline -- ``opt.step(); opt.zero_grad(set_to_none=True)``;
with ``step_in_backward()`` the update runs inside ``backward()`` and frees every gradient as
soon as it is used.

Peak memory is that of the CPU allocator during one step, read from torch.profiler's memory
events (``profile_memory=True``: each event carries the total allocated since the profile
began), after warm-up steps have created the optimizer state. Parameters and optimizer state
exist before the profile starts, so the number is the step's transient peak: activations,
gradients and temporaries. The gradients' size is Σ numel·itemsize over the parameters. Since
the update of a layer can only start after its gradient exists, the best possible reduction is
the gradients' size minus the gradients alive at the step's worst moment; the ratio printed is
(reduction) / (gradients' size), target 1.0.

Models: the Adam paper's Fig. 2 MLP (784-1000-1000-10, batch 128; seminal's adam-fig2) and a
deeper MLP (8 hidden layers of 1024) where no single layer holds most of the gradients.
Step times (median over interleaved rounds, this process's CPU time) are printed for
information. Usage: ``python benchmarks/bench_in_backward.py [--rounds 5]``. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile

from seminal.adam import Adam
from seminal.adam.reproductions.models import DropoutMLP


def deep_mlp(width: int = 1024, depth: int = 8) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten(), nn.Linear(784, width), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def peak_allocated(fn: Callable[[], None]) -> int:
    """Peak bytes held by the CPU allocator during ``fn()``, counted from its start."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        prof.export_chrome_trace(path)
        with open(path, encoding="utf-8") as trace:
            events = json.load(trace)["traceEvents"]
    finally:
        os.unlink(path)
    totals = [e["args"]["Total Allocated"] for e in events if e.get("name") == "[memory]"]
    return max(totals, default=0)


def make_steps(build: Callable[[], nn.Module], batch: int) -> tuple[dict[str, Callable[[], None]], int]:
    """Training steps of two identical models: step() and step_in_backward(); the gradients' bytes."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 784, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    torch.manual_seed(0)
    model = build()
    torch.manual_seed(0)
    twin = build()
    opt, twin_opt = Adam(model.parameters()), Adam(twin.parameters())
    twin_opt.step_in_backward()

    def with_step() -> None:
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def in_backward() -> None:
        F.cross_entropy(twin(x), y).backward()  # the update happens in here

    grad_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return {"step()": with_step, "step_in_backward()": in_backward}, grad_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); seminal Adam (impl auto)")
    models = {
        "Adam Fig. 2 MLP 784-1000-1000-10, batch 128": (lambda: DropoutMLP(hidden=1000, depth=2, dropout=0.5), 128),
        "MLP 784-8x1024-10, batch 64": (deep_mlp, 64),
    }
    header = f"{'model':46s} {'grads MB':>8s} {'peak step() MB':>14s} {'peak in-bwd MB':>14s} {'lower by MB':>11s} {'÷ grads':>7s}  target"
    rows = []
    for name, (build, batch) in models.items():
        steps, grad_bytes = make_steps(build, batch)
        for fn in steps.values():  # warm-up: optimizer state, allocator
            fn()
            fn()
        peaks = {key: peak_allocated(fn) for key, fn in steps.items()}
        times: dict[str, list[float]] = {key: [] for key in steps}
        for _ in range(args.rounds):
            for key, fn in steps.items():
                start = time.process_time()
                fn()
                times[key].append(time.process_time() - start)
        lower = peaks["step()"] - peaks["step_in_backward()"]
        rows.append((name, grad_bytes, peaks, lower, {k: statistics.median(v) for k, v in times.items()}))
    print()
    print(header)
    print("-" * len(header))
    for name, grad_bytes, peaks, lower, _ in rows:
        ratio = lower / grad_bytes
        print(f"{name:46s} {grad_bytes / 1e6:8.2f} {peaks['step()'] / 1e6:14.2f} {peaks['step_in_backward()'] / 1e6:14.2f} "
              f"{lower / 1e6:11.2f} {ratio:6.2f}x  >= 1.0x {'ok' if ratio >= 1.0 else 'MISS'}")
    print("\nstep time (median CPU time, for information):")
    for name, _, _, _, t in rows:
        print(f"  {name:46s} step() {t['step()'] * 1e3:7.1f} ms   in backward {t['step_in_backward()'] * 1e3:7.1f} ms   "
              f"ratio {t['step()'] / t['step_in_backward()']:.2f}x")


if __name__ == "__main__":
    main()
