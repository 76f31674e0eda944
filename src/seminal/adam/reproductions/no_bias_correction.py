"""Adam with the bias correction switched off (= RMSProp with momentum), for Fig. 4 (§6.4).

The paper's §6.4 compares Adam with the same update *without* the §3 correction terms
1/(1-β1^t) and 1/(1-β2^t), which it calls "RMSProp with momentum". :class:`seminal.adam.Adam`
has no switch for that, so this module holds the one-screen variant, kept next to the only
experiment that uses it. Update (element-wise, t = 1, 2, ...)::

    m_t = β1·m_{t-1} + (1-β1)·g_t            # Algorithm 1, line 6
    v_t = β2·v_{t-1} + (1-β2)·g_t²           # Algorithm 1, line 7
    θ_t = θ_{t-1} − α·m_t / (sqrt(v_t) + ε)  # Algorithm 1, line 10 with m̂ -> m, v̂ -> v

Symbols: α = ``lr``, (β1, β2) = ``betas``, ε = ``eps``. With m_0 = v_0 = 0 the first steps are
scaled by (1-β1)/sqrt(1-β2) relative to Adam's: 10× larger at β1 = 0.9, β2 = 0.9999, the
instability Fig. 4 shows. This is not a production optimizer: no AMSGrad, no weight decay, no
sparse gradients, no foreach/fused paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

__all__ = ["AdamWithoutBiasCorrection"]


class AdamWithoutBiasCorrection(torch.optim.Optimizer):
    """Adam's update with m̂_t = m_t and v̂_t = v_t (no §3 bias correction)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr} (expected lr >= 0)")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps} (expected eps >= 0)")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {beta} (expected 0 <= beta < 1)")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                state = self.state[param]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float64)
                    state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                state["step"] += 1
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                param.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(group["eps"]), value=-group["lr"])
        return loss
