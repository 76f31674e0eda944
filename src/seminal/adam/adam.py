"""Adam, Algorithm 1 of Kingma & Ba (ICLR 2015, arXiv:1412.6980), as a torch.optim.Optimizer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from seminal.adam import compiled, kernels
from seminal.adam.base import ParamEntry, PaperOptimizer
from seminal.adam.reference import adam_reference_step

__all__ = ["Adam"]


class Adam(PaperOptimizer):
    r"""Adam (Algorithm 1, §2) with the variants met elsewhere as explicit options.

    Symbol map: α = ``lr``, (β1, β2) = ``betas``, ε = ``eps``, λ = ``beta1_decay`` (Theorem 4.1),
    β of the §7.2 average = ``averaging``. For every parameter, with t counted per parameter::

        t  <- t + 1
        g  <- ∇f_t(θ)                       (-∇ with maximize; + w·θ with L2 weight_decay)
        m  <- β1,t·m + (1-β1,t)·g           β1,t = β1·λ^(t-1)   (λ = 1: Algorithm 1)
        v  <- β2·v + (1-β2)·g²
        m̂  <- m/(1-β1^t);  v̂ <- v/(1-β2^t)
        θ  <- θ - α·m̂/(sqrt(v̂) + ε)        ε OUTSIDE the square root (eps_mode="paper")

    Options (defaults reproduce Algorithm 1 exactly):

    * ``eps_mode="efficient"``: the end-of-§2 form α_t = α·sqrt(1-β2^t)/(1-β1^t),
      θ <- θ - α_t·m/(sqrt(v)+ε̂) with a *constant* ε̂ = ``eps`` (Keras/TensorFlow). It equals
      Algorithm 1 only if ε̂ = ε·sqrt(1-β2^t): with a constant ε̂ the effective ε is
      1/sqrt(1-β2) = 31.6× larger at t = 1 (defaults).
    * ``amsgrad=True``: Reddi, Kale & Kumar (ICLR 2018): v_max <- max(v_max, v), v̂ = v_max/(1-β2^t)
      (torch's convention: the max of the raw v, then Adam's bias correction).
    * ``weight_decay=w``: L2 penalty (g <- g + w·θ), or with ``decoupled_weight_decay=True``
      AdamW (θ <- θ·(1 - α·w) before the update), both as in torch.optim.
    * ``maximize=True``: gradient ascent.
    * ``beta1_decay=λ``: Theorem 4.1's β1,t = β1·λ^(t-1), e.g. λ = 1 - 1e-8. The bias correction
      keeps 1-β1^t as in Algorithm 1. The theorem's α_t = α/sqrt(t) is a standard LR scheduler:
      :func:`seminal.adam.inverse_sqrt_schedule` or
      ``LambdaLR(opt, lambda k: (k + 1) ** -0.5)`` stepped after every ``opt.step()``.
    * ``averaging=β``: temporal averaging of the parameters (§7.2), θ̄ <- β·θ̄ + (1-β)·θ after every
      step, θ̄0 = 0; evaluate with the bias-corrected θ̂ = θ̄/(1-β^t) inside
      ``with opt.averaged_parameters(): ...``.

    ``impl`` picks the implementation (all compute the formula above; tests hold each to the
    float64 oracle within the parameter dtype's rounding):

    * ``"auto"`` (default): ``"fused"`` where torch's fused kernel runs (float16/bfloat16/float32/
      float64 on CPU or CUDA), else ``"loop"``; ``"loop"`` while being traced by torch.compile.
    * ``"fused"``: ``torch._fused_adam_``/``_fused_adamw_``, one pass over memory; averaging adds
      one θ̄ pass.
    * ``"compiled"``: a one-pass torch.compile (inductor) kernel, including AMSGrad and averaging
      (CPU; compiled on first use; falls back to "loop" if compilation fails).
    * ``"loop"``: per-tensor torch ops in torch.optim.Adam's order (bit-identical to
      ``torch.optim.Adam(foreach=False)`` with the same settings), any device.
    * ``"reference"``: the float64 paper-literal oracle; keeps m, v in float64, θ rounds to its dtype.

    Deviations from the paper: none with the defaults. ``state["step"]`` is an exact float64
    counter (torch's float32 one saturates at 2^24). Sparse gradients and complex parameters are
    rejected with a TypeError.
    """

    algorithm_name = "Adam"
    eps_modes = ("paper", "efficient")
    impls = ("auto", "fused", "compiled", "loop", "reference")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        amsgrad: bool = False,
        maximize: bool = False,
        eps_mode: str = "paper",
        beta1_decay: float = 1.0,
        averaging: float | None = None,
        impl: str = "auto",
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "eps_mode": eps_mode,
            "beta1_decay": beta1_decay,
            "averaging": averaging,
            "impl": impl,
        }
        super().__init__(params, defaults)

    # -- state ------------------------------------------------------------------------------------

    def _init_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        dtype = torch.float64 if group["impl"] == "reference" else param.dtype
        zeros = lambda: torch.zeros_like(param, dtype=dtype, memory_format=torch.preserve_format)  # noqa: E731
        state["exp_avg"] = zeros()
        state["exp_avg_sq"] = zeros()
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros()
        if group["averaging"] is not None:
            state["param_avg"] = zeros()  # θ̄0 = 0 (§7.2)

    def _complete_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        super()._complete_state(param, group, state)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = state["exp_avg_sq"].clone(memory_format=torch.preserve_format)

    # -- the step ---------------------------------------------------------------------------------

    def _step_group(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        impl = group["impl"]
        if impl == "reference":
            self._step_reference(group, entries)
            return
        if torch.compiler.is_compiling():
            impl = "loop"  # traced by torch.compile: plain ops, which dynamo fuses itself
        if impl in ("auto", "fused"):
            fusable = [e for e in entries if kernels.fused_adam_supported(e[0].device, e[0].dtype)]
            if impl == "fused" and len(fusable) != len(entries):
                bad = next(e[0] for e in entries if not kernels.fused_adam_supported(e[0].device, e[0].dtype))
                raise TypeError(
                    f"Adam impl='fused' needs float16/bfloat16/float32/float64 tensors on cpu/cuda, got "
                    f"{bad.dtype} on {bad.device}; use impl='auto' or 'loop'"
                )
            rest = [e for e in entries if not kernels.fused_adam_supported(e[0].device, e[0].dtype)]
            self._step_fused(group, fusable)
            self._step_loop(group, rest)
        elif impl == "compiled":
            self._step_compiled(group, entries)
        else:
            self._step_loop(group, entries)

    def _hyper(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "lr": float(group["lr"]),
            "beta2": group["betas"][1],
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "decoupled_weight_decay": group["decoupled_weight_decay"],
            "maximize": group["maximize"],
            "eps_mode": group["eps_mode"],
        }

    def _scalars(self, group: dict[str, Any], state: dict[str, Any]) -> kernels.StepScalars:
        beta1, beta2 = group["betas"]
        return kernels.adam_step_scalars(float(state["step"]), beta1, beta2, float(group["beta1_decay"]))

    def _step_loop(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        hyper = self._hyper(group)
        for param, grad, state in entries:
            kernels.adam_loop_(
                param,
                grad,
                state["exp_avg"],
                state["exp_avg_sq"],
                state.get("max_exp_avg_sq") if group["amsgrad"] else None,
                self._scalars(group, state),
                **hyper,
            )
            if group["averaging"] is not None:
                kernels.averaging_(state["param_avg"], param, group["averaging"])

    def _step_fused(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        # The fused kernel takes one (lr, β1, ε) per call, so bucket tensors by device, dtype and t.
        buckets: dict[tuple[torch.device, torch.dtype, float], list[ParamEntry]] = defaultdict(list)
        for entry in entries:
            buckets[(entry[0].device, entry[0].dtype, float(entry[2]["step"]))].append(entry)
        hyper = self._hyper(group)
        for bucket in buckets.values():
            states = [e[2] for e in bucket]
            kernels.adam_fused_(
                [e[0] for e in bucket],
                [e[1] for e in bucket],
                [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
                [s["max_exp_avg_sq"] for s in states] if group["amsgrad"] else None,
                self._scalars(group, states[0]),
                beta1=group["betas"][0],
                **hyper,
            )
            if group["averaging"] is not None:
                for param, _, state in bucket:
                    kernels.averaging_(state["param_avg"], param, group["averaging"])

    def _step_compiled(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        hyper = self._hyper(group)
        leftovers: list[ParamEntry] = []
        for param, grad, state in entries:
            done = (
                compiled.takes(param, grad)
                and compiled.adam_compiled_(
                    param,
                    grad,
                    state["exp_avg"],
                    state["exp_avg_sq"],
                    state.get("max_exp_avg_sq") if group["amsgrad"] else None,
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
            result = adam_reference_step(
                param,
                grad,
                state["exp_avg"],
                state["exp_avg_sq"],
                state.get("max_exp_avg_sq") if group["amsgrad"] else None,
                float(state["step"]),
                lr=float(group["lr"]),
                beta1=beta1,
                beta2=beta2,
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                decoupled_weight_decay=group["decoupled_weight_decay"],
                amsgrad=group["amsgrad"],
                maximize=group["maximize"],
                eps_mode=group["eps_mode"],
                beta1_decay=float(group["beta1_decay"]),
            )
            param.copy_(result.param)
            state["exp_avg"] = result.exp_avg
            state["exp_avg_sq"] = result.exp_avg_sq
            if result.max_exp_avg_sq is not None:
                state["max_exp_avg_sq"] = result.max_exp_avg_sq
            if group["averaging"] is not None:
                # θ̄ follows the exact float64 θ, not its rounded copy in the parameter.
                beta = group["averaging"]
                state["param_avg"] = beta * state["param_avg"].to(torch.float64) + (1.0 - beta) * result.param
