"""Benchmark: seminal.stn against its baselines, measured in one run (not a test).

1. ST-CNN (Aff, RTS-sized 42×42, batch 256) training-step throughput: ours (broadcast affine grid
   + ``sample_grid``) vs the same model, same weights, built on ``F.affine_grid`` +
   ``F.grid_sample``. Target ≥ 1.0×.
2. Projective and TPS warps, forward + backward (gradients to the image and to θ), at
   256×1×42×42 and 32×3×256×256: ours (for the projective warp ``projective_warp``, the fused
   native kernel where a C++ compiler built it, else the grid path, which is also shown on its
   own row) vs kornia's ``warp_perspective`` and
   ``get_tps_transform`` + ``warp_image_tps``. Target ≥ 2×. Outputs are checked equal after
   converting conventions (pixel-space src->dst matrix for kornia's projective warp; for TPS the
   check uses affinely moved control points, which both reproduce exactly -- kornia centres its
   kernels on the source points, a different interpolant for non-affine moves).

Usage: ``python benchmarks/bench_stn.py [--device cpu|cuda] [--repeats 7] [--clock wall|cpu]
[--only all|projective]``. Prints a table of
median times and ratios (baseline time / ours: > 1 means ours is faster). kornia is the ``bench``
extra (``pip install seminal[bench]``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from seminal.stn.fused import fused_projective_available, projective_warp
from seminal.stn.grids import TPSGridGenerator, projective_grid, tps_control_points
from seminal.stn.models import STClassifier, build_table1_model
from seminal.stn.sampling import sample_grid
from seminal.stn.transformer import SpatialTransformer


class TorchAffineST(SpatialTransformer):
    """The same spatial transformer on torch's ``affine_grid`` + ``grid_sample`` (the baseline)."""

    def warp(self, input: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        n, c, h, w = input.shape
        grid = F.affine_grid(theta.view(-1, 2, 3), [n, c, h, w], align_corners=False)
        return F.grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


#: The clock of :func:`interleaved_medians`: wall time (default) or this process's CPU time
#: (``--clock cpu``: on a machine shared with other jobs, time spent waiting for a core is not
#: counted; equal to wall time for single-threaded work on an idle machine).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
_clock: Callable[[], float] = time.perf_counter


def interleaved_medians(fns: dict[str, Callable[[], None]], device: torch.device, repeats: int, inner: int) -> dict[str, float]:
    """Median seconds per call of each fn, measured round-robin so load drifts hit all alike."""
    for fn in fns.values():  # warm-up
        fn()
    _sync(device)
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            _sync(device)
            start = _clock()
            for _ in range(inner):
                fn()
            _sync(device)
            samples[key].append((_clock() - start) / inner)
    return {k: statistics.median(v) for k, v in samples.items()}


def bench_train_step(device: torch.device, repeats: int, batch: int = 256) -> tuple[float, float, float]:
    torch.manual_seed(0)
    ours = build_table1_model("ST-CNN Aff", (42, 42), pool_st_output=True).to(device)
    assert isinstance(ours, STClassifier)
    base = build_table1_model("ST-CNN Aff", (42, 42), pool_st_output=True).to(device)
    old = base.transformer
    base.transformer = TorchAffineST(old.localization, old.regression.in_features, "affine").to(device)
    base.load_state_dict(ours.state_dict())
    x = torch.rand(batch, 1, 42, 42, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    with torch.no_grad():  # a non-identity θ so the warp does real work
        for m in (ours, base):
            m.transformer.regression.bias.copy_(torch.tensor([0.9, 0.1, 0.05, -0.1, 0.9, -0.05]))
    max_diff = (ours(x) - base(x)).abs().max().item()
    opts = {k: torch.optim.SGD(m.parameters(), lr=1e-3) for k, m in (("ours", ours), ("torch", base))}

    def step(model: torch.nn.Module, opt: torch.optim.Optimizer) -> Callable[[], None]:
        def run() -> None:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        return run

    t = interleaved_medians({"ours": step(ours, opts["ours"]), "torch": step(base, opts["torch"])}, device, repeats, 3)
    return t["ours"], t["torch"], max_diff


def _pixel_from_normalized(h: int, w: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """3×3 map normalised (pixel-centre convention) -> pixel index coordinates."""
    return torch.tensor([[w / 2, 0, (w - 1) / 2], [0, h / 2, (h - 1) / 2], [0, 0, 1]], dtype=dtype, device=device)


def bench_projective(shape: tuple[int, int, int, int], device: torch.device, repeats: int) -> dict[str, float]:
    """Median seconds of: ours (``projective_warp``: the fused native kernel on CPU where it is
    built), our grid path (``projective_grid`` + ``sample_grid``, what runs without a compiler),
    kornia; and the max |difference| of ours and of the grid path to kornia."""
    from kornia.geometry.transform import warp_perspective

    n, c, h, w = shape
    g = torch.Generator().manual_seed(0)
    image = torch.rand(shape, generator=g).to(device).requires_grad_()
    eight = (torch.tensor([1.0, 0, 0, 0, 1, 0, 0, 0]) + 0.05 * torch.randn(n, 8, generator=g)).to(device)
    theta = eight.clone().requires_grad_()
    # kornia: pixel-space src -> dst matrix M, i.e. the inverse of our output -> input map in pixels.
    to_pix = _pixel_from_normalized(h, w, torch.float32, device)
    h_norm = torch.cat((eight, torch.ones(n, 1, device=device)), 1).view(n, 3, 3)
    m_pix = torch.linalg.inv(to_pix @ h_norm @ torch.linalg.inv(to_pix)).detach().requires_grad_()

    def ours() -> None:
        projective_warp(image, theta, (h, w)).sum().backward()

    def grid_path() -> None:
        sample_grid(image, projective_grid(theta, (h, w))).sum().backward()

    def kornia_fn() -> None:
        out = warp_perspective(image, m_pix, (h, w), mode="bilinear", padding_mode="zeros", align_corners=True)
        out.sum().backward()

    with torch.no_grad():
        fast = projective_warp(image, theta, (h, w))
        grid = sample_grid(image, projective_grid(theta, (h, w)))
        other = warp_perspective(image, m_pix, (h, w), mode="bilinear", padding_mode="zeros", align_corners=True)
    t = interleaved_medians({"ours": ours, "grid": grid_path, "kornia": kornia_fn}, device, repeats, 3)
    return {**t, "diff": (fast - other).abs().max().item(), "grid_diff": (grid - other).abs().max().item()}


def bench_tps(shape: tuple[int, int, int, int], device: torch.device, repeats: int) -> tuple[float, float, float]:
    from kornia.geometry.transform import get_tps_transform, warp_image_tps

    n, c, h, w = shape
    g = torch.Generator().manual_seed(1)
    image = torch.rand(shape, generator=g).to(device).requires_grad_()
    points = tps_control_points(4, device=device)  # output-side control points (16, 2)
    generator = TPSGridGenerator(points)
    moved = (points + 0.05 * torch.randn(n, 16, 2, generator=g).to(device)).requires_grad_()
    dst = points.expand(n, -1, -1)

    def ours() -> None:
        out = sample_grid(image, generator(moved, (h, w)))
        out.sum().backward()

    def kornia_fn() -> None:
        kernel, affine = get_tps_transform(dst, moved)
        out = warp_image_tps(image, moved, kernel, affine, align_corners=False)
        out.sum().backward()

    # Equality check on an affine move of the control points (both TPS forms are exact there).
    a = torch.tensor([[0.9, 0.1, 0.05], [-0.1, 0.95, -0.02]], device=device)
    affine_moved = (points @ a[:, :2].T + a[:, 2]).expand(n, -1, -1).contiguous()
    with torch.no_grad():
        ref = sample_grid(image, generator(affine_moved, (h, w)))
        kernel, affine = get_tps_transform(dst, affine_moved)
        other = warp_image_tps(image, affine_moved, kernel, affine, align_corners=False)
    t = interleaved_medians({"ours": ours, "kornia": kornia_fn}, device, repeats, 3)
    return t["ours"], t["kornia"], (ref - other).abs().max().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall time, or process CPU time on a shared machine")
    parser.add_argument("--only", choices=["all", "projective"], default="all", help="run only the projective-warp rows")
    args = parser.parse_args()
    device = torch.device(args.device)
    global _clock
    _clock = CLOCKS[args.clock]
    if args.clock == "cpu" and device.type != "cpu":
        parser.error("--clock cpu measures CPU work only; use the wall clock on an accelerator")
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, repeats {args.repeats}, clock {args.clock}")
    rows: list[tuple[str, float, float, str, float, float]] = []
    if args.only == "all":
        ours, base, diff = bench_train_step(device, args.repeats)
        rows.append(("ST-CNN Aff train step, 256×1×42×42", ours, base, "torch affine_grid+grid_sample", diff, 1.0))
    fused = "fused native kernel" if device.type == "cpu" and fused_projective_available() else "grid path (no native kernel)"
    for shape in ((256, 1, 42, 42), (32, 3, 256, 256)):
        label = "×".join(map(str, shape))
        p = bench_projective(shape, device, args.repeats)
        rows.append((f"projective warp fwd+bwd, {label}", p["ours"], p["kornia"], f"kornia warp_perspective; ours = {fused}", p["diff"], 2.0))
        rows.append((f"  (grid+grid_sample path), {label}", p["grid"], p["kornia"], "kornia warp_perspective", p["grid_diff"], 2.0))
        if args.only == "all":
            ours, base, diff = bench_tps(shape, device, args.repeats)
            rows.append((f"TPS warp fwd+bwd, {label}", ours, base, "kornia get_tps_transform+warp_image_tps", diff, 2.0))
    print(f"\n{'case':42s} {'ours ms':>9s} {'base ms':>9s} {'ratio':>7s} {'target':>7s}  {'max |diff|':>10s}  baseline")
    for case, ours, base, name, diff, target in rows:
        ratio = base / ours
        flag = "ok" if ratio >= target else "MISS"
        print(f"{case:42s} {ours * 1e3:9.2f} {base * 1e3:9.2f} {ratio:6.2f}× {target:5.1f}×{flag:>4s} {diff:10.2e}  {name}")


if __name__ == "__main__":
    main()
