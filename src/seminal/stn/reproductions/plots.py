"""Figures of the STN experiments (matplotlib, Agg). Each function returns a Figure."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["table1_figure", "comparison_grid_figure", "theta_sweep_figure"]


def table1_figure(results: dict[str, dict[str, Any]], paper: dict[str, dict[str, float]], paper_tc: dict[str, float]) -> Any:
    """Grouped bars: our test error (mean ± std over seeds) beside Table 1's, one pair per cell."""
    keys = list(results)
    ours = np.array([results[k]["test_error_mean"] for k in keys])
    err = np.array([results[k]["test_error_std"] for k in keys])
    theirs = np.array([np.nan if results[k]["paper"] is None else results[k]["paper"] for k in keys])
    x = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(keys) + 2), 3.8))
    ax.bar(x - 0.2, theirs, 0.4, label="paper (Table 1)", color="0.6")
    ax.bar(x + 0.2, ours, 0.4, yerr=err, label="ours", color="tab:blue")
    ax.set_xticks(x, keys, rotation=40, ha="right", fontsize=8)
    ax.set_ylabel("test error (%)")
    ax.set_title("Distorted MNIST: ours vs Table 1")
    ax.legend()
    fig.tight_layout()
    return fig


def comparison_grid_figure(inputs: torch.Tensor, outputs: torch.Tensor, title: str) -> Any:
    """The seed's figure: a grid of input digits beside the ST outputs for the same digits."""
    def tile(images: torch.Tensor, cols: int = 8) -> np.ndarray:
        n, _, h, w = images.shape
        rows = (n + cols - 1) // cols
        canvas = np.ones((rows * (h + 2), cols * (w + 2)))
        for i in range(n):
            r, c = divmod(i, cols)
            canvas[r * (h + 2) + 1 : r * (h + 2) + 1 + h, c * (w + 2) + 1 : c * (w + 2) + 1 + w] = images[i, 0].clamp(0, 1).numpy()
        return canvas

    fig, axes = plt.subplots(1, 2, figsize=(10, 5.4))
    axes[0].imshow(tile(inputs), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("input (distorted)")
    axes[1].imshow(tile(outputs), cmap="gray", vmin=0, vmax=1)
    axes[1].set_title("spatial transformer output")
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def theta_sweep_figure(sweeps: dict[str, dict[str, list[float]]]) -> Any:
    """How θ follows the input: predicted rotation vs input rotation, predicted scale vs input scale.

    ``sweeps["rotation"] = {"input": [...], "mean": [...], "std": [...]}`` (degrees) and
    ``sweeps["scale"]`` likewise (θ's zoom factor).
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    rot, scale = sweeps["rotation"], sweeps["scale"]
    axes[0].errorbar(rot["input"], rot["mean"], yerr=rot["std"], marker="o", capsize=3, label="θ rotation")
    lim = max(abs(v) for v in rot["input"])
    axes[0].plot([-lim, lim], [lim, -lim], "k--", lw=1, label="perfect canonicalisation (−φ)")
    axes[0].set_xlabel("input rotation φ (deg)")
    axes[0].set_ylabel("rotation of θ (deg)")
    axes[0].legend(fontsize=8)
    axes[1].errorbar(scale["input"], scale["mean"], yerr=scale["std"], marker="o", capsize=3)
    axes[1].set_xlabel("input scale s")
    axes[1].set_ylabel("zoom of θ (√|det A|)")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle("θ as a function of the input's rotation and scale")
    fig.tight_layout()
    return fig
