"""Figures of the STN experiments, built with matplotlib's Figure API (no backend or pyplot state
is touched). Each function returns a ``matplotlib.figure.Figure``."""

from __future__ import annotations

import textwrap

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

__all__ = ["table1_figure", "canonical_form_figure", "theta_sweep_figure"]


def table1_figure(results: dict[str, dict[str, Any]]) -> Figure:
    """Grouped bars: our test error (mean ± std over seeds) beside Table 1's, one pair per cell."""
    keys = list(results)
    ours = np.array([results[k]["test_error_mean"] for k in keys])
    err = np.array([results[k]["test_error_std"] for k in keys])
    theirs = np.array([np.nan if results[k]["paper"] is None else results[k]["paper"] for k in keys])
    x = np.arange(len(keys))
    fig = Figure(figsize=(max(5.0, 0.9 * len(keys) + 2), 3.8), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(x - 0.2, theirs, 0.4, label="paper (Table 1)", color="0.6")
    ax.bar(x + 0.2, ours, 0.4, yerr=err, label="ours", color="tab:blue")
    ax.set_xticks(x, keys, rotation=40, ha="right", fontsize=8)
    ax.set_ylabel("test error (%)")
    ax.set_title("Distorted MNIST: ours vs Table 1")
    ax.legend()
    return fig


def _cell(image: torch.Tensor, side: int) -> np.ndarray:
    """A ``(1, h, w)`` image centred on a ``side × side`` black cell (sizes kept, not resampled)."""
    img = image[0].clamp(0, 1).cpu().numpy()
    h, w = img.shape
    out = np.zeros((side, side))
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = img
    return out


def canonical_form_figure(rows: list[dict[str, Any]], title: str) -> Figure:
    """The paper's figure layout: per distortion, a row of distorted inputs, the ST output under
    each, and the same digits undistorted.

    Args:
        rows: one dict per distortion with ``name``, ``inputs``, ``outputs``, ``originals``
            (``(K, 1, h, w)`` tensors, the same K digits in the same order) and an optional
            ``caption`` shown on the right.
        title: the figure title (say the preset and the data source).
    """
    if not rows:
        raise ValueError("Invalid rows: expected at least one distortion")
    side = max(int(t.shape[-1]) for row in rows for t in (row["inputs"], row["outputs"], row["originals"]))
    columns = max(int(row["inputs"].shape[0]) for row in rows)
    gap = 2
    labels, lines = [], []
    for row in rows:
        for kind, key in (("input", "inputs"), ("ST output", "outputs"), ("undistorted", "originals")):
            line = np.ones((side, columns * (side + gap) - gap))  # white between digits
            for j, image in enumerate(row[key]):
                line[:, j * (side + gap) : j * (side + gap) + side] = _cell(image, side)
            lines.append(line)
            labels.append(f"{row['name']}: {kind}")
    separator = 6  # white band between distortions, thin
    height = len(lines) * side + sum(gap if i % 3 else separator for i in range(1, len(lines)))
    canvas = np.ones((height, lines[0].shape[1]))
    centers, top = [], 0
    for i, line in enumerate(lines):
        if i:
            top += gap if i % 3 else separator
        canvas[top : top + side] = line
        centers.append(top + side / 2)
        top += side
    aspect = canvas.shape[0] / canvas.shape[1]
    # At least 5 inches wide: with few digits (the smoke preset) the row labels and the title
    # would otherwise leave the image no room (matplotlib then skips the layout and warns).
    width = max(5.0, 1.0 + 0.55 * columns)
    fig = Figure(figsize=(width, 0.9 + 0.55 * columns * aspect), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(centers, labels, fontsize=8)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0)
    captions = [row.get("caption") for row in rows]
    if any(captions):
        twin = ax.secondary_yaxis("right")
        twin.set_yticks([centers[3 * i + 1] for i in range(len(rows))], [c or "" for c in captions], fontsize=7)
        twin.tick_params(length=0)
        for spine in twin.spines.values():
            spine.set_visible(False)
    ax.set_title(textwrap.fill(title, width=int(14 * width)), fontsize=9)
    return fig


def theta_sweep_figure(sweeps: dict[str, dict[str, list[float]]], title: str = "") -> Figure:
    """How θ follows the input: θ's rotation vs the input's rotation (centred digits).

    ``sweeps["rotation"] = {"input": [...], "mean": [...], "spread": [...]}`` (degrees, circular).
    """
    fig = Figure(figsize=(4.8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    rot = sweeps["rotation"]
    ax.errorbar(rot["input"], rot["mean"], yerr=rot["spread"], marker="o", capsize=3, label="θ rotation (circular mean ± spread)")
    lim = max(abs(v) for v in rot["input"])
    ax.plot([-lim, lim], [lim, -lim], "k--", lw=1, label="perfect un-rotation (−φ)")
    ax.set_xlabel("input rotation φ (deg)")
    ax.set_ylabel("rotation of θ (deg)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title(title or "θ as a function of the input's rotation", fontsize=9)
    return fig
