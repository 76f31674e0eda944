"""Hyperparameter checks shared by Adam and AdaMax: precise ValueError/TypeError messages.

Every message names the argument, the value given and what was expected, e.g.
``Invalid beta parameter at index 0: 1.0 (expected 0 <= beta < 1)``. Comparisons are written so
that NaN fails them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["check_group"]

IMPLS = ("auto", "fused", "compiled", "loop", "reference")


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(f"Invalid {name}: a tensor with {value.numel()} elements (expected a number or a 1-element tensor)")
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Invalid {name}: {value!r} (expected a float)")
    return float(value)


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"Invalid {name}: {value!r} (expected True or False)")


def check_group(group: dict[str, Any], *, eps_modes: Sequence[str], impls: Sequence[str]) -> None:
    """Validate one parameter group's hyperparameters in place (betas normalised to a float tuple)."""
    lr = _as_float("learning rate", group["lr"])
    if not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr} (expected lr >= 0)")
    eps = _as_float("epsilon value", group["eps"])
    if not (eps >= 0.0 and math.isfinite(eps)):
        raise ValueError(f"Invalid epsilon value: {eps} (expected 0 <= eps < inf)")
    betas = group["betas"]
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise TypeError(f"Invalid betas: {betas!r} (expected a pair (beta1, beta2))")
    clean = []
    for index, beta in enumerate(betas):
        value = _as_float(f"beta parameter at index {index}", beta)
        if not 0.0 <= value < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {value} (expected 0 <= beta < 1)")
        clean.append(value)
    group["betas"] = (clean[0], clean[1])
    weight_decay = _as_float("weight_decay value", group["weight_decay"])
    if not (weight_decay >= 0.0 and math.isfinite(weight_decay)):
        raise ValueError(f"Invalid weight_decay value: {weight_decay} (expected 0 <= weight_decay < inf)")
    decay = _as_float("beta1_decay", group["beta1_decay"])
    if not 0.0 < decay <= 1.0:
        raise ValueError(f"Invalid beta1_decay (λ of Theorem 4.1): {decay} (expected 0 < beta1_decay <= 1)")
    averaging = group["averaging"]
    if averaging is not None:
        averaging = _as_float("averaging beta", averaging)
        if not 0.0 <= averaging < 1.0:
            raise ValueError(f"Invalid averaging beta: {averaging} (expected None or 0 <= averaging < 1)")
        group["averaging"] = averaging
    if group["eps_mode"] not in eps_modes:
        raise ValueError(f"Invalid eps_mode: {group['eps_mode']!r} (expected one of {', '.join(map(repr, eps_modes))})")
    if group["impl"] not in impls:
        raise ValueError(f"Invalid impl: {group['impl']!r} (expected one of {', '.join(map(repr, impls))})")
    for flag in ("maximize", "amsgrad", "decoupled_weight_decay"):
        if flag in group:
            _check_bool(flag, group[flag])
