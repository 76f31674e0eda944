"""Temporal averaging (§7.2): evaluating with the bias-corrected average θ̂ = θ̄/(1-β^t).

θ̄ itself is updated by the optimizer's step paths (θ̄ <- β·θ̄ + (1-β)·θ after every step, θ̄0 = 0)
and kept in :func:`~seminal.adam.validation.accumulation_dtype`; this mixin only reads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

__all__ = ["AveragingMixin"]


class AveragingMixin:
    """``averaged_value`` and ``averaged_parameters`` for an optimizer whose groups have ``averaging``."""

    param_groups: list[dict[str, Any]]
    state: Any

    def averaged_value(self, param: Tensor) -> Tensor | None:
        """θ̂ = θ̄/(1-β^t) for ``param`` in its dtype (None before its first step or without averaging)."""
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
