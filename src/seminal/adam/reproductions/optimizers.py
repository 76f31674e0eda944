"""The optimizers the Adam paper compares against, built by name with one learning rate.

Adam is :class:`seminal.adam.Adam` (the library's component under test); every baseline is the
stock ``torch.optim`` class with its documented defaults except the learning rate, which comes
from the experiment's config (fixed values in the quick preset, a small grid search in full mode,
see :mod:`seminal.adam.reproductions.grid`). SGD+Nesterov uses momentum 0.9 (the paper does not
give it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

__all__ = ["METHOD_LABELS", "check_methods", "make_optimizer"]

#: Method name -> the label the paper's legends use.
METHOD_LABELS: dict[str, str] = {
    "adam": "Adam",
    "sgd_nesterov": "SGD+Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adadelta": "AdaDelta",
}


def check_methods(methods: Iterable[str], argument: str = "methods") -> None:
    """Raise ValueError naming ``argument`` if a method name is unknown."""
    for method in methods:
        if method not in METHOD_LABELS:
            raise ValueError(f"Invalid {argument} entry: {method!r} (expected one of {sorted(METHOD_LABELS)})")


def make_optimizer(method: str, params: Iterable[Any], lr: float) -> torch.optim.Optimizer:
    """Build optimizer ``method`` over ``params`` with step size ``lr`` (α in the paper)."""
    if not lr > 0.0:
        raise ValueError(f"Invalid learning rate for {method!r}: {lr} (expected lr > 0)")
    if method == "adam":
        from seminal.adam import Adam

        return Adam(params, lr=lr)
    if method == "sgd_nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if method == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if method == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if method == "adadelta":
        return torch.optim.Adadelta(params, lr=lr)
    check_methods([method], "method")
    raise AssertionError("unreachable")
