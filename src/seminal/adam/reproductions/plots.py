"""Figures drawn like the paper's: training loss per epoch, one line per optimizer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["COLORS", "loss_curves_figure", "new_figure"]

#: One color per method, the same in every figure.
COLORS: dict[str, str] = {
    "adam": "tab:red",
    "sgd_nesterov": "tab:blue",
    "adagrad": "tab:green",
    "rmsprop": "tab:purple",
    "adadelta": "tab:orange",
    "amsgrad": "tab:blue",
}


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure that does not go through pyplot (no GUI backend, no global state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def loss_curves_figure(curves: Mapping[str, Sequence[float]], labels: Mapping[str, str], *, title: str,
                       ylabel: str, log_y: bool,
                       other_seeds: Sequence[Mapping[str, Sequence[float]]] = ()) -> Any:
    """A matplotlib figure of loss vs epoch (epochs numbered from 1), one line per key.

    ``other_seeds`` are the same methods' curves under further seeds, drawn as thin faint lines
    behind the main ones so the spread between seeds is visible.
    """
    fig = new_figure(5.5, 4.0)
    ax = fig.subplots()
    for extra in other_seeds:
        for key, losses in extra.items():
            ax.plot(range(1, len(losses) + 1), list(losses), color=COLORS.get(key), alpha=0.35, linewidth=0.8)
    for key, losses in curves.items():
        epochs = range(1, len(losses) + 1)
        ax.plot(epochs, list(losses), label=labels.get(key, key), color=COLORS.get(key), marker="." if len(losses) < 30 else None)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("iterations over entire dataset (epochs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title + (f" (faint: {len(other_seeds)} more seed(s))" if other_seeds else ""))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig
