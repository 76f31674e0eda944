"""AdaMax, Algorithm 2 (§7.1) of Kingma & Ba (ICLR 2015, arXiv:1412.6980), as an Optimizer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from seminal.adam import compiled, kernels
from seminal.adam.base import ParamEntry, PaperOptimizer
from seminal.adam.reference import adamax_reference_step

__all__ = ["AdaMax", "AUTO_COMPILE_MIN_NUMEL"]

#: ``impl="auto"`` uses the compiled one-pass kernel on CPU for groups with at least this many
#: elements; smaller models use the loop path and never pay the first-use compile (5-40 s here).
AUTO_COMPILE_MIN_NUMEL = 1 << 20


class AdaMax(PaperOptimizer):
    r"""AdaMax (Algorithm 2, §7.1): Adam with the L^∞ norm in place of the L² norm.

    Symbol map: α = ``lr`` (paper default 0.002), (β1, β2) = ``betas``, λ = ``beta1_decay``,
    β of the §7.2 average = ``averaging``. For every parameter::

        t  <- t + 1
        m  <- β1,t·m + (1-β1,t)·g           β1,t = β1·λ^(t-1)  (λ = 1: Algorithm 2)
        u  <- max(β2·u, |g|)
        θ  <- θ - (α/(1-β1^t))·m/u          u is not bias-corrected (it needs none, §7.1)

    ``eps`` (default 0: the paper has none):

    * ``eps_mode="paper"``: θ <- θ - (α/(1-β1^t))·m/(u + ε). With ε = 0 this is Algorithm 2.
    * ``eps_mode="inside_max"``: u <- max(β2·u, |g| + ε), as torch.optim.Adamax and optax write
      it (a deviation from the paper); ``AdaMax(p, eps=1e-8, eps_mode="inside_max")`` is
      ``torch.optim.Adamax(p)`` step for step.

    Where the denominator is 0 (a coordinate that has only ever seen zero gradients, so m = 0
    as well) the paper's 0/0 is taken as a zero step. The step satisfies |Δ| ≤ α·(1-β1)/(1-β1^t)·
    Σ_{k<t}(β1/β2)^k, which is the paper's |Δ| ≤ α except for gradients shrinking like β2^t, where
    it exceeds α by at most 0.9% (see :func:`seminal.adam.reference.adamax_worst_step_ratio`).

    Other options: ``weight_decay`` (L2, g <- g + w·θ), ``maximize``, ``averaging`` (§7.2, see
    :class:`~seminal.adam.Adam`). ``impl``: ``"auto"`` (``"compiled"`` on CPU for groups of
    ≥ 2^20 elements when compilation works, else ``"loop"``), ``"compiled"`` (one-pass inductor
    kernel; falls back to ``"loop"``), ``"loop"`` (torch ops, torch.optim.Adamax's order, any
    device) and ``"reference"`` (the float64 oracle).
    """

    algorithm_name = "AdaMax"
    eps_modes = ("paper", "inside_max")
    impls = ("auto", "compiled", "loop", "reference")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 0.0,
        *,
        eps_mode: str = "paper",
        weight_decay: float = 0.0,
        maximize: bool = False,
        beta1_decay: float = 1.0,
        averaging: float | None = None,
        impl: str = "auto",
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "eps_mode": eps_mode,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "beta1_decay": beta1_decay,
            "averaging": averaging,
            "impl": impl,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        dtype = torch.float64 if group["impl"] == "reference" else param.dtype
        zeros = lambda: torch.zeros_like(param, dtype=dtype, memory_format=torch.preserve_format)  # noqa: E731
        state["exp_avg"] = zeros()
        state["exp_inf"] = zeros()  # u0 = 0
        if group["averaging"] is not None:
            state["param_avg"] = zeros()

    # -- the step ---------------------------------------------------------------------------------

    def _step_group(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        impl = group["impl"]
        if impl == "reference":
            self._step_reference(group, entries)
            return
        if torch.compiler.is_compiling():
            impl = "loop"
        elif impl == "auto":
            total = sum(e[0].numel() for e in entries)
            on_cpu = all(e[0].device.type == "cpu" for e in entries)
            use_compiled = on_cpu and total >= AUTO_COMPILE_MIN_NUMEL and compiled.compiled_available()
            impl = "compiled" if use_compiled else "loop"
        if impl == "compiled":
            self._step_compiled(group, entries)
        else:
            self._step_loop(group, entries)

    def _hyper(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "lr": float(group["lr"]),
            "beta2": group["betas"][1],
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "maximize": group["maximize"],
            "eps_mode": group["eps_mode"],
        }

    def _scalars(self, group: dict[str, Any], state: dict[str, Any]) -> kernels.StepScalars:
        return kernels.adamax_step_scalars(float(state["step"]), group["betas"][0], float(group["beta1_decay"]))

    def _step_loop(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        hyper = self._hyper(group)
        for param, grad, state in entries:
            kernels.adamax_loop_(param, grad, state["exp_avg"], state["exp_inf"], self._scalars(group, state), **hyper)
            if group["averaging"] is not None:
                kernels.averaging_(state["param_avg"], param, group["averaging"])

    def _step_compiled(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        hyper = self._hyper(group)
        leftovers: list[ParamEntry] = []
        for param, grad, state in entries:
            done = (
                compiled.takes(param, grad)
                and compiled.adamax_compiled_(
                    param,
                    grad,
                    state["exp_avg"],
                    state["exp_inf"],
                    state.get("param_avg") if group["averaging"] is not None else None,
                    self._scalars(group, state),
                    averaging=group["averaging"],
                    **hyper,
                )
            )
            if not done:
                leftovers.append((param, grad, state))
        self._step_loop(group, leftovers)

    def _step_reference(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        beta1, beta2 = group["betas"]
        for param, grad, state in entries:
            result = adamax_reference_step(
                param,
                grad,
                state["exp_avg"],
                state["exp_inf"],
                float(state["step"]),
                lr=float(group["lr"]),
                beta1=beta1,
                beta2=beta2,
                eps=float(group["eps"]),
                eps_mode=group["eps_mode"],
                weight_decay=float(group["weight_decay"]),
                maximize=group["maximize"],
                beta1_decay=float(group["beta1_decay"]),
            )
            param.copy_(result.param)
            state["exp_avg"] = result.exp_avg
            state["exp_inf"] = result.exp_inf
            if group["averaging"] is not None:
                beta = group["averaging"]
                state["param_avg"] = beta * state["param_avg"].to(torch.float64) + (1.0 - beta) * result.param
