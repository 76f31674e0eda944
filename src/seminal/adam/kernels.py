"""Fast in-place kernels for Adam and AdaMax (the "loop" and "fused" paths).

Every function here updates its tensors in place and must agree with the float64 oracle in
:mod:`seminal.adam.reference` to within the rounding of the parameter dtype (tests/optim check
this). Scalars that depend on the step t (bias corrections, β1,t) are computed once per call in
Python floats (double precision) by :class:`StepScalars`.

* ``adam_loop_`` / ``adamax_loop_``: one tensor at a time with torch ops, any device and dtype.
  The op order copies ``torch.optim.Adam``/``Adamax``'s single-tensor path, so with the same
  settings the result is bit-identical to torch's default CPU optimizer.
* ``adam_fused_``: ``torch._fused_adam_`` / ``torch._fused_adamw_`` (CPU and CUDA), one pass over
  memory. That kernel computes denom = sqrt(v)/sqrt(1-β2^t) + ε, which is exactly Algorithm 1
  (ε outside the square root). The other variants are mapped onto it exactly by rescaling its
  scalar arguments (see :func:`fused_adam_arguments`).
* ``averaging_`` : θ̄ <- β·θ̄ + (1-β)·θ (§7.2), a separate pass used after the loop/fused paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

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


@dataclass(frozen=True)
class StepScalars:
    """Per-step scalars of one update, all Python floats (float64).

    ``beta1_t``: β1,t = β1·λ^(t-1); ``bias_correction1``: 1-β1^t; ``bias_correction2``: 1-β2^t
    (Adam only; 1.0 for AdaMax).
    """

    step: float
    beta1_t: float
    bias_correction1: float
    bias_correction2: float


def adam_step_scalars(step: float, beta1: float, beta2: float, beta1_decay: float) -> StepScalars:
    """Bias corrections and β1,t of Algorithm 1 at step t (1-based)."""
    return StepScalars(
        step=step,
        beta1_t=beta1 * beta1_decay ** (step - 1.0),
        bias_correction1=1.0 - beta1**step,
        bias_correction2=1.0 - beta2**step,
    )


def adamax_step_scalars(step: float, beta1: float, beta1_decay: float) -> StepScalars:
    """β1,t and the first-moment bias correction of Algorithm 2 (u is not bias-corrected)."""
    return StepScalars(
        step=step,
        beta1_t=beta1 * beta1_decay ** (step - 1.0),
        bias_correction1=1.0 - beta1**step,
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
    """Temporal averaging (§7.2) in place: θ̄ <- β·θ̄ + (1-β)·θ."""
    param_avg.lerp_(param, 1.0 - beta)


_FUSED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def fused_adam_supported(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether ``torch._fused_adam_`` runs for tensors of this device and dtype."""
    if dtype not in _FUSED_DTYPES or not hasattr(torch, "_fused_adam_"):
        return False
    return device.type in ("cpu", "cuda", "mps", "xpu")


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
    """Map our variants exactly onto the scalar arguments of ``torch._fused_adam_``.

    The fused kernel, given (lr', β1', ε') and step t, computes
    θ <- θ - (lr'/(1-β1'^t))·m/(sqrt(v)/sqrt(1-β2^t) + ε') with m updated by β1'. So:

    * β1 decay: β1' = β1,t and lr' = α·(1-β1,t^t)/(1-β1^t) restores the bias correction 1-β1^t;
      AdamW's decay θ·(1 - lr'·w') keeps θ·(1 - α·w) with w' = w·α/lr'.
    * efficient form: ε' = ε̂/sqrt(1-β2^t), since α_t·m/(sqrt(v)+ε̂) = (α/(1-β1^t))·m/(sqrt(v)/sqrt(1-β2^t) + ε̂/sqrt(1-β2^t)).
    """
    t = scalars.step
    fused_lr, fused_beta1, fused_wd = lr, beta1, weight_decay
    if scalars.beta1_t != beta1:
        fused_beta1 = scalars.beta1_t
        fused_lr = lr * (1.0 - fused_beta1**t) / scalars.bias_correction1
        if decoupled_weight_decay and fused_lr != 0.0:
            fused_wd = weight_decay * lr / fused_lr
    fused_eps = eps if eps_mode == "paper" else eps / math.sqrt(scalars.bias_correction2)
    return {"lr": fused_lr, "beta1": fused_beta1, "beta2": beta2, "eps": fused_eps, "weight_decay": fused_wd}


def adam_fused_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor] | None,
    scalars: StepScalars,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    eps_mode: str,
) -> None:
    """One Adam step over tensors that share device, dtype and step t, via torch's fused kernel."""
    if not params:
        return
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
    # The kernel reads t from a float32 tensor on the parameters' device; one shared tensor serves
    # the whole bucket (the kernel only reads it). float32 holds every integer t exactly up to 2^24;
    # past that, rounding t by δ changes β^t by the factor β^δ (δ ≤ 64 below t = 2^30), which is
    # negligible, and β^t has long underflowed for the usual β. Our own counter stays exact.
    step_tensor = torch.full((), scalars.step, dtype=torch.float32, device=params[0].device)
    kernel = torch._fused_adamw_ if decoupled_weight_decay else torch._fused_adam_
    kernel(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        max_exp_avg_sqs if max_exp_avg_sqs is not None else [],
        [step_tensor] * len(params),
        amsgrad=max_exp_avg_sqs is not None,
        maximize=maximize,
        **args,
    )
