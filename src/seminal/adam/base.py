"""The step machinery Adam and AdaMax share: validate, then prepare state, then run one path.

An algorithm class (:class:`~seminal.adam.Adam`, :class:`~seminal.adam.AdaMax`) only names its
moments and its kernels; everything else lives here, once:

* **Validate before mutating.** ``step()`` first checks every group's hyperparameters, every
  gradient (sparse, complex) and every existing state tensor (shape, dtype, device) of *all*
  groups, and only then touches any state. A step that raises leaves parameters, moments and step
  counters exactly as they were.
* **State.** Lazily created zeros; ``state["step"]`` is a 0-d **float64** CPU tensor. torch keeps a
  float32 one, which stops counting at 2^24 = 16,777,216 steps (t + 1 == t in float32); that
  matters here because the Theorem 4.1 schedule β1,t = β1·λ^(t-1) depends on t long after the bias
  corrections have reached 1. float64 counts exactly to 2^53. A float32 (or CUDA) counter loaded
  from a torch.optim state_dict is converted on the next step. The §7.2 average θ̄ is kept in
  :func:`~seminal.adam.validation.accumulation_dtype` (float32 for 16-bit parameters).
* **Paths.** ``reference`` (float64 oracle), ``fused`` (Adam only), ``compiled``, ``loop``; a path
  hands what it cannot take exactly (a device, dtype or memory layout, see
  :mod:`seminal.adam.layout`) to ``loop``, which takes anything. While torch.compile traces the
  step, the one-pass update runs as plain ops with t read as a tensor, so there is no graph break.
* **Step in backward.** :meth:`step_in_backward` runs the same per-parameter update from
  autograd hooks (:mod:`seminal.adam.in_backward`).
* **GradScaler.** ``_step_supports_amp_scaling = True`` as in torch's fused Adam: GradScaler sets
  ``grad_scale`` and ``found_inf`` on the optimizer; a step with non-finite gradients is skipped
  (nothing changes, step counters included) and the scale is divided out of the gradients inside
  the fused kernel (or in place before the other paths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

from seminal.adam import kernels
from seminal.adam.averaging import AveragingMixin
from seminal.adam.checks import CheckedStateMixin, is_counter
from seminal.adam.in_backward import StepInBackwardMixin
from seminal.adam.state_dicts import StateDictMixin
from seminal.adam.validation import accumulation_dtype, check_group

__all__ = ["PaperOptimizer", "ParamEntry"]

ParamEntry = tuple[Tensor, Tensor, dict[str, Any]]  # (parameter, gradient, its state)


class PaperOptimizer(CheckedStateMixin, StepInBackwardMixin, AveragingMixin, StateDictMixin, Optimizer):
    """Base class of Adam and AdaMax: validation, state, dispatch to the paths, closures."""

    #: Shown in error messages ("Adam does not support sparse gradients").
    algorithm_name = "PaperOptimizer"
    #: Allowed values of the ``eps_mode`` and ``impl`` hyperparameters.
    eps_modes: Sequence[str] = ()
    impls: Sequence[str] = ()
    #: State tensors besides θ̄, in the order the kernels take them (None where a group has it off).
    moment_keys: tuple[str, ...] = ()
    #: Group options passed to the loop/compiled kernels besides the common ones.
    kernel_options: tuple[str, ...] = ()
    #: Group options passed to the float64 oracle besides the common ones.
    reference_options: tuple[str, ...] = ()
    #: GradScaler may hand us the scale instead of unscaling the gradients itself.
    _step_supports_amp_scaling = True

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        check_group(dict(defaults), eps_modes=self.eps_modes, impls=self.impls)
        super().__init__(params, defaults)

    # -- what an algorithm provides -----------------------------------------------------------------

    def _active_moments(self, group: dict[str, Any]) -> tuple[str, ...]:
        """The moment keys this group keeps (e.g. Adam's v_max only with amsgrad)."""
        return self.moment_keys

    def _scalars(self, group: dict[str, Any], step: Any) -> kernels.StepScalars:
        raise NotImplementedError

    def _loop_kernel(self, param: Tensor, grad: Tensor, moments: list[Tensor | None], scalars: kernels.StepScalars, hyper: dict[str, Any]) -> None:
        raise NotImplementedError

    def _compiled_kernel(self, param: Tensor, grad: Tensor, moments: list[Tensor | None], param_avg: Tensor | None,
                         scalars: kernels.StepScalars, hyper: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _traced_kernel(self, param: Tensor, grad: Tensor, moments: list[Tensor | None], param_avg: Tensor | None,
                       scalars: kernels.StepScalars, hyper: dict[str, Any]) -> None:
        raise NotImplementedError

    def _reference_kernel(self, param: Tensor, grad: Tensor, moments: list[Tensor | None], step: float, hyper: dict[str, Any]) -> Sequence[Tensor | None]:
        raise NotImplementedError

    def _auto_impl(self, group: dict[str, Any], entries: list[ParamEntry]) -> str:
        raise NotImplementedError

    def _run_fused(self, group: dict[str, Any], entries: list[ParamEntry], grad_scale: Tensor | None) -> list[ParamEntry]:
        return entries

    def _check_impl(self, group: dict[str, Any], param: Tensor, where: str) -> None:
        """Refuse a parameter the group's explicit ``impl`` cannot run (before anything changes)."""

    # -- groups -------------------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; its hyperparameters (own or defaulted) are validated like the constructor's.

        A parameter listed twice in one group is refused (torch.optim only warns, then updates it
        twice per step with one shared state).
        """
        params = param_group.get("params")
        listed = [params] if isinstance(params, Tensor) else list(params) if params is not None else []
        if isinstance(params, Iterator):
            param_group = dict(param_group, params=listed)  # a generator can only be read once
        if len({id(p) for p in listed}) != len(listed):
            raise ValueError(
                f"{self.algorithm_name}: a parameter group lists the same parameter more than once; "
                "it would be updated twice per step (deduplicate the parameters, e.g. with dict.fromkeys)"
            )
        super().add_param_group(param_group)
        try:
            self._check_group(self.param_groups[-1])
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    def _check_group(self, group: dict[str, Any]) -> None:
        check_group(group, eps_modes=self.eps_modes, impls=self.impls)

    def _hyper(self, group: dict[str, Any]) -> dict[str, Any]:
        hyper = {
            "lr": float(group["lr"]),
            "beta2": group["betas"][1],
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "maximize": group["maximize"],
            "eps_mode": group["eps_mode"],
        }
        for key in self.kernel_options:
            hyper[key] = group[key]
        return hyper

    def _reference_hyper(self, group: dict[str, Any]) -> dict[str, Any]:
        hyper = {
            "lr": float(group["lr"]),
            "beta1": group["betas"][0],
            "beta2": group["betas"][1],
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "maximize": group["maximize"],
            "eps_mode": group["eps_mode"],
            "beta1_decay": float(group["beta1_decay"]),
            "bias_correction": group["bias_correction"],
        }
        for key in self.reference_options:
            hyper[key] = group[key]
        return hyper

    # -- the step -----------------------------------------------------------------------------------

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Perform one optimisation step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        plans = [(group, self._validated_entries(index, group)) for index, group in enumerate(self.param_groups)]
        found_inf = getattr(self, "found_inf", None)
        if found_inf is not None and bool(found_inf.item() != 0):
            return loss  # GradScaler found inf/NaN gradients: skip the whole step, as torch does
        grad_scale = getattr(self, "grad_scale", None)
        for group, entries in plans:
            if entries:
                self._step_group(group, entries, grad_scale)
        return loss

    def _prepare(self, group: dict[str, Any], entries: list[ParamEntry]) -> list[ParamEntry]:
        """Create or complete every entry's state (the paths then advance t <- t + 1)."""
        verified = self._verified_states()
        if all(state and id(param) in verified for param, _, state in entries):
            return entries  # every state exists and passed its check this step: nothing to create
        reference = group["impl"] == "reference"
        moments = self._active_moments(group)
        prepared: list[ParamEntry] = []
        for param, grad, state in entries:
            if not state:
                verified.pop(id(param), None)
                state = self.state[param]
                dtype = torch.float64 if reference else param.dtype
                state["step"] = torch.zeros((), dtype=torch.float64)
                for key in moments:
                    state[key] = torch.zeros_like(param, dtype=dtype, memory_format=torch.preserve_format)
                if group["averaging"] is not None:  # θ̄0 = 0 (§7.2)
                    avg_dtype = torch.float64 if reference else accumulation_dtype(param)
                    state["param_avg"] = torch.zeros_like(param, dtype=avg_dtype, memory_format=torch.preserve_format)
            elif id(param) not in verified:
                if not is_counter(state["step"]):
                    state["step"] = torch.tensor(float(state["step"]), dtype=torch.float64)  # e.g. torch's float32 counter
                self._complete_state(param, group, state)
            prepared.append((param, grad, state))
        return prepared

    def _complete_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Add state a loaded state_dict may lack (e.g. AMSGrad or averaging switched on later)."""
        if group["averaging"] is not None and "param_avg" not in state:
            # Start the average at the current parameters with the count so far, so that the
            # bias-corrected value θ̄/(1-β^t) equals θ right away.
            t = float(state["step"])
            beta = group["averaging"]
            dtype = torch.float64 if group["impl"] == "reference" else accumulation_dtype(param)
            state["param_avg"] = param.detach().to(dtype, copy=True) * (1.0 - beta**t)

    def _moments(self, group: dict[str, Any], state: dict[str, Any]) -> list[Tensor | None]:
        active = self._active_moments(group)
        return [state[key] if key in active else None for key in self.moment_keys]

    def _step_group(self, group: dict[str, Any], entries: list[ParamEntry], grad_scale: Tensor | None) -> None:
        entries = self._prepare(group, entries)
        impl = group["impl"]
        if torch.compiler.is_compiling() and impl != "reference":
            _increment([state["step"] for _, _, state in entries])
            self._run_traced(group, entries, grad_scale)
            return
        if impl == "auto":
            impl = self._auto_impl(group, entries)
        # The fused path advances the counters of what it takes itself (torch's kernel does t += 1).
        rest = self._run_fused(group, entries, grad_scale) if impl == "fused" else entries
        if rest:
            _increment([state["step"] for _, _, state in rest])
        if grad_scale is not None:
            rest = _unscaled(rest, grad_scale)
        if impl == "reference":
            self._run_reference(group, rest)
        elif impl == "compiled":
            self._run_loop(group, self._run_compiled(group, rest))
        else:
            self._run_loop(group, rest)

    def _run_loop(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        hyper = self._hyper(group)
        averaging = group["averaging"]
        for param, grad, state in entries:
            self._loop_kernel(param, grad, self._moments(group, state), self._scalars(group, float(state["step"])), hyper)
            if averaging is not None:
                kernels.averaging_(state["param_avg"], param, averaging)

    def _run_compiled(self, group: dict[str, Any], entries: list[ParamEntry]) -> list[ParamEntry]:
        """Run the compiled kernel where it applies; return the entries it did not take."""
        from seminal.adam import compiled
        from seminal.adam.layout import grad_in_layout_of

        hyper = self._hyper(group) | {"averaging": group["averaging"]}
        leftovers: list[ParamEntry] = []
        for param, grad, state in self._run_native(group, entries, hyper):
            moments = self._moments(group, state)
            param_avg = state.get("param_avg") if group["averaging"] is not None else None
            tensors = [t for t in (*moments, param_avg) if t is not None]
            done = compiled.takes(param, tensors) and self._compiled_kernel(
                param, grad_in_layout_of(grad, param), moments, param_avg, self._scalars(group, float(state["step"])), hyper
            )
            if not done:
                leftovers.append((param, grad, state))
        return leftovers

    def _run_native(self, group: dict[str, Any], entries: list[ParamEntry], hyper: dict[str, Any]) -> list[ParamEntry]:
        """The one-pass update of the compiled path as one native call per dtype (no per-tensor
        dispatch, see :mod:`seminal.adam.native`); return the entries it did not take."""
        from seminal.adam import native
        from seminal.adam.layout import grad_in_layout_of

        if not entries or not native.available():
            return entries
        verified = self._verified_states()
        active = self._active_moments(group)
        keys = [key if key in active else None for key in self.moment_keys]
        if group["averaging"] is not None:
            keys.append("param_avg")
        # Per dtype: params, grads, one column per state tensor (None: the option is off), counters.
        batches: dict[torch.dtype, tuple[list[Tensor], list[Tensor], list[list[Tensor]], list[Tensor]]] = {}
        leftovers: list[ParamEntry] = []
        fast = _uniform_native_batch(entries, verified)
        if fast is not None:
            # The common case, column by column (list comprehensions, no per-entry branching): every
            # state was checked this step and the native kernel takes it, one dtype, gradients dense.
            states = [state for _, _, state in entries]
            columns = [[state[key] for state in states] if key is not None else [] for key in keys]
            batches[fast] = ([e[0] for e in entries], [e[1] for e in entries], columns, [state["step"] for state in states])
            entries = []
        for param, grad, state in entries:
            record = verified.get(id(param))
            # The state side was checked this step (checks.py records whether native takes it);
            # then only the gradient is left to look at.
            if not (record is not None and record[6] and grad.dtype == param.dtype and grad.is_contiguous()):
                grad = grad_in_layout_of(grad, param)
                if not native.takes(param, grad, [state[key] for key in keys if key is not None]):
                    leftovers.append((param, grad, state))
                    continue
            batch = batches.get(param.dtype)
            if batch is None:
                batch = batches[param.dtype] = ([], [], [[] for _ in keys], [])
            batch[0].append(param)
            batch[1].append(grad)
            for column, key in zip(batch[2], keys):
                if key is not None:
                    column.append(state[key])
            batch[3].append(state["step"])
        for params, grads, columns, counters in batches.values():
            steps = torch.stack(counters).tolist()  # one conversion for all counters
            vectors: dict[float, int] = {}  # step t -> index of its scalar vector (usually one)
            index = [vectors.setdefault(step, len(vectors)) for step in steps]
            scalar_vectors = [self._scalar_vector(self._scalars(group, step), hyper) for step in vectors]
            state_columns = [column if key is not None else None for column, key in zip(columns, keys)]
            self._native_kernel(params, grads, state_columns, scalar_vectors, index)
        return leftovers

    def _scalar_vector(self, scalars: kernels.StepScalars, hyper: dict[str, Any]) -> Tensor:
        """The per-step scalar vector of the one-pass kernels (compiled and native)."""
        raise NotImplementedError

    def _native_kernel(self, params: list[Tensor], grads: list[Tensor], state_columns: list[list[Tensor] | None],
                       scalar_vectors: list[Tensor], index: list[int]) -> None:
        """Run :mod:`seminal.adam.native`: ``state_columns`` are the moments (in ``moment_keys``
        order) then θ̄ if averaging, each a list over the tensors or None where the option is off;
        tensor k uses ``scalar_vectors[index[k]]``."""
        raise NotImplementedError

    def _run_traced(self, group: dict[str, Any], entries: list[ParamEntry], grad_scale: Tensor | None) -> None:
        """Inside a torch.compile trace: plain ops, t read as a tensor (no graph break)."""
        hyper = self._hyper(group) | {"averaging": group["averaging"]}
        if grad_scale is not None:
            entries = _unscaled(entries, grad_scale)
        for param, grad, state in entries:
            param_avg = state.get("param_avg") if group["averaging"] is not None else None
            self._traced_kernel(param, grad, self._moments(group, state), param_avg, self._scalars(group, state["step"]), hyper)

    def _run_reference(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        hyper = self._reference_hyper(group)
        active = self._active_moments(group)
        for param, grad, state in entries:
            result = self._reference_kernel(param, grad, self._moments(group, state), float(state["step"]), hyper)
            param.copy_(result[0])
            for key, value in zip(self.moment_keys, result[1:]):
                if key in active:
                    state[key] = value
            if group["averaging"] is not None:
                # θ̄ follows the exact float64 θ, not its rounded copy in the parameter.
                beta = group["averaging"]
                state["param_avg"] = beta * state["param_avg"].to(torch.float64) + (1.0 - beta) * result[0]


def _uniform_native_batch(entries: list[ParamEntry], verified: dict[int, tuple[Any, ...]]) -> torch.dtype | None:
    """The dtype of ``entries`` when all of them go to the native kernel as they are (checked
    state the kernel takes, contiguous gradients of the parameter's dtype, one dtype), else None."""
    dtype = entries[0][0].dtype
    for param, grad, _ in entries:
        record = verified.get(id(param))
        if record is None or not record[6] or param.dtype is not dtype or grad.dtype is not dtype or not grad.is_contiguous():
            return None
    return dtype


def _unscaled(entries: list[ParamEntry], grad_scale: Tensor) -> list[ParamEntry]:
    """Divide GradScaler's scale out of the gradients: in place as GradScaler.unscale_ and torch's
    fused kernel do, or into a new tensor where the gradient cannot be written (e.g. expanded)."""
    from seminal.adam.layout import is_dense

    out = []
    for param, grad, state in entries:
        if is_dense(grad):
            grad.div_(grad_scale)
        else:
            grad = grad / grad_scale
        out.append((param, grad, state))
    return out


def _increment(steps: list[Tensor]) -> None:
    """t <- t + 1 for every counter, in one call where torch offers it (as torch's optimizers do)."""
    if hasattr(torch, "_foreach_add_"):
        torch._foreach_add_(steps, 1.0)
    else:  # pragma: no cover - every supported torch has it
        for step in steps:
            step += 1
