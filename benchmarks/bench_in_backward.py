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

**Time.** Interleaved rounds of this process's CPU time for the two steps and for
forward + backward alone, accumulating into gradient buffers that are kept and zeroed in place
(the cost of computing the gradients and nothing else). The optimizer's share of a step is the
step's time minus that: for ``step()`` the update plus ``zero_grad(set_to_none=True)``, whose
next backward allocates fresh gradient buffers (torch's default, and a visible cost at tens of
MB); for ``step_in_backward()`` the updates in the hooks and the buffers they free and the next
layer allocates. Each share is taken per round (the step minus forward + backward of the same
round) and printed as median [quartiles]. The ratio printed is torch fused's median share ÷
step_in_backward's (target ≥ 1.2×), beside the whole-step ratio; when the two shares' quartile
ranges overlap, the verdict is "inconclusive" rather than ok or MISS.

Models: the Adam paper's Fig. 2 MLP (784-1000-1000-10, batch 128; seminal's adam-fig2) and a
deeper MLP (8 hidden layers of 1024) where no single layer holds most of the gradients.
Usage: ``python benchmarks/bench_in_backward.py [--rounds 30]``. Not a test.
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
    """Four steps of identical models: step(), step_in_backward(), forward + backward alone, and
    the memory floor (a hook drops each gradient as soon as it is accumulated); the gradients' bytes."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 784, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    models = []
    for _ in range(4):
        torch.manual_seed(0)
        models.append(build())
    model, twin, plain, floor = models
    opt = Adam(model.parameters())
    Adam(twin.parameters()).step_in_backward()
    for p in floor.parameters():
        p.register_post_accumulate_grad_hook(lambda q: setattr(q, "grad", None))

    def with_step() -> None:
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def in_backward() -> None:
        F.cross_entropy(twin(x), y).backward()  # the update happens in here

    def forward_backward() -> None:
        F.cross_entropy(plain(x), y).backward()
        plain.zero_grad(set_to_none=False)  # the buffers are reused: computing the gradients, nothing else

    def memory_floor() -> None:
        F.cross_entropy(floor(x), y).backward()

    grad_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    steps = {"step()": with_step, "step_in_backward()": in_backward, "forward+backward": forward_backward, "floor": memory_floor}
    return steps, grad_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved timing rounds per model (median)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1 (got {args.rounds})")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); seminal Adam (impl auto = torch fused)")
    models = {
        "Adam Fig. 2 MLP 784-1000-1000-10, batch 128": (lambda: DropoutMLP(hidden=1000, depth=2, dropout=0.5), 128),
        "MLP 784-8x1024-10, batch 64": (deep_mlp, 64),
    }
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
        rows.append((name, grad_bytes, peaks, times))

    header = (f"{'model':46s} {'grads MB':>8s} {'step() MB':>9s} {'in-bwd MB':>9s} {'floor MB':>8s} {'lower by':>8s} "
              f"{'÷ grads':>7s} {'÷ floor':>7s}")
    print("\npeak memory of one step (target: lower by the gradients' size; the floor bounds any in-backward update)")
    print(header)
    print("-" * len(header))
    for name, grad_bytes, peaks, _ in rows:
        lower = peaks["step()"] - peaks["step_in_backward()"]
        achievable = peaks["step()"] - peaks["floor"]
        print(f"{name:46s} {grad_bytes / 1e6:8.2f} {peaks['step()'] / 1e6:9.2f} {peaks['step_in_backward()'] / 1e6:9.2f} "
              f"{peaks['floor'] / 1e6:8.2f} {lower / 1e6:8.2f} {lower / grad_bytes:6.2f}x {lower / achievable:6.2f}x")
    print("  target ÷ grads >= 1.0x; ÷ floor = 1.00x means the step is at the floor")

    print(f"\noptimizer's share of a step (CPU time, {args.rounds} interleaved rounds; target share ratio >= 1.2x)")
    print("  share = the step minus forward+backward alone of the same round (paired); median [quartiles] in ms")
    for name, _, _, times in rows:
        t = {key: statistics.median(values) for key, values in times.items()}
        fb = times["forward+backward"]
        fused = sorted(a - b for a, b in zip(times["step()"], fb))
        in_bwd = sorted(a - b for a, b in zip(times["step_in_backward()"], fb))
        fused_share, in_bwd_share = statistics.median(fused), statistics.median(in_bwd)
        if in_bwd_share > 0:
            share_ratio = fused_share / in_bwd_share
            # Quartile ranges that overlap: the two shares are not told apart at this noise.
            (fused_q1, fused_q3), (in_bwd_q1, in_bwd_q3) = _quartiles(fused), _quartiles(in_bwd)
            apart = fused_q1 > in_bwd_q3 or fused_q3 < in_bwd_q1
            verdict = ("ok" if share_ratio >= 1.2 else "MISS") if apart else "inconclusive (quartiles overlap)"
            share = f"share {share_ratio:5.2f}x {verdict}"
        else:  # timing noise larger than the update itself
            share = "share: in backward within noise of forward+backward alone"
        print(f"  {name:46s} fwd+bwd {t['forward+backward'] * 1e3:6.1f} ms | step() optimizer {_ms(fused)} | "
              f"in backward optimizer {_ms(in_bwd)} | {share}, whole step {t['step()'] / t['step_in_backward()']:.2f}x")


def _quartiles(values: list[float]) -> tuple[float, float]:
    """First and third quartiles of sorted ``values``."""
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[2]


def _ms(values: list[float]) -> str:
    low, high = _quartiles(values)
    return f"{statistics.median(values) * 1e3:5.1f} [{low * 1e3:.1f}, {high * 1e3:.1f}]"


if __name__ == "__main__":
    main()
