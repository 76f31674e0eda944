"""Fast in-place kernels for Adam and AdaMax (the "loop" and "fused" paths).

Every function here updates its tensors in place and must agree with the float64 oracle in
:mod:`seminal.adam.reference` to within the rounding of the parameter dtype (tests/adam check
this). Scalars that depend on the step t (bias corrections, β1,t) are computed once per call by
:class:`StepScalars`: Python floats (double precision) in eager mode, 0-d tensors while being
traced by torch.compile (so that reading t forces no graph break).

* ``adam_loop_`` / ``adamax_loop_``: one tensor at a time with torch ops, any device, dtype and
  memory layout. The op order copies ``torch.optim.Adam``/``Adamax``'s single-tensor path, so with
  the same settings the result is bit-identical to torch's for-loop optimizer.
* ``adam_fused_``: torch's fused Adam kernel (CPU and CUDA), one pass over memory, called through
  the public functional API ``torch.optim.adam.adam(..., fused=True)``. That kernel computes
  denom = sqrt(v)/sqrt(1-β2^t) + ε, which is exactly Algorithm 1 (ε outside the square root). The
  other variants are mapped onto it exactly by rescaling its scalar arguments
  (see :func:`fused_adam_arguments`). It walks raw memory: callers send it only tensors that
  :func:`seminal.adam.layout.kernel_takes`.
* ``averaging_`` : θ̄ <- β·θ̄ + (1-β)·θ (§7.2), a separate pass used after the loop/fused paths.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.optim.adam import adam as torch_adam_functional  # public: in torch.optim.adam.__all__

__all__ = [
    "StepScalars",
    "adam_step_scalars",
    "adamax_step_scalars",
    "fused_adam_arguments",
    "adam_loop_",
    "adamax_loop_",
    "adam_fused_",
    "averaging_",
    "fused_adam_supported",
]

Scalar = Any  # a Python float, or a 0-d float64 tensor while traced by torch.compile


@dataclass(frozen=True)
class StepScalars:
    """Per-step scalars of one update (floats, or 0-d tensors under torch.compile).

    ``beta1_t``: β1,t = β1·λ^(t-1); ``bias_correction1``: 1-β1^t; ``bias_correction2``: 1-β2^t
    (1.0 for AdaMax). With ``bias_correction=False`` both corrections are 1.0 (§6.4's
    "RMSProp with momentum").
    """

    step: Scalar
    beta1_t: Scalar
    bias_correction1: Scalar
    bias_correction2: Scalar


def adam_step_scalars(step: Scalar, beta1: float, beta2: float, beta1_decay: float, bias_correction: bool = True) -> StepScalars:
    """Bias corrections and β1,t of Algorithm 1 at step t (1-based)."""
    return StepScalars(
        step=step,
        beta1_t=beta1 * beta1_decay ** (step - 1.0) if beta1_decay != 1.0 else beta1,
        bias_correction1=1.0 - beta1**step if bias_correction else 1.0,
        bias_correction2=1.0 - beta2**step if bias_correction else 1.0,
    )


def adamax_step_scalars(step: Scalar, beta1: float, beta1_decay: float, bias_correction: bool = True) -> StepScalars:
    """β1,t and the first-moment bias correction of Algorithm 2 (u is not bias-corrected)."""
    return StepScalars(
        step=step,
        beta1_t=beta1 * beta1_decay ** (step - 1.0) if beta1_decay != 1.0 else beta1,
        bias_correction1=1.0 - beta1**step if bias_correction else 1.0,
        bias_correction2=1.0,
    )


def _effective_grad(param: Tensor, grad: Tensor, weight_decay: float, decoupled: bool, maximize: bool) -> Tensor:
    g = torch.neg(grad) if maximize else grad
    if weight_decay != 0.0 and not decoupled:
        g = g.add(param, alpha=weight_decay)
    return g


def adam_loop_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    max_exp_avg_sq: Tensor | None,
    scalars: StepScalars,
    *,
    lr: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    eps_mode: str,
) -> None:
    """One in-place Adam step on one tensor (Algorithm 1 and its variants, torch op order)."""
    if weight_decay != 0.0 and decoupled_weight_decay:
        param.mul_(1.0 - lr * weight_decay)  # AdamW: θ <- θ·(1 - α·w)
    g = _effective_grad(param, grad, weight_decay, decoupled_weight_decay, maximize)
    exp_avg.lerp_(g, 1.0 - scalars.beta1_t)  # m <- β1,t·m + (1-β1,t)·g
    exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)  # v <- β2·v + (1-β2)·g²
    second = exp_avg_sq
    if max_exp_avg_sq is not None:
        torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)  # AMSGrad: v_max <- max(v_max, v)
        second = max_exp_avg_sq
    if eps_mode == "paper":
        # θ <- θ - α·m̂/(sqrt(v̂)+ε) written as (α/(1-β1^t))·m / (sqrt(v)/sqrt(1-β2^t) + ε).
        denom = (second.sqrt() / math.sqrt(scalars.bias_correction2)).add_(eps)
        param.addcdiv_(exp_avg, denom, value=-lr / scalars.bias_correction1)
    else:
        # Efficient form: α_t = α·sqrt(1-β2^t)/(1-β1^t); θ <- θ - α_t·m/(sqrt(v)+ε̂).
        denom = second.sqrt().add_(eps)
        step_size = lr * math.sqrt(scalars.bias_correction2) / scalars.bias_correction1
        param.addcdiv_(exp_avg, denom, value=-step_size)


def adamax_loop_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_inf: Tensor,
    scalars: StepScalars,
    *,
    lr: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
    eps_mode: str,
) -> None:
    """One in-place AdaMax step on one tensor (Algorithm 2; torch.optim.Adamax op order)."""
    g = _effective_grad(param, grad, weight_decay, False, maximize)
    exp_avg.lerp_(g, 1.0 - scalars.beta1_t)  # m <- β1,t·m + (1-β1,t)·g
    exp_inf.mul_(beta2)
    if eps_mode == "inside_max":
        torch.maximum(exp_inf, g.abs().add_(eps), out=exp_inf)  # u <- max(β2·u, |g|+ε)  (torch/optax)
        denom = exp_inf
    else:
        torch.maximum(exp_inf, g.abs(), out=exp_inf)  # u <- max(β2·u, |g|)  (Algorithm 2)
        denom = exp_inf if eps == 0.0 else exp_inf + eps
    step_size = lr / scalars.bias_correction1
    if eps == 0.0:
        # u = 0 only where every gradient so far was 0: the paper's 0/0 is taken as a zero step.
        ratio = exp_avg / denom
        ratio.masked_fill_(denom == 0, 0.0)
        param.add_(ratio, alpha=-step_size)
    else:
        param.addcdiv_(exp_avg, denom, value=-step_size)


def averaging_(param_avg: Tensor, param: Tensor, beta: float) -> None:
    """Temporal averaging (§7.2) in place: θ̄ <- β·θ̄ + (1-β)·θ (θ̄ may be wider than θ)."""
    param_avg.lerp_(param if param.dtype == param_avg.dtype else param.to(param_avg.dtype), 1.0 - beta)


_FUSED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_FUNCTIONAL_PARAMETERS = inspect.signature(torch_adam_functional).parameters
#: torch >= 2.6 takes AdamW through ``adam(decoupled_weight_decay=True)``; older ones through adamw().
_ADAM_HAS_DECOUPLED = "decoupled_weight_decay" in _FUNCTIONAL_PARAMETERS


def fused_adam_supported(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether torch's fused Adam kernel runs for tensors of this device and dtype."""
    return dtype in _FUSED_DTYPES and device.type in ("cpu", "cuda")


def fused_adam_arguments(
    scalars: StepScalars,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    eps_mode: str,
) -> dict[str, float]:
    """Map our variants exactly onto the scalar arguments of torch's fused Adam kernel.

    Given (lr', β1', ε') at step t the kernel computes θ <- θ - A'·m/(sqrt(v)·B' + ε') with
    A' = lr'/(1-β1'^t), B' = 1/sqrt(1-β2^t), m updated with β1'. We want θ <- θ - A·m/(sqrt(v)·B + E):

    * paper form: A = α/c1, B = 1/sqrt(c2), E = ε; efficient form: A = α·sqrt(c2)/c1, B = 1, E = ε̂;
      c1 = 1-β1^t, c2 = 1-β2^t, or c1 = c2 = 1 without bias correction;
    * β1 decay: β1' = β1,t (the kernel's m update then uses β1,t).

    Multiplying numerator and denominator by B'/B gives lr' = (1-β1'^t)·A·B'/B and ε' = E·B'/B,
    exact up to rounding of the scalars. AdamW's decay θ·(1 - lr'·w') keeps θ·(1 - α·w) with
    w' = w·α/lr'.
    """
    t = scalars.step
    fused_beta1 = scalars.beta1_t
    plain = (
        eps_mode == "paper"
        and fused_beta1 == beta1
        and scalars.bias_correction1 == 1.0 - beta1**t
        and scalars.bias_correction2 == 1.0 - beta2**t
    )
    if plain:  # Algorithm 1 itself: the kernel's own arguments, bit-identical to torch's fused Adam
        return {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay}
    kernel_b = 1.0 / math.sqrt(1.0 - beta2**t)
    if eps_mode == "paper":
        a, b = lr / scalars.bias_correction1, 1.0 / math.sqrt(scalars.bias_correction2)
    else:
        a, b = lr * math.sqrt(scalars.bias_correction2) / scalars.bias_correction1, 1.0
    fused_lr = (1.0 - fused_beta1**t) * a * kernel_b / b
    fused_eps = eps * kernel_b / b
    fused_wd = weight_decay
    if decoupled_weight_decay and fused_lr != 0.0:
        fused_wd = weight_decay * lr / fused_lr
    return {"lr": fused_lr, "beta1": fused_beta1, "beta2": beta2, "eps": fused_eps, "weight_decay": fused_wd}


def adam_fused_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor] | None,
    scalars: StepScalars | None,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    eps_mode: str,
    steps: list[Tensor] | None = None,
    grad_scale: Tensor | None = None,
) -> None:
    """One Adam step via torch's fused kernel, which advances t <- t + 1 in ``steps`` itself.

    ``steps``: the parameters' own counters (CPU: seminal's float64 counters, which the kernel
    reads and advances). Without them, the tensors share the step t = ``scalars.step`` and the
    kernel gets throw-away float32 counters on their device. ``scalars`` is None for Algorithm 1
    itself (no β1 decay, bias correction on, paper ε), whose arguments do not depend on t: each
    tensor then uses its own t. ``grad_scale`` (from a GradScaler) is divided out of the
    gradients inside the kernel.
    """
    if not params:
        return
    if scalars is None:
        args = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay}
    else:
        args = fused_adam_arguments(
            scalars,
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            eps_mode=eps_mode,
        )
    if steps is None:
        # The kernel advances each counter before reading it, so hand it t-1 in one float32 tensor's
        # views (discarded afterwards). float32 holds every integer t exactly up to 2^24; past that,
        # rounding t by δ changes β^t by the factor β^δ (δ ≤ 64 below t = 2^30), which is
        # negligible, and β^t has long underflowed for the usual β. Our own counter stays exact.
        assert scalars is not None, "shared-t calls need the step scalars"
        steps = list(torch.full((len(params),), scalars.step - 1.0, dtype=torch.float32, device=params[0].device).unbind(0))
    if decoupled_weight_decay and not _ADAM_HAS_DECOUPLED:  # pragma: no cover - torch < 2.6
        from torch.optim.adamw import adamw as functional

        extra: dict[str, Any] = {}
    else:
        functional = torch_adam_functional
        extra = {"decoupled_weight_decay": decoupled_weight_decay} if _ADAM_HAS_DECOUPLED else {}
    functional(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        max_exp_avg_sqs if max_exp_avg_sqs is not None else [],
        steps,
        foreach=False,
        fused=True,
        grad_scale=grad_scale,
        found_inf=None,
        amsgrad=max_exp_avg_sqs is not None,
        maximize=maximize,
        **extra,
        **args,
    )
