"""Checks shared by Adam and AdaMax: hyperparameters, torch.optim's flags, and per-parameter state.

Every message names the argument, the value given and what was expected, e.g.
``Invalid beta parameter at index 0: 1.0 (expected 0 <= beta < 1)``. Comparisons are written so
that NaN fails them, and every number must be finite (``lr=inf`` is refused, not run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = ["check_group", "resolve_impl", "check_state_tensor", "check_step_value", "accumulation_dtype"]


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
    if not math.isfinite(lr):
        raise ValueError(f"Invalid learning rate: {lr} (expected a finite lr >= 0)")
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
    for flag in ("maximize", "amsgrad", "decoupled_weight_decay", "bias_correction"):
        if flag in group:
            _check_bool(flag, group[flag])


def resolve_impl(
    algorithm: str,
    impl: str,
    impls: Sequence[str],
    *,
    foreach: bool | None,
    fused: bool | None,
    capturable: bool,
    differentiable: bool,
) -> str:
    """Map torch.optim's ``foreach``/``fused``/``capturable``/``differentiable`` flags onto ``impl``.

    * ``fused=True``: ``impl="fused"`` (Adam; AdaMax has no fused kernel, as in torch).
    * ``fused=False`` or ``foreach=False``: ``impl="loop"``, the per-tensor for-loop path.
    * ``foreach=True``: a multi-tensor path is wanted; ``impl="auto"`` picks one (Adam's fused
      kernel is multi-tensor and faster than torch's foreach path, with the same formula).
    * ``capturable=True`` and ``differentiable=True`` are refused: seminal keeps an exact float64
      step counter on the host (not capturable in a CUDA graph), and no path is differentiable.
    """
    for name, value in (("foreach", foreach), ("fused", fused)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"Invalid {name}: {value!r} (expected None, True or False)")
    _check_bool("capturable", capturable)
    _check_bool("differentiable", differentiable)
    if capturable:
        raise ValueError(
            f"{algorithm}(capturable=True) is not supported: seminal keeps an exact float64 step counter on the "
            "host, which a CUDA graph cannot capture; use torch.optim for CUDA-graph capture"
        )
    if differentiable:
        raise ValueError(
            f"{algorithm}(differentiable=True) is not supported: no seminal implementation keeps the update in the "
            "autograd graph; use torch.optim for a differentiable optimizer step"
        )
    if fused and foreach:
        raise ValueError(f"Invalid {algorithm} flags: fused=True and foreach=True cannot be set together")
    wanted: str | None = None
    if fused:
        if "fused" not in impls:
            raise ValueError(f"{algorithm}(fused=True) is not supported: there is no fused {algorithm} kernel; use impl='compiled'")
        wanted = "fused"
    elif fused is False or foreach is False:
        wanted = "loop"
    if wanted is None:
        return impl
    if impl not in ("auto", wanted):
        raise ValueError(f"Invalid {algorithm} flags: impl={impl!r} contradicts fused={fused}, foreach={foreach} (which mean impl={wanted!r})")
    return wanted


def accumulation_dtype(param: Tensor) -> torch.dtype:
    """dtype of the §7.2 average θ̄: float32 for float16/bfloat16 parameters, else the parameter's.

    A 16-bit θ̄ cannot absorb updates of (1-β)·(θ - θ̄) below its rounding step, so the average
    stalls (bf16: hundreds of percent off after a few hundred steps); float32 keeps it exact to
    float32 rounding.
    """
    return torch.float32 if param.dtype in (torch.float16, torch.bfloat16) else param.dtype


def check_state_tensor(algorithm: str, where: str, key: str, value: Any, param: Tensor, dtype: torch.dtype) -> None:
    """Refuse a state tensor that does not belong to ``param``: wrong type, shape, dtype or device."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{algorithm} state {key!r} of {where} is {type(value).__name__} (expected a tensor)")
    if value.shape != param.shape:
        raise ValueError(
            f"{algorithm} state {key!r} of {where} has shape {tuple(value.shape)}, expected {tuple(param.shape)} "
            "(the parameter's): the state does not belong to this parameter"
        )
    if value.dtype != dtype:
        raise ValueError(f"{algorithm} state {key!r} of {where} has dtype {value.dtype}, expected {dtype}")
    if value.device != param.device:
        raise ValueError(f"{algorithm} state {key!r} of {where} is on {value.device}, expected {param.device} (the parameter's)")


def check_step_value(algorithm: str, where: str, step: Any) -> float:
    """The step counter t as a float; refuse non-numbers, several elements, negative or non-finite t."""
    if isinstance(step, Tensor):
        if step.numel() != 1 or step.is_complex() or step.dtype == torch.bool:
            raise ValueError(f"{algorithm} state 'step' of {where} is a {step.dtype} tensor of shape {tuple(step.shape)} (expected one real number)")
        value = float(step.item())
    elif isinstance(step, (int, float)) and not isinstance(step, bool):
        value = float(step)
    else:
        raise TypeError(f"{algorithm} state 'step' of {where} is {step!r} (expected a number)")
    if not (value >= 0.0 and math.isfinite(value) and value == math.floor(value)):
        raise ValueError(f"{algorithm} state 'step' of {where} is {value} (expected a whole number of steps t >= 0)")
    return value
