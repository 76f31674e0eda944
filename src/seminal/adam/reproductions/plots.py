"""Figures drawn like the paper's: training loss per epoch, one line per optimizer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["COLORS", "new_figure", "loss_curves_figure"]

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
                       ylabel: str, log_y: bool) -> Any:
    """A matplotlib figure of loss vs epoch (epochs numbered from 1), one line per key."""
    fig = new_figure(5.5, 4.0)
    ax = fig.subplots()
    for key, losses in curves.items():
        epochs = range(1, len(losses) + 1)
        ax.plot(epochs, list(losses), label=labels.get(key, key), color=COLORS.get(key), marker="." if len(losses) < 30 else None)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("iterations over entire dataset (epochs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig
