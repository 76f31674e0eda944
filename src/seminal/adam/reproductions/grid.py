"""The small learning-rate grid search of the full presets.

The paper says only that hyper-parameters were chosen by "a dense grid search" (§6) and gives
no grid. Ours is small and documented: for each method, train once per learning rate in
``grid[method]`` on a *held-out* split of the training images (not used by the reported run),
and pick the rate with the lowest final training loss (diverged runs lose). Ties go to the
smaller rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from seminal.adam.reproductions.loop import Curve

__all__ = ["pick_best", "run_grid"]


def pick_best(curves: Sequence[Curve]) -> Curve:
    """The curve with the lowest finite final loss (smallest lr on ties); diverged runs lose."""
    if not curves:
        raise ValueError("Invalid grid: no learning rates to choose from (expected at least one)")

    def key(curve: Curve) -> tuple[float, float]:
        final = curve.final
        return (final if math.isfinite(final) and not curve.diverged else math.inf, curve.lr)

    return min(curves, key=key)


def run_grid(methods: Sequence[str], grid: Mapping[str, Sequence[float]],
             train: Callable[[str, float, str], Curve]) -> tuple[dict[str, float], dict[str, Any]]:
    """Run ``train(method, lr, trainer_name)`` over the grid; return (chosen lrs, JSON record)."""
    chosen: dict[str, float] = {}
    record: dict[str, Any] = {}
    for method in methods:
        if method not in grid or not grid[method]:
            raise ValueError(f"Invalid lr_grid: no learning rates for method {method!r} (expected a non-empty list)")
        curves = [train(method, float(lr), f"grid-{method}-lr{lr:g}") for lr in grid[method]]
        best = pick_best(curves)
        chosen[method] = best.lr
        record[method] = {"chosen_lr": best.lr,
                          "final_loss_by_lr": {f"{c.lr:g}": c.final for c in curves}}
    return chosen, record
