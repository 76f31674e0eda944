"""Shared machinery of :class:`~seminal.adam.Adam` and :class:`~seminal.adam.AdaMax`.

What lives here (and not in the algorithm classes): per-group validation, lazy per-parameter
state with an exact float64 step counter, compatibility with ``torch.optim`` state_dicts,
closures, and the temporal-averaging (§7.2) evaluation helpers.

Step counter: ``state["step"]`` is a 0-d **float64** CPU tensor. torch keeps a float32 one, which
stops counting at 2^24 = 16,777,216 steps (t + 1 == t in float32); that matters here because the
Theorem 4.1 schedule β1,t = β1·λ^(t-1) depends on t long after the bias corrections have reached 1.
float64 counts exactly to 2^53. A float32 (or CUDA) counter loaded from a torch.optim state_dict is
converted on the next step; a seminal state_dict loads into torch.optim.Adam/Adamax unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable

import torch
from torch import Tensor
from torch.optim import Optimizer

from seminal.adam.validation import check_group

__all__ = ["PaperOptimizer", "ParamEntry"]

ParamEntry = tuple[Tensor, Tensor, dict[str, Any]]  # (parameter, gradient, its state)


class PaperOptimizer(Optimizer):
    """Base class: validation, state, step counting, closures and averaged parameters."""

    #: Shown in error messages ("Adam does not support sparse gradients").
    algorithm_name = "PaperOptimizer"
    #: Allowed values of the ``eps_mode`` and ``impl`` hyperparameters.
    eps_modes: Sequence[str] = ()
    impls: Sequence[str] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        check_group(dict(defaults), eps_modes=self.eps_modes, impls=self.impls)
        super().__init__(params, defaults)

    # -- groups and state_dicts -------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; its hyperparameters (own or defaulted) are validated like the constructor's."""
        super().add_param_group(param_group)
        try:
            self._check_group(self.param_groups[-1])
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    def _check_group(self, group: dict[str, Any]) -> None:
        check_group(group, eps_modes=self.eps_modes, impls=self.impls)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Called by load_state_dict: a torch.optim state_dict lacks our keys (eps_mode, impl, ...),
        # so take them from this optimizer's constructor arguments.
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)

    # -- the step ---------------------------------------------------------------------------------

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Perform one optimisation step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            entries = self._collect(group)
            if entries:
                self._step_group(group, entries)
        return loss

    def _step_group(self, group: dict[str, Any], entries: list[ParamEntry]) -> None:
        raise NotImplementedError

    def _init_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        raise NotImplementedError

    def _collect(self, group: dict[str, Any]) -> list[ParamEntry]:
        """Parameters of ``group`` that have a gradient, with their state, step counter advanced."""
        entries: list[ParamEntry] = []
        for index, param in enumerate(group["params"]):
            grad = param.grad
            if grad is None:
                continue  # absent gradient: the parameter and its state are left untouched
            if grad.is_sparse:
                raise TypeError(
                    f"{self.algorithm_name} does not support sparse gradients (parameter {index} of its group "
                    "has one); use dense gradients or torch.optim.SparseAdam"
                )
            if torch.is_complex(param):
                raise TypeError(
                    f"{self.algorithm_name} does not support complex parameters (parameter {index} of its group "
                    f"is {param.dtype}); optimise torch.view_as_real(param) instead"
                )
            state = self.state[param]
            if len(state) == 0:
                state["step"] = torch.zeros((), dtype=torch.float64)
                self._init_state(param, group, state)
            else:
                step = state["step"]
                if not torch.is_tensor(step) or step.dtype != torch.float64 or step.device.type != "cpu":
                    state["step"] = torch.tensor(float(step), dtype=torch.float64)  # e.g. torch's float32 counter
                self._complete_state(param, group, state)
            state["step"] += 1
            entries.append((param, grad, state))
        return entries

    def _complete_state(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Add state a loaded state_dict may lack (e.g. AMSGrad or averaging switched on later)."""
        if group["averaging"] is not None and "param_avg" not in state:
            # Start the average at the current parameters with the count so far, so that the
            # bias-corrected value θ̄/(1-β^t) equals θ right away.
            t = float(state["step"])
            beta = group["averaging"]
            state["param_avg"] = param.detach().clone(memory_format=torch.preserve_format) * (1.0 - beta**t)

    # -- temporal averaging (§7.2) ----------------------------------------------------------------

    def averaged_value(self, param: Tensor) -> Tensor | None:
        """θ̂ = θ̄/(1-β^t) for ``param`` (None before its first step or without averaging)."""
        for group in self.param_groups:
            if any(p is param for p in group["params"]):
                return self._averaged(param, group["averaging"])
        raise ValueError("averaged_value(param): param is not optimised by this optimizer")

    def _averaged(self, param: Tensor, beta: float | None) -> Tensor | None:
        state = self.state.get(param)
        if beta is None or not state or "param_avg" not in state:
            return None
        t = float(state["step"])
        return (state["param_avg"] / (1.0 - beta**t)).to(param.dtype)

    @contextlib.contextmanager
    def averaged_parameters(self) -> Iterator[None]:
        """Temporarily replace every averaged parameter by its bias-corrected average θ̂ (§7.2).

        Use for evaluation::

            with opt.averaged_parameters():
                test_error = evaluate(model)

        The original values are restored on exit (also on an exception). Parameters that have not
        been stepped yet keep their values. Raises ValueError when no group has ``averaging`` set.
        """
        if all(group["averaging"] is None for group in self.param_groups):
            raise ValueError(
                "averaged_parameters() needs temporal averaging: construct the optimizer with "
                "averaging=beta (e.g. averaging=0.999); every param group has averaging=None"
            )
        saved: list[tuple[Tensor, Tensor]] = []
        try:
            with torch.no_grad():
                for group in self.param_groups:
                    for param in group["params"]:
                        value = self._averaged(param, group["averaging"])
                        if value is not None:
                            saved.append((param, param.detach().clone()))
                            param.copy_(value)
            yield
        finally:
            with torch.no_grad():
                for param, original in saved:
                    param.copy_(original)
