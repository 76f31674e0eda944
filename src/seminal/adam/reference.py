"""Paper-literal float64 oracles for Adam (Algorithm 1) and AdaMax (Algorithm 2).

Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980 (v9).

These functions are the *oracle*: every fast path in :mod:`seminal.adam.kernels` and
:mod:`seminal.adam.compiled` is tested against them. They are written line by line from the
paper, compute in float64, never modify their inputs and return new tensors. They are slow on
purpose: clarity over speed.

Symbol map (paper -> argument): α = ``lr``, β1 = ``beta1``, β2 = ``beta2``, ε = ``eps``,
t = ``step`` (1-based: the value *after* ``t <- t + 1``), λ = ``beta1_decay`` (Theorem 4.1),
m = ``exp_avg``, v = ``exp_avg_sq``, u = ``exp_inf``, θ = ``param``, g = ``grad``,
θ̄ = ``param_avg`` (§7.2).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

__all__ = [
    "AdamReferenceResult",
    "AdaMaxReferenceResult",
    "adam_reference_step",
    "adamax_reference_step",
    "averaging_reference_step",
    "beta1_at",
    "adam_spike_step_ratio",
    "adamax_worst_step_ratio",
]


class AdamReferenceResult(NamedTuple):
    """Adam state after one step, all float64."""

    param: Tensor
    exp_avg: Tensor
    exp_avg_sq: Tensor
    max_exp_avg_sq: Tensor | None


class AdaMaxReferenceResult(NamedTuple):
    """AdaMax state after one step, all float64."""

    param: Tensor
    exp_avg: Tensor
    exp_inf: Tensor


def beta1_at(beta1: float, beta1_decay: float, step: int | float) -> float:
    """β1,t = β1·λ^(t-1), the first-moment decay at step t (Theorem 4.1; λ = 1 gives Algorithm 1)."""
    return beta1 * beta1_decay ** (step - 1)


def _as64(x: Tensor) -> Tensor:
    return x.detach().to(torch.float64)


def _effective_grad(param: Tensor, grad: Tensor, weight_decay: float, decoupled: bool, maximize: bool) -> Tensor:
    g = -grad if maximize else grad
    if weight_decay != 0.0 and not decoupled:
        # L2 regularisation folded into the gradient: g <- g + w·θ (torch.optim.Adam semantics).
        g = g + weight_decay * param
    return g


def adam_reference_step(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    max_exp_avg_sq: Tensor | None,
    step: int | float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
    amsgrad: bool = False,
    maximize: bool = False,
    eps_mode: str = "paper",
    beta1_decay: float = 1.0,
    bias_correction: bool = True,
) -> AdamReferenceResult:
    """One step of Adam, Algorithm 1 of the paper, in float64.

    ``step`` is the new t (1 on the first call). Variants (all off by default):

    * ``eps_mode="efficient"``: the end-of-§2 form α_t = α·sqrt(1-β2^t)/(1-β1^t),
      θ <- θ - α_t·m/(sqrt(v)+ε̂) with ``eps`` used as a constant ε̂ (Keras/TF).
    * ``amsgrad``: Reddi et al. (2018): v_max <- max(v_max, v) and v̂ = v_max/(1-β2^t)
      (torch.optim.Adam's convention: the max of the raw v, then Adam's bias correction).
    * ``beta1_decay`` λ: β1,t = β1·λ^(t-1) in the m update (Theorem 4.1). The bias correction keeps
      1-β1^t as Algorithm 1 writes it.
    * ``weight_decay`` w: L2 (g <- g + w·θ) or, with ``decoupled_weight_decay``, AdamW
      (θ <- θ·(1 - α·w) before the Adam update, torch.optim.AdamW semantics).
    * ``maximize``: ascend, g <- -g.
    * ``bias_correction=False``: m̂ = m and v̂ = v (and α_t = α in the efficient form): the update
      §6.4 calls "RMSProp with momentum", whose early steps Fig. 4 shows to be unstable.
    """
    t = float(step)
    theta = _as64(param)
    g = _effective_grad(theta, _as64(grad), weight_decay, decoupled_weight_decay, maximize)
    if weight_decay != 0.0 and decoupled_weight_decay:
        theta = theta * (1.0 - lr * weight_decay)
    b1t = beta1_at(beta1, beta1_decay, t)
    m = b1t * _as64(exp_avg) + (1.0 - b1t) * g  # m_t <- β1·m_{t-1} + (1-β1)·g_t
    v = beta2 * _as64(exp_avg_sq) + (1.0 - beta2) * g * g  # v_t <- β2·v_{t-1} + (1-β2)·g_t²
    v_max = None
    v_used = v
    if amsgrad:
        assert max_exp_avg_sq is not None, "amsgrad needs max_exp_avg_sq"
        v_max = torch.maximum(_as64(max_exp_avg_sq), v)
        v_used = v_max
    correction1 = 1.0 - beta1**t if bias_correction else 1.0
    correction2 = 1.0 - beta2**t if bias_correction else 1.0
    if eps_mode == "paper":
        m_hat = m / correction1  # m̂_t <- m_t/(1-β1^t)
        v_hat = v_used / correction2  # v̂_t <- v_t/(1-β2^t)
        theta = theta - lr * m_hat / (torch.sqrt(v_hat) + eps)  # ε outside the square root
    elif eps_mode == "efficient":
        alpha_t = lr * math.sqrt(correction2) / correction1
        theta = theta - alpha_t * m / (torch.sqrt(v_used) + eps)
    else:
        raise ValueError(f"Invalid eps_mode: {eps_mode!r} (expected 'paper' or 'efficient')")
    return AdamReferenceResult(theta, m, v, v_max)


def adamax_reference_step(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_inf: Tensor,
    step: int | float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float = 0.0,
    eps_mode: str = "paper",
    weight_decay: float = 0.0,
    maximize: bool = False,
    beta1_decay: float = 1.0,
    bias_correction: bool = True,
) -> AdaMaxReferenceResult:
    """One step of AdaMax, Algorithm 2 (§7.1) of the paper, in float64.

    u_t <- max(β2·u_{t-1}, |g_t|);  θ <- θ - (α/(1-β1^t))·m_t/u_t.

    The paper has no ε. ``eps_mode="paper"`` adds ``eps`` to the denominator (u + ε, zero by
    default, so the default is exactly Algorithm 2); ``eps_mode="inside_max"`` is the torch/optax
    form u <- max(β2·u, |g| + ε). Where the denominator is 0 (a coordinate that has only seen zero
    gradients, so m = 0 too when β2 > 0) the paper's 0/0 is defined as a zero step.
    ``bias_correction=False`` drops the 1/(1-β1^t) of the step (u needs no correction).
    """
    t = float(step)
    theta = _as64(param)
    g = _effective_grad(theta, _as64(grad), weight_decay, False, maximize)
    b1t = beta1_at(beta1, beta1_decay, t)
    m = b1t * _as64(exp_avg) + (1.0 - b1t) * g
    if eps_mode == "paper":
        u = torch.maximum(beta2 * _as64(exp_inf), g.abs())
        denom = u + eps
    elif eps_mode == "inside_max":
        u = torch.maximum(beta2 * _as64(exp_inf), g.abs() + eps)
        denom = u
    else:
        raise ValueError(f"Invalid eps_mode: {eps_mode!r} (expected 'paper' or 'inside_max')")
    ratio = torch.where(denom > 0, m / torch.where(denom > 0, denom, 1.0), 0.0)
    correction1 = 1.0 - beta1**t if bias_correction else 1.0
    theta = theta - (lr / correction1) * ratio
    return AdaMaxReferenceResult(theta, m, u)


def averaging_reference_step(param_avg: Tensor, param: Tensor, beta: float) -> Tensor:
    """Temporal averaging (§7.2): θ̄_t <- β·θ̄_{t-1} + (1-β)·θ_t, in float64."""
    return beta * _as64(param_avg) + (1.0 - beta) * _as64(param)


def adam_spike_step_ratio(step: int, beta1: float = 0.9, beta2: float = 0.999) -> float:
    """|Δ_t|/α for Adam (ε = 0) after t-1 zero gradients and one spike at step t (§2.1).

    m̂_t = (1-β1)g/(1-β1^t) and v̂_t = (1-β2)g²/(1-β2^t), so
    |Δ_t|/α = (1-β1)/(1-β1^t) · sqrt((1-β2^t)/(1-β2)). Defaults give 1.0 at t=1, 0.48 at t=10,
    0.98 at t=100, 2.51 at t=1000 and (1-β1)/sqrt(1-β2) = 3.162 as t -> ∞.
    """
    return (1.0 - beta1) / (1.0 - beta1**step) * math.sqrt((1.0 - beta2**step) / (1.0 - beta2))


def adamax_worst_step_ratio(step: int, beta1: float = 0.9, beta2: float = 0.999) -> float:
    """The largest |Δ_t|/α AdaMax can take at step t (ε = 0), attained by g_i ∝ β2^i, same sign.

    |m̂_t| ≤ Σ_i w_i|g_i| with w_i = (1-β1)β1^(t-i)/(1-β1^t), and u_t ≥ β2^(t-i)|g_i|, so
    |Δ_t|/α ≤ (1-β1)/(1-β1^t) · Σ_{k<t} (β1/β2)^k, with equality for g_i = c·β2^i. This is 1 at
    t = 1 and tends to (1-β1)/(1-β1/β2) = 1.0090 with the defaults: the paper's "|Δ_t| ≤ α"
    (§7.1) is exceeded by at most 0.9% for this adversarial, geometrically shrinking sequence.
    """
    r = beta1 / beta2
    return (1.0 - beta1) / (1.0 - beta1**step) * sum(r**k for k in range(step))
