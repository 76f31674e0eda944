"""Benchmark: Adam's step inside backward (``opt.step_in_backward()``) against ``step()``.

Issue 14's targets: peak memory lower by the gradients' size, and the optimizer's share of a
training step ≥ 1.2× faster than torch's fused Adam. A training step here is forward,
``loss.backward()`` and -- for the baseline -- ``opt.step(); opt.zero_grad(set_to_none=True)``
(seminal ``Adam`` with ``impl="auto"``, which is torch's fused kernel on these tensors); with
``step_in_backward()`` the update runs inside ``backward()`` and frees every gradient as soon
as it is used.

**Memory.** Peak memory is that of the CPU allocator during one step, read from torch.profiler's
memory events (``profile_memory=True``: each event carries the total allocated since the
profile began), after warm-up steps have created the optimizer state. Parameters and optimizer
state exist before the profile starts, so the number is the step's transient peak: activations,
gradients and temporaries. The gradients' size is Σ numel·itemsize over the parameters.

A layer's update can only start once its gradient exists, and that gradient is computed while
the activations still needed by the layers below are alive. So no in-backward update can go
below the **floor**: the peak of a backward in which a hook drops each gradient the moment it is
accumulated (no update at all), measured here in the same run. The printed ratios are the
reduction ÷ the gradients' size (the issue's target, 1.0) and the reduction ÷ the reduction the
floor allows (1.0 = nothing left to gain by any in-backward scheme).

**Time.** Interleaved rounds of this process's CPU time for the two steps and for the
baseline: forward + backward with every gradient dropped as soon as it is accumulated (the floor
model above), i.e. computing each gradient into a fresh buffer and nothing else. The optimizer's
share of a step is the step's time minus the baseline's: for ``step()`` the update, the gradient
buffers kept until it runs, and ``zero_grad(set_to_none=True)``; for ``step_in_backward()`` the
updates in the hooks and what they do to the backward around them (caches, allocation). (An
earlier baseline accumulated into kept, zeroed buffers; that adds a read and a write of every
gradient to the baseline and made both shares look smaller than the update itself.) Each share
is taken per round (the step minus the baseline of the same round) and printed as median
[quartiles]. The ratio printed is torch fused's median share ÷ step_in_backward's (target ≥
1.2×), beside the whole-step ratio, with a 95 % bootstrap interval for that ratio (rounds
resampled with replacement, the pairing of each round kept, 2,000 resamples, fixed seed). The
verdict is "ok" when the whole interval is at or above the target, "MISS" when it is wholly
below, and "inconclusive" when it straddles the target. (The quartiles describe single rounds;
the interval describes the median ratio, which is what the target is.)

A second line per model times the update calls alone with the thread's CPU clock, no baseline:
``opt.step(); opt.zero_grad()`` for step(), the sum of the hooks' update calls for
step_in_backward(). It tells the cost of the updates themselves from what they do to the
backward around them.

The glibc allocator decides whether freed gradient buffers go back to the OS (then the next
backward pays page faults on fresh pages) or are kept for reuse, and its thresholds move with
the process's history; the step() share depends on it. ``--malloc keep`` reruns the benchmark in
a child process with the buffers always kept (``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` set high), so that regime can be measured on its own.

Models: the Adam paper's Fig. 2 MLP (784-1000-1000-10, batch 128; seminal's adam-fig2) and a
deeper MLP (8 hidden layers of 1024) where no single layer holds most of the gradients.
Usage: ``python benchmarks/bench_in_backward.py [--rounds 30]``. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile

from seminal.adam import Adam
from seminal.adam.reproductions.models import DropoutMLP


#: glibc settings under which freed buffers are never returned to the OS (--malloc keep).
_KEEP = {"MALLOC_MMAP_THRESHOLD_": str(1 << 28), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


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


def make_steps(build: Callable[[], nn.Module], batch: int) -> tuple[dict[str, Callable[[], None]], int, dict[str, list[float]]]:
    """Three steps of identical models: step(), step_in_backward(), and the memory floor and
    time baseline (a hook drops each gradient as soon as it is accumulated); the gradients' bytes;
    and, per step, the CPU time of the update calls alone (``opt.step(); opt.zero_grad()``, resp.
    the sum over the hooks' update calls), appended on every call."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 784, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    models = []
    for _ in range(3):
        torch.manual_seed(0)
        models.append(build())
    model, twin, floor = models
    opt = Adam(model.parameters())
    twin_opt = Adam(twin.parameters())
    twin_opt.step_in_backward()
    updates: dict[str, list[float]] = {"step()": [], "step_in_backward()": []}
    in_hooks = [0.0]
    step_held = twin_opt._step_held

    def timed_step_held(group_index: int) -> None:
        start = time.thread_time()
        step_held(group_index)
        in_hooks[0] += time.thread_time() - start

    twin_opt._step_held = timed_step_held  # type: ignore[method-assign]
    for p in floor.parameters():
        p.register_post_accumulate_grad_hook(lambda q: setattr(q, "grad", None))

    def with_step() -> None:
        F.cross_entropy(model(x), y).backward()
        start = time.thread_time()
        opt.step()
        opt.zero_grad(set_to_none=True)
        updates["step()"].append(time.thread_time() - start)

    def in_backward() -> None:
        in_hooks[0] = 0.0
        F.cross_entropy(twin(x), y).backward()  # the update happens in here
        updates["step_in_backward()"].append(in_hooks[0])

    def memory_floor() -> None:
        F.cross_entropy(floor(x), y).backward()

    grad_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    steps = {"step()": with_step, "step_in_backward()": in_backward, "floor": memory_floor}
    return steps, grad_bytes, updates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved timing rounds per model (median)")
    parser.add_argument("--malloc", choices=("default", "keep"), default="default",
                        help="keep: rerun in a child process whose allocator keeps freed buffers (glibc thresholds set high)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1 (got {args.rounds})")
    if args.malloc == "keep" and any(os.environ.get(name) != value for name, value in _KEEP.items()):
        # glibc reads these when the process starts: a child process with them set.
        child = [sys.executable, __file__, "--rounds", str(args.rounds), "--malloc", "keep"]
        raise SystemExit(subprocess.run(child, env=os.environ | _KEEP, check=False).returncode)
    print(f"allocator: {'freed buffers always kept (' + ', '.join(f'{k}={v}' for k, v in _KEEP.items()) + ')' if args.malloc == 'keep' else 'default'}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); seminal Adam (impl auto = torch fused)")
    models = {
        "Adam Fig. 2 MLP 784-1000-1000-10, batch 128": (lambda: DropoutMLP(hidden=1000, depth=2, dropout=0.5), 128),
        "MLP 784-8x1024-10, batch 64": (deep_mlp, 64),
    }
    rows = []
    for name, (build, batch) in models.items():
        steps, grad_bytes, updates = make_steps(build, batch)
        for fn in steps.values():  # warm-up: optimizer state, allocator
            fn()
            fn()
        peaks = {key: peak_allocated(fn) for key, fn in steps.items()}
        times: dict[str, list[float]] = {key: [] for key in steps}
        for values in updates.values():
            values.clear()
        for _ in range(args.rounds):
            for key, fn in steps.items():
                start = time.process_time()
                fn()
                times[key].append(time.process_time() - start)
        rows.append((name, grad_bytes, peaks, times, updates))

    header = (f"{'model':46s} {'grads MB':>8s} {'step() MB':>9s} {'in-bwd MB':>9s} {'floor MB':>8s} {'lower by':>8s} "
              f"{'÷ grads':>7s} {'÷ floor':>7s}")
    print("\npeak memory of one step (target: lower by the gradients' size; the floor bounds any in-backward update)")
    print(header)
    print("-" * len(header))
    for name, grad_bytes, peaks, _, _ in rows:
        lower = peaks["step()"] - peaks["step_in_backward()"]
        achievable = peaks["step()"] - peaks["floor"]
        print(f"{name:46s} {grad_bytes / 1e6:8.2f} {peaks['step()'] / 1e6:9.2f} {peaks['step_in_backward()'] / 1e6:9.2f} "
              f"{peaks['floor'] / 1e6:8.2f} {lower / 1e6:8.2f} {lower / grad_bytes:6.2f}x {lower / achievable:6.2f}x")
    print("  target ÷ grads >= 1.0x; ÷ floor = 1.00x means the step is at the floor")

    print(f"\noptimizer's share of a step (CPU time, {args.rounds} interleaved rounds; target share ratio >= 1.2x)")
    print("  share = the step minus the baseline (backward, each gradient dropped when accumulated) of the same round (paired); "
          "median [quartiles] in ms")
    for name, _, _, times, updates in rows:
        t = {key: statistics.median(values) for key, values in times.items()}
        fb = times["floor"]
        fused = [a - b for a, b in zip(times["step()"], fb)]  # per round, paired
        in_bwd = [a - b for a, b in zip(times["step_in_backward()"], fb)]
        fused_share, in_bwd_share = statistics.median(fused), statistics.median(in_bwd)
        if in_bwd_share > 0:
            share_ratio = fused_share / in_bwd_share
            low, high = _bootstrap_ratio(fused, in_bwd)
            verdict = "ok" if low >= 1.2 else "MISS" if high < 1.2 else "inconclusive (interval straddles 1.2x)"
            share = f"share {share_ratio:5.2f}x [95% {low:.2f}, {high:.2f}] {verdict}"
        else:  # timing noise larger than the update itself
            share = "share: in backward within noise of the baseline"
        print(f"  {name:46s} baseline {t['floor'] * 1e3:6.1f} ms | step() optimizer {_ms(fused)} | "
              f"in backward optimizer {_ms(in_bwd)} | {share}, whole step {t['step()'] / t['step_in_backward()']:.2f}x")
        print(f"  {'':46s} the update calls alone (thread CPU time, no baseline): step()+zero_grad "
              f"{_ms(updates['step()'])} | the hooks' updates {_ms(updates['step_in_backward()'])}")


def _bootstrap_ratio(fused_shares: list[float], in_bwd_shares: list[float], resamples: int = 2000) -> tuple[float, float]:
    """95 % bootstrap interval of median(fused_shares) / median(in_bwd_shares), resampling whole
    rounds (the two lists are paired by round)."""
    gen = torch.Generator().manual_seed(0)
    n = len(fused_shares)
    ratios = []
    for _ in range(resamples):
        rounds = torch.randint(0, n, (n,), generator=gen).tolist()
        fused = statistics.median(fused_shares[i] for i in rounds)
        ours = statistics.median(in_bwd_shares[i] for i in rounds)
        ratios.append(fused / ours if ours > 0 else float("inf"))
    ratios.sort()
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def _quartiles(values: list[float]) -> tuple[float, float]:
    """First and third quartiles of ``values``."""
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[2]


def _ms(values: list[float]) -> str:
    low, high = _quartiles(values)
    return f"{statistics.median(values) * 1e3:5.1f} [{low * 1e3:.1f}, {high * 1e3:.1f}]"


if __name__ == "__main__":
    main()
