"""Step throughput of seminal's Adam/AdaMax against torch.optim and the memory-bandwidth bound.

Usage::

    python benchmarks/bench_adam.py                 # ~25M fp32 parameters in 40 tensors
    python benchmarks/bench_adam.py --numel 5e6 --rounds 3 --json results/bench_adam.json
    python benchmarks/bench_adam.py --clock cpu --tensors 400 --only "Adam (auto"
    python benchmarks/bench_adam.py --overhead 400   # Python cost per step: 400 tiny tensors

An optimizer step on fp32 parameters is memory-bound. Its floor is the bytes it must move per
parameter (spec sheet, papers/adam.md): Adam reads θ, g, m, v and writes θ, m, v = 28 B; AMSGrad
+8 B (v_max); temporal averaging +8 B (θ̄); AdaMax 28 B (u in place of v). The script measures the
machine's bandwidth with in-place streaming kernels on arrays as large as the model, far larger
than the caches (the best of a += s·b and a.lerp_(b, w), 12 B/element, no write-allocate), timed
in the same rounds as the optimizers. For every method it reports ms per step, effective GB/s, the ratio to torch's fused Adam (same run) and the ratio to its own
bandwidth bound (bound time / measured time; 1.0 = at the measured bandwidth).

Methods are timed in interleaved rounds and each reports its fastest timed step (as ``timeit``
does: other processes can only slow a step down, so the minimum is the least disturbed
measurement; ``--stat median`` reports medians instead). On a machine shared with other busy
processes even the minimum wall time is inflated; ``--clock cpu`` then runs torch on one thread
and times each step by the CPU time of that thread (``time.thread_time``), which excludes the time
the thread spends waiting for a core. Ratios from the two clocks answer the same question (how
close to the bandwidth bound, how close to torch fused) for 2 threads resp. 1 thread.
This is a script, not a test.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from seminal.adam import AdaMax, Adam


@dataclass
class Method:
    name: str
    bytes_per_param: int
    make: Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer]
    target: str = ""  # "vs_fused >= 0.95" or "vs_bound >= 0.8"


METHODS = [
    Method("torch Adam (for-loop)", 28, lambda p: torch.optim.Adam(p, foreach=False)),
    Method("torch Adam (foreach)", 28, lambda p: torch.optim.Adam(p, foreach=True)),
    Method("torch Adam (fused)", 28, lambda p: torch.optim.Adam(p, fused=True)),
    Method("torch Adamax (for-loop)", 28, lambda p: torch.optim.Adamax(p, foreach=False)),
    Method("torch Adamax (foreach)", 28, lambda p: torch.optim.Adamax(p, foreach=True)),
    Method("seminal Adam (auto=fused)", 28, lambda p: Adam(p), "vs_fused >= 0.97"),
    Method("seminal Adam (loop)", 28, lambda p: Adam(p, impl="loop")),
    Method("seminal Adam (compiled)", 28, lambda p: Adam(p, impl="compiled")),
    Method("seminal AMSGrad (auto=fused)", 36, lambda p: Adam(p, amsgrad=True), "vs_bound >= 0.8"),
    Method("seminal Adam+averaging (auto)", 36, lambda p: Adam(p, averaging=0.999), "vs_bound >= 0.9"),
    Method("seminal Adam+averaging (compiled)", 36, lambda p: Adam(p, averaging=0.999, impl="compiled")),
    Method("seminal AdaMax (auto)", 28, lambda p: AdaMax(p), "vs_bound >= 0.9"),
    Method("seminal AdaMax (loop)", 28, lambda p: AdaMax(p, impl="loop")),
    Method("seminal AdaMax+averaging (auto)", 36, lambda p: AdaMax(p, averaging=0.999), "vs_bound >= 0.9"),
]


def bandwidth_kernels(numel: int) -> dict[str, Callable[[], object]]:
    """In-place streaming kernels on ``numel``-element fp32 arrays: 12 B per element each."""
    a = torch.randn(numel)
    b = torch.randn(numel)
    return {"a += s*b": lambda: a.add_(b, alpha=1e-7), "a.lerp_(b, w)": lambda: a.lerp_(b, 1e-3)}


def build_params(numel: int, tensors: int) -> list[torch.nn.Parameter]:
    """``tensors`` parameters of varied shapes totalling ~``numel`` fp32 elements, with gradients."""
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(tensors, generator=gen) + 0.25
    sizes = (weights / weights.sum() * numel).long().clamp_min(1).tolist()
    params = []
    for size in sizes:
        p = torch.nn.Parameter(torch.randn(size, generator=gen) * 0.1)
        p.grad = torch.randn(size, generator=gen)
        params.append(p)
    return params


def overhead(tensors: int, rounds: int) -> None:
    """Per-step time with tensors so small that the kernels cost nothing: the Python overhead."""
    torch.set_num_threads(1)
    makers = {
        "torch Adam (fused)": lambda p: torch.optim.Adam(p, fused=True),
        "seminal Adam (auto=fused)": lambda p: Adam(p),
        "torch Adamax (foreach)": lambda p: torch.optim.Adamax(p, foreach=True),
        "seminal AdaMax (auto)": lambda p: AdaMax(p),
        "seminal Adam+averaging (auto)": lambda p: Adam(p, averaging=0.999),
    }
    optimizers = {name: make(build_params(64 * tensors, tensors)) for name, make in makers.items()}
    best = {name: float("inf") for name in optimizers}
    for opt in optimizers.values():
        opt.step()
    for _ in range(max(rounds, 5)):
        for name, opt in optimizers.items():
            start = time.thread_time()
            for _ in range(50):
                opt.step()
            best[name] = min(best[name], (time.thread_time() - start) / 50)
    print(f"per-step CPU time (thread clock, best of {max(rounds, 5)} x 50 steps), {tensors} tensors of ~64 elements:")
    base = best["torch Adam (fused)"]
    for name, seconds in best.items():
        print(f"  {name:30s} {seconds * 1e3:7.3f} ms  {seconds / tensors * 1e6:6.2f} us/tensor  vs torch fused {base / seconds:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--numel", type=float, default=25e6, help="total parameters (default 25e6)")
    parser.add_argument("--tensors", type=int, default=40, help="number of parameter tensors (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (default 3)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per method per round (default 5)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: perf_counter with torch's threads; cpu: one torch thread, its CPU time")
    parser.add_argument("--stat", choices=("min", "median"), default="min", help="per-method statistic (default min)")
    parser.add_argument("--only", nargs="*", default=None, metavar="TEXT",
                        help="time only methods whose name contains one of these texts (torch fused Adam always runs)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--overhead", type=int, default=0, metavar="N",
                        help="instead: the per-step cost of N 64-element tensors (Python overhead), seminal vs torch fused")
    args = parser.parse_args()
    if args.overhead:
        overhead(args.overhead, args.rounds)
        return
    numel = int(args.numel)
    if args.clock == "cpu":
        torch.set_num_threads(1)
    clock = time.perf_counter if args.clock == "wall" else time.thread_time

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    from seminal.adam import native

    print("one-pass kernels (AdaMax, Adam+averaging, impl='compiled'): "
          + ("native multi-tensor C++ (seminal.adam.native)" if native.available() else "torch.compile, one call per tensor (no C++ compiler)"))
    params = build_params(numel, args.tensors)
    numel = sum(p.numel() for p in params)
    print(f"{numel / 1e6:.1f}M fp32 parameters in {len(params)} tensors")
    streams = bandwidth_kernels(numel)
    methods = [m for m in METHODS if args.only is None or m.name == "torch Adam (fused)" or any(t in m.name for t in args.only)]
    optimizers = {}
    for method in methods:
        start = time.perf_counter()
        optimizers[method.name] = method.make(params)
        for _ in range(2):  # warm-up: state allocation, first-use compilation
            optimizers[method.name].step()
        setup = time.perf_counter() - start
        if setup > 10:
            print(f"  ({method.name}: first two steps took {setup:.0f} s: state allocation, compilation)")
    # Bandwidth kernels and optimizers are timed in the same interleaved rounds.
    steps: dict[str, Callable[[], object]] = dict(streams) | {m.name: optimizers[m.name].step for m in methods}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, fn in steps.items():
            fn()
            for _ in range(args.steps):
                start = clock()
                fn()
                times[name].append(clock() - start)
        gc.collect()
    stat = min if args.stat == "min" else statistics.median
    bandwidth = {name: 12 * numel / stat(times[name]) / 1e9 for name in streams}
    peak = max(bandwidth.values())
    for name, value in bandwidth.items():
        print(f"bandwidth {name:14s} {value:6.1f} GB/s (12 B/element, in place)")
    print(f"bandwidth used for the bound: {peak:.1f} GB/s")

    fused_ms = stat(times["torch Adam (fused)"]) * 1e3
    print(f"\nclock: {args.clock}, {torch.get_num_threads()} thread(s); statistic: {args.stat} over {args.rounds} rounds x {args.steps} steps")
    header = f"{'method':36s} {'ms/step':>8s} {'B/param':>7s} {'GB/s':>6s} {'vs torch fused':>14s} {'vs bound':>8s}  target"
    print()
    print(header)
    print("-" * len(header))
    rows = []
    for method in methods:
        ms = stat(times[method.name]) * 1e3
        gbs = method.bytes_per_param * numel / (ms / 1e3) / 1e9
        vs_fused = fused_ms / ms
        bound_ms = method.bytes_per_param * numel / (peak * 1e9) * 1e3
        vs_bound = bound_ms / ms
        verdict = ""
        if method.target:
            kind, _, threshold = method.target.partition(" >= ")
            value = vs_fused if kind == "vs_fused" else vs_bound
            verdict = f"{method.target}: {'PASS' if value >= float(threshold) else 'FAIL'}"
        rows.append({"method": method.name, "ms_per_step": ms, "bytes_per_param": method.bytes_per_param,
                     "gb_per_s": gbs, "vs_torch_fused": vs_fused, "vs_bound": vs_bound, "target": verdict})
        print(f"{method.name:36s} {ms:8.1f} {method.bytes_per_param:7d} {gbs:6.1f} {vs_fused:13.2f}x {vs_bound:7.2f}x  {verdict}")

    if args.json:
        from seminal.io import atomic_write_json

        atomic_write_json(args.json, {"numel": numel, "tensors": len(params), "threads": torch.get_num_threads(),
                                      "torch": torch.__version__, "statistic": args.stat, "clock": args.clock, "bandwidth_gb_per_s": bandwidth, "rows": rows})
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
