"""notes-stn's figures: error against rotation with and without an ST, and the transforms panel."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["rotation_figure", "panel_figure", "COLORS"]


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


COLORS = {"CNN": "tab:blue", "ST-CNN Aff": "tab:red", "tutorial": "tab:purple", "tutorial-no-st": "tab:green"}


def rotation_figure(result: dict[str, Any], cfg: Any, pairs: tuple[tuple[str, str], ...], labels: dict[str, str]) -> Any:
    """Test error against the test digits' rotation, one panel per (with ST, without) pair; ``cfg`` is a NotesSTNConfig."""
    fig = _figure(11.0, 4.0)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, pair in zip(axes, pairs):
        for key in pair:
            per_seed = np.array([result["errors"][key][s] for s in cfg.seeds])
            for row in per_seed:
                ax.plot(cfg.angles, row, color=COLORS[key], alpha=0.3, lw=0.8)
            ax.plot(cfg.angles, per_seed.mean(axis=0), "o-", color=COLORS[key], label=f"{labels[key]} (mean)")
        ax.set(xlabel="rotation of the test digits (degrees)", xticks=cfg.angles)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("test error (%)")
    axes[0].set_title(f"Table 1 CNN ({cfg.param_budget:,}-parameter budget): with vs without an affine ST")
    axes[1].set_title("seed's tutorial net: with vs without ST")
    fig.suptitle(f"trained on rotated digits (R, ±90°), {cfg.iterations} Adam steps × {cfg.batch_size}; "
                 f"thin lines: seeds {', '.join(map(str, cfg.seeds))}")
    return fig


def panel_figure(panel: dict[str, torch.Tensor]) -> Any:
    """The same digits under the affine, projective and TPS grid generators, one column each."""
    columns = [("input", "input digit"), ("affine", "affine (6 params)"),
               ("projective", "projective (8 params)"), ("tps", "TPS (16 control points)")]
    n = panel["input"].shape[0]
    fig = _figure(6.0, 1.4 * n + 0.4)
    axes = fig.subplots(n, len(columns), squeeze=False)
    for c, (key, title) in enumerate(columns):
        for r in range(n):
            ax = axes[r][c]
            ax.imshow(panel[key][r, 0].clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=9)
    fig.suptitle("one spatial-transformer sampler, three grid generators (§3.2)", fontsize=10)
    return fig
