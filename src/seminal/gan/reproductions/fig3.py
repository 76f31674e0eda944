"""gan-fig3: linear interpolation between points in z space (Figure 3).

Each row is G((1 - t) z1 + t z2) for t = 0, 1/(steps-1), ..., 1, with z1, z2 fair draws from p_z.
A straight line between two points of the uniform box stays inside it, so every frame is a
valid input. As a number we report how smooth the rows are: the largest pixel-L2 jump between
neighbouring frames divided by the distance between the row's endpoints (1/(steps-1) for a
perfectly even path, 1 for a jump).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seminal.gan.reproductions.common import load_gan_data, obtain_generator
from seminal.gan.reproductions.table1 import quick as table1_quick
from seminal.gan.reproductions.table1 import smoke as table1_smoke
from seminal.experiments.registry import ComparisonRow, PaperTarget, RunContext, RunResult
from seminal.gan.noise import sample_noise
from seminal.gan.plots import interpolation_figure
from seminal.gan.trainer import GANTrainConfig

__all__ = ["Fig3Config", "TARGETS", "run", "quick", "smoke", "interpolate_noise"]

TARGETS = (PaperTarget("interpolation in z", "digits change smoothly along the line", "Figure 3"),)


@dataclass
class Fig3Config(GANTrainConfig):
    """The GAN recipe plus the figure's layout: ``pairs`` rows of ``steps`` frames.

    Attributes:
        pairs: rows of the figure, one pair of endpoints z1, z2 each.
        steps: frames per row, from z1 to z2 in equal steps.
    """

    pairs: int = 8
    steps: int = 11


def quick() -> Fig3Config:
    base = table1_quick()
    return Fig3Config(**base.recipe(), cpu_threads=base.cpu_threads)


def smoke() -> Fig3Config:
    return Fig3Config(**table1_smoke().recipe(), pairs=2, steps=5)


def interpolate_noise(z1: torch.Tensor, z2: torch.Tensor, steps: int) -> torch.Tensor:
    """``(pairs, steps, noise_dim)``: (1 - t) z1 + t z2 for ``steps`` evenly spaced t in [0, 1]."""
    if z1.shape != z2.shape or z1.ndim != 2:
        raise ValueError(f"Invalid z1/z2: shapes {tuple(z1.shape)} and {tuple(z2.shape)} (expected equal (pairs, noise_dim))")
    if steps < 2:
        raise ValueError(f"Invalid steps: {steps} (expected >= 2)")
    t = torch.linspace(0.0, 1.0, steps, dtype=z1.dtype).reshape(1, steps, 1)
    return (1.0 - t) * z1.unsqueeze(1) + t * z2.unsqueeze(1)


def run(cfg: Fig3Config, ctx: RunContext) -> RunResult:
    data = load_gan_data(cfg, ctx)
    obtained = obtain_generator(cfg, ctx, data)
    G = obtained.loaded.generator
    gen = torch.Generator().manual_seed(ctx.seed + 3)
    z1 = sample_noise(cfg.pairs, G.noise_dim, obtained.loaded.prior, generator=gen)
    z2 = sample_noise(cfg.pairs, G.noise_dim, obtained.loaded.prior, generator=gen)
    z = interpolate_noise(z1, z2, cfg.steps)  # (pairs, steps, noise_dim)
    with torch.no_grad():
        frames = G(z.reshape(-1, G.noise_dim)).reshape(cfg.pairs, cfg.steps, 784)
    figures = [ctx.save_figure(interpolation_figure(frames.reshape(cfg.pairs, cfg.steps, 28, 28)), "fig3_interpolation")]

    jumps = (frames[:, 1:] - frames[:, :-1]).norm(dim=2)  # (pairs, steps - 1)
    ends = (frames[:, -1] - frames[:, 0]).norm(dim=1).clamp_min(1e-8)  # (pairs,)
    smoothness = float((jumps.max(dim=1).values / ends).max())
    comparison = [
        ComparisonRow(
            "largest frame-to-frame jump / endpoint distance", "smooth (Fig. 3, qualitative)",
            f"{smoothness:.2f} (even path: {1 / (cfg.steps - 1):.2f})", None, "Figure 3",
            f"{cfg.pairs} pairs × {cfg.steps} frames; no numeric claim in the paper",
        )
    ]
    metrics = {"max_jump_over_endpoint_distance": smoothness, "pairs": cfg.pairs, "steps": cfg.steps,
               "generator_reused_from": str(obtained.reused_from) if obtained.reused_from else None}
    return RunResult(metrics=metrics, comparison=comparison, figures=figures)
