"""AdaMax, Algorithm 2 (§7.1) of Kingma & Ba (ICLR 2015, arXiv:1412.6980), as an Optimizer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from torch import Tensor

from seminal.adam import compiled, kernels, native
from seminal.adam.base import ParamEntry, PaperOptimizer
from seminal.adam.reference import adamax_reference_step
from seminal.adam.validation import resolve_impl

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
    :class:`~seminal.adam.Adam`), ``bias_correction=False`` (drops 1/(1-β1^t)). ``impl``:
    ``"auto"`` (``"compiled"`` on CPU where the native kernel is built, or for groups of ≥ 2^20
    elements when torch.compile works; else ``"loop"``), ``"compiled"`` (the one-pass update: one
    native multi-tensor call per group, :mod:`seminal.adam.native`, where a C++ compiler built it,
    else one inductor kernel per tensor; parameters neither can take exactly, such as strided
    views, and failed compilation fall back to ``"loop"``), ``"loop"`` (torch ops,
    torch.optim.Adamax's order, any device and layout) and ``"reference"`` (the float64 oracle).

    Drop-in for ``torch.optim.Adamax``: the same positional arguments (lr, betas, eps,
    weight_decay, foreach) and keywords; ``foreach=False`` means ``impl="loop"``, ``foreach=True``
    keeps ``impl="auto"``; ``fused=True`` (torch has no fused Adamax either), ``capturable=True``
    and ``differentiable=True`` raise ValueError. Note the paper's default ``eps=0`` and
    ``eps_mode="paper"``: ``torch.optim.Adamax(p)`` is ``AdaMax(p, eps=1e-8, eps_mode="inside_max")``.
    """

    algorithm_name = "AdaMax"
    eps_modes = ("paper", "inside_max")
    impls = ("auto", "compiled", "loop", "reference")
    moment_keys = ("exp_avg", "exp_inf")
    torch_equivalent: ClassVar[dict[str, Any]] = {"eps_mode": "inside_max", "beta1_decay": 1.0, "averaging": None, "bias_correction": True}

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 0.0,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        fused: bool | None = None,
        eps_mode: str = "paper",
        beta1_decay: float = 1.0,
        averaging: float | None = None,
        bias_correction: bool = True,
        impl: str = "auto",
    ) -> None:
        impl = resolve_impl(
            "AdaMax", impl, self.impls, foreach=foreach, fused=fused, capturable=capturable, differentiable=differentiable
        )
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "eps_mode": eps_mode,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "beta1_decay": beta1_decay,
            "averaging": averaging,
            "bias_correction": bias_correction,
            "impl": impl,
        }
        super().__init__(params, defaults)

    # -- the algorithm's parts ------------------------------------------------------------------------

    def _scalars(self, group: dict[str, Any], step: Any) -> kernels.StepScalars:
        return kernels.adamax_step_scalars(step, group["betas"][0], float(group["beta1_decay"]), group["bias_correction"])

    def _loop_kernel(self, param, grad, moments, scalars, hyper):  # type: ignore[no-untyped-def]
        kernels.adamax_loop_(param, grad, *moments, scalars, **hyper)

    def _compiled_kernel(self, param, grad, moments, param_avg, scalars, hyper):  # type: ignore[no-untyped-def]
        return compiled.adamax_compiled_(param, grad, *moments, param_avg, scalars, **hyper)

    def _scalar_vector(self, scalars, hyper):  # type: ignore[no-untyped-def]
        return compiled.adamax_scalar_vector(scalars, **hyper)

    def _native_kernel(self, params, grads, state_columns, scalar_vectors, index):  # type: ignore[no-untyped-def]
        exp_avgs, exp_infs, *param_avgs = state_columns
        native.adamax_onepass_(params, grads, exp_avgs, exp_infs, param_avgs[0] if param_avgs else None, scalar_vectors, index)

    def _traced_kernel(self, param, grad, moments, param_avg, scalars, hyper):  # type: ignore[no-untyped-def]
        compiled.adamax_traced_(param, grad, *moments, param_avg, scalars, **hyper)

    def _reference_kernel(self, param, grad, moments, step, hyper):  # type: ignore[no-untyped-def]
        return adamax_reference_step(param, grad, *moments, step, **hyper)

    def _auto_impl(self, group: dict[str, Any], entries: list[ParamEntry]) -> str:
        on_cpu = all(e[0].device.type == "cpu" for e in entries)
        if on_cpu and native.available():
            return "compiled"  # the native multi-tensor kernel: no compile time, whatever the size
        total = sum(e[0].numel() for e in entries)
        return "compiled" if on_cpu and total >= AUTO_COMPILE_MIN_NUMEL and compiled.compiled_available() else "loop"
