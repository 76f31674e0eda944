"""Adam, Algorithm 1 of Kingma & Ba (ICLR 2015, arXiv:1412.6980), as a torch.optim.Optimizer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, ClassVar

import torch
from torch import Tensor

from seminal.adam import compiled, kernels, native
from seminal.adam.base import ParamEntry, PaperOptimizer, _increment
from seminal.adam.layout import grad_in_layout_of, kernel_takes
from seminal.adam.reference import adam_reference_step
from seminal.adam.validation import resolve_impl

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
    * ``bias_correction=False``: m̂ = m, v̂ = v (α_t = α in the efficient form): §6.4's
      "RMSProp with momentum", the variant Fig. 4 compares against.

    ``impl`` picks the implementation (all compute the formula above, for any memory layout of
    parameters and gradients; tests hold each to the float64 oracle within the dtype's rounding):

    * ``"auto"`` (default): ``"fused"`` where torch's fused kernel runs (float16/bfloat16/float32/
      float64 on CPU or CUDA), else ``"loop"``; with ``averaging`` on CPU, ``"compiled"`` where its
      native kernel is built (θ̄ in the same pass).
    * ``"fused"``: torch's fused Adam kernel through the public ``torch.optim.adam.adam(fused=True)``,
      one pass over memory; averaging adds one θ̄ pass. Parameters whose layout the kernel cannot
      walk (a strided view, state in another layout) go to ``"loop"``; a gradient in another layout
      than its parameter (transposed, expanded, channels_last vs contiguous) is copied first.
    * ``"compiled"``: a one-pass kernel including AMSGrad and averaging (CPU): one native
      multi-tensor call per group (:mod:`seminal.adam.native`, built on first use where a C++
      compiler exists), else a torch.compile (inductor) kernel per tensor; falls back to "loop"
      if neither can be built.
    * ``"loop"``: per-tensor torch ops in torch.optim.Adam's order (bit-identical to
      ``torch.optim.Adam(foreach=False)`` with the same settings), any device.
    * ``"reference"``: the float64 paper-literal oracle; keeps m, v in float64, θ rounds to its dtype.

    While torch.compile traces a function that calls ``step()``, every impl but ``"reference"``
    runs the one-pass update as plain ops with t read as a tensor: no graph break.

    Drop-in for ``torch.optim.Adam``: the same positional arguments (lr, betas, eps, weight_decay,
    amsgrad) and keywords. ``fused=True`` means ``impl="fused"``; ``fused=False`` or
    ``foreach=False`` mean ``impl="loop"``; ``foreach=True`` keeps ``impl="auto"`` (the fused kernel
    is a faster multi-tensor path with the same formula). ``capturable=True`` and
    ``differentiable=True`` raise ValueError (see :func:`seminal.adam.validation.resolve_impl`).
    GradScaler unscales inside the step (``_step_supports_amp_scaling``). To continue in
    torch.optim, load :meth:`to_torch_state_dict`, which warns about options torch lacks.

    Deviations from the paper: none with the defaults. ``state["step"]`` is an exact float64
    counter (torch's float32 one saturates at 2^24). θ̄ of float16/bfloat16 parameters is kept in
    float32. Sparse gradients and complex parameters are rejected with a TypeError; NaN or
    infinite hyperparameters with a ValueError.
    """

    algorithm_name = "Adam"
    eps_modes = ("paper", "efficient")
    impls = ("auto", "fused", "compiled", "loop", "reference")

    moment_keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    kernel_options = ("decoupled_weight_decay",)
    reference_options = ("decoupled_weight_decay", "amsgrad")
    _derivable = ("max_exp_avg_sq",)
    torch_equivalent: ClassVar[dict[str, Any]] = {"eps_mode": "paper", "beta1_decay": 1.0, "averaging": None, "bias_correction": True}

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
        eps_mode: str = "paper",
        beta1_decay: float = 1.0,
        averaging: float | None = None,
        bias_correction: bool = True,
        impl: str = "auto",
    ) -> None:
        impl = resolve_impl(
            "Adam", impl, self.impls, foreach=foreach, fused=fused, capturable=capturable, differentiable=differentiable
        )
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
            "bias_correction": bias_correction,
            "impl": impl,
        }
        super().__init__(params, defaults)

    # -- the algorithm's parts ------------------------------------------------------------------------

    def _active_moments(self, group: dict[str, Any]) -> tuple[str, ...]:
        return self.moment_keys if group["amsgrad"] else self.moment_keys[:2]

    def _complete_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        super()._complete_state(param, group, state)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = state["exp_avg_sq"].clone(memory_format=torch.preserve_format)

    def _scalars(self, group: dict[str, Any], step: Any) -> kernels.StepScalars:
        beta1, beta2 = group["betas"]
        return kernels.adam_step_scalars(step, beta1, beta2, float(group["beta1_decay"]), group["bias_correction"])

    def _loop_kernel(self, param, grad, moments, scalars, hyper):  # type: ignore[no-untyped-def]
        kernels.adam_loop_(param, grad, *moments, scalars, **hyper)

    def _compiled_kernel(self, param, grad, moments, param_avg, scalars, hyper):  # type: ignore[no-untyped-def]
        return compiled.adam_compiled_(param, grad, *moments, param_avg, scalars, **hyper)

    def _scalar_vector(self, scalars, hyper):  # type: ignore[no-untyped-def]
        return compiled.adam_scalar_vector(scalars, **hyper)

    def _native_kernel(self, params, grads, state_columns, scalar_vectors, index):  # type: ignore[no-untyped-def]
        exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *param_avgs = state_columns
        native.adam_onepass_(
            params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, param_avgs[0] if param_avgs else None, scalar_vectors, index
        )

    def _traced_kernel(self, param, grad, moments, param_avg, scalars, hyper):  # type: ignore[no-untyped-def]
        compiled.adam_traced_(param, grad, *moments, param_avg, scalars, **hyper)

    def _reference_kernel(self, param, grad, moments, step, hyper):  # type: ignore[no-untyped-def]
        return adam_reference_step(param, grad, *moments, step, **hyper)

    def _auto_impl(self, group: dict[str, Any], entries: list[ParamEntry]) -> str:
        # With averaging, torch's fused kernel needs a second pass for θ̄; the native one-pass
        # kernel (seminal.adam.native) does it in the same pass. What a path cannot take goes on
        # to the loop path.
        if group["averaging"] is not None and all(e[0].device.type == "cpu" for e in entries) and native.available():
            return "compiled"
        return "fused"

    def _check_impl(self, group: dict[str, Any], param: Tensor, where: str) -> None:
        if group["impl"] == "fused" and not kernels.fused_adam_supported(param.device, param.dtype):
            raise TypeError(
                f"Adam impl='fused' needs float16/bfloat16/float32/float64 tensors on cpu/cuda, got "
                f"{param.dtype} on {param.device} ({where}); use impl='auto' or 'loop'"
            )

    def _fused_takes(self, param: Tensor, moments: list[Tensor]) -> bool:
        return kernels.fused_adam_supported(param.device, param.dtype) and kernel_takes(param, moments)

    def _run_fused(self, group: dict[str, Any], entries: list[ParamEntry], grad_scale: Tensor | None) -> list[ParamEntry]:
        """Step what the fused kernel takes exactly (advancing its t); return the rest for the loop path.

        Algorithm 1 itself runs as one call in which every tensor uses its own t, read from and
        advanced in seminal's float64 counters by the kernel (CPU), as torch's fused Adam does. The
        variants map their t-dependent scalars onto the kernel's arguments, so those calls are
        bucketed by t (and device and dtype). CUDA tensors always get throw-away float32 counters
        on the device, with seminal's counter advanced on the host.
        """
        amsgrad = group["amsgrad"]
        plain = group["eps_mode"] == "paper" and group["bias_correction"] and float(group["beta1_decay"]) == 1.0
        verified = self._verified_states()
        own_t: list[ParamEntry] = []  # CPU, Algorithm 1: one call, each tensor its own t
        buckets: dict[tuple[torch.device, torch.dtype, float], list[ParamEntry]] = defaultdict(list)
        rest: list[ParamEntry] = []
        if plain and _all_fused_as_they_are(entries, verified):
            # The common case at hundreds of tensors, without the per-entry branching below.
            self._fused_call(group, entries, None, self._hyper(group) | {"beta1": group["betas"][0], "grad_scale": grad_scale},
                             own_counters=True)
            return rest
        for param, grad, state in entries:
            record = verified.get(id(param))
            if record is not None:  # checked this step (base._validated_entries)
                takes, contiguous = record[3], record[4]
            else:  # state created or completed on this step
                moments = [state["exp_avg"], state["exp_avg_sq"]] + ([state["max_exp_avg_sq"]] if amsgrad else [])
                takes, contiguous = self._fused_takes(param, moments), False
            if not takes:
                rest.append((param, grad, state))
                continue
            entry = (param, grad if contiguous and grad.is_contiguous() else grad_in_layout_of(grad, param), state)
            if plain and param.device.type == "cpu":
                own_t.append(entry)
            else:
                buckets[(param.device, param.dtype, float(state["step"]) + 1.0)].append(entry)
        hyper = self._hyper(group) | {"beta1": group["betas"][0], "grad_scale": grad_scale}
        if own_t:
            self._fused_call(group, own_t, None, hyper, own_counters=True)
        for (device, _, step), bucket in buckets.items():
            own_counters = device.type == "cpu"
            if not own_counters:
                _increment([state["step"] for _, _, state in bucket])
            self._fused_call(group, bucket, self._scalars(group, step), hyper, own_counters=own_counters)
        return rest

    def _fused_call(self, group: dict[str, Any], bucket: list[ParamEntry], scalars: kernels.StepScalars | None,
                    hyper: dict[str, Any], *, own_counters: bool) -> None:
        states = [e[2] for e in bucket]
        kernels.adam_fused_(
            [e[0] for e in bucket],
            [e[1] for e in bucket],
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["max_exp_avg_sq"] for s in states] if group["amsgrad"] else None,
            scalars,
            steps=[s["step"] for s in states] if own_counters else None,
            **hyper,
        )
        averaging = group["averaging"]
        if averaging is not None:
            for param, _, state in bucket:
                kernels.averaging_(state["param_avg"], param, averaging)


def _all_fused_as_they_are(entries: list[ParamEntry], verified: dict[int, tuple[Any, ...]]) -> bool:
    """Whether every entry is a CPU tensor that the fused kernel takes (checked this step) with a
    contiguous gradient in a contiguous parameter's layout: then all go in one call, unchanged.
    (Column by column, with ``is_cpu``: this runs every step, over every tensor.)"""
    records = [verified.get(id(param)) for param, _, _ in entries]
    return (
        all(record is not None and record[3] and record[4] for record in records)
        and all(param.is_cpu and grad.is_contiguous() for param, grad, _ in entries)
    )
