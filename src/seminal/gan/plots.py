"""Figures for the GAN chapter. Each function builds a :class:`matplotlib.figure.Figure` (the Figure
API: no global plotting state, no backend switch) and returns it; the caller saves it with
``ctx.save_figure`` (atomic)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

__all__ = ["tile_images", "sample_grid_figure", "nearest_neighbour_figure", "interpolation_figure", "toy_stages_figure", "training_curves_figure"]


def tile_images(images: torch.Tensor, nrow: int, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """``(N, H, W)`` images in [0, 1] -> one ``(rows*(H+pad)+pad, nrow*(W+pad)+pad)`` array."""
    images = images.detach().cpu().float()
    n, h, w = images.shape
    rows = (n + nrow - 1) // nrow
    canvas = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, nrow)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = images[i].numpy()
    return canvas


def sample_grid_figure(images: torch.Tensor, nrow: int = 10, title: str = "") -> Any:
    """A grid of ``(N, 28, 28)`` samples."""
    canvas = tile_images(images, nrow)
    fig = Figure(figsize=(canvas.shape[1] / 28 * 0.6, canvas.shape[0] / 28 * 0.6 + 0.3))
    ax = fig.subplots()
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def nearest_neighbour_figure(samples: torch.Tensor, neighbours: torch.Tensor, ncol: int, title: str = "") -> Any:
    """Figure 2's layout: rows of ``ncol`` samples; the extra, outlined rightmost column holds the
    nearest training image of the sample just left of it.

    ``samples``: ``(rows * ncol, 28, 28)``; ``neighbours``: ``(rows, 28, 28)``.
    """
    rows = neighbours.shape[0]
    grid = torch.cat([samples.reshape(rows, ncol, 28, 28), neighbours.reshape(rows, 1, 28, 28)], dim=1)
    canvas = tile_images(grid.reshape(-1, 28, 28), ncol + 1, pad=2)
    fig = Figure(figsize=(0.75 * (ncol + 1), 0.75 * rows + 0.4))
    ax = fig.subplots()
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    left = 2 + ncol * 30 - 1.5
    ax.add_patch(Rectangle((left, 0.5), 30, canvas.shape[0] - 1.5, fill=False, edgecolor="gold", linewidth=2))
    ax.set_axis_off()
    ax.set_title(title or "samples (fair random draws); outlined column: nearest training image of its left neighbour", fontsize=8)
    return fig


def interpolation_figure(frames: torch.Tensor, title: str = "") -> Any:
    """Figure 3: ``(pairs, steps, 28, 28)``, one row per pair of z endpoints."""
    pairs, steps = frames.shape[:2]
    canvas = tile_images(frames.reshape(-1, 28, 28), steps)
    fig = Figure(figsize=(0.6 * steps, 0.6 * pairs + 0.4))
    ax = fig.subplots()
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title or "G((1 - t) z1 + t z2), t from 0 to 1 along each row", fontsize=8)
    return fig


def toy_stages_figure(x: np.ndarray, p_data: np.ndarray, stages: Sequence[dict[str, Any]], z_to_x: Sequence[tuple[np.ndarray, np.ndarray]]) -> Any:
    """Figure 1: one panel per stage with p_data (black dotted), p_g (green), D (blue dashed), and
    lines from z (bottom axis, uniform) to x = G(z) (upper axis)."""
    fig = Figure(figsize=(3.6 * len(stages), 3.2))
    axes = fig.subplots(1, len(stages), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, stage, (zs, xs) in zip(axes, stages, z_to_x):
        ax.plot(x, p_data, "k:", lw=2, label="p_data")
        ax.plot(x, stage["p_g"], "g-", lw=1.5, label="p_g")
        ax.plot(x, stage["d"], "b--", lw=1.5, label="D(x)")
        if "d_star" in stage:
            ax.plot(x, stage["d_star"], color="c", lw=0.8, alpha=0.7, label="D* = p_data/(p_data+p_g)")
        ax.axhline(0.5, color="0.7", lw=0.5)
        # the mapping x = G(z): z on the line y = -0.25, x on y = -0.05 (as in the paper's sketch)
        z_axis = x.min() + (x.max() - x.min()) * zs
        for z0, x0 in zip(z_axis, xs):
            ax.plot([z0, x0], [-0.25, -0.05], color="0.4", lw=0.5)
        ax.axhline(-0.25, color="k", lw=0.5)
        ax.axhline(-0.05, color="k", lw=0.5)
        ax.set_title(stage["title"], fontsize=9)
        ax.set_xlim(x.min(), x.max())
        ax.set_ylim(-0.3, 1.05)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def training_curves_figure(history: Sequence[dict[str, Any]]) -> Any:
    """D(x), D(G(z)) and both losses per epoch."""
    epochs = np.arange(1, len(history) + 1)
    fig = Figure(figsize=(9, 3.2))
    ax1, ax2 = fig.subplots(1, 2)
    for key, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        ax1.plot(epochs, [h.get(key, np.nan) for h in history], label=label)
    ax1.axhline(0.5, color="0.6", lw=0.5)
    ax1.set_xlabel("epoch")
    ax1.set_ylim(0, 1)
    ax1.legend(fontsize=8)
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        ax2.plot(epochs, [h.get(key, np.nan) for h in history], label=label)
    ax2.set_xlabel("epoch")
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):  # a quick run has 2-3 epochs: no ticks between them
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig
