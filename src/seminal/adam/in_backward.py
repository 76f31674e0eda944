"""Adam's step inside the backward pass: each parameter is updated as soon as its gradient is ready.

``remove = opt.step_in_backward()`` registers a ``register_post_accumulate_grad_hook`` on every
parameter. From then on ``loss.backward()`` alone trains: when autograd has accumulated a
parameter's gradient, the hook runs the optimizer's update for that one parameter (the same
path, kernel and per-parameter t as ``step()``) and frees the gradient (``param.grad = None``).
Because every parameter's update reads only its own gradient and state, the trajectory is
bit-identical to ``loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)``; the tests
hold it to that. No gradient buffer outlives its layer, so peak memory drops by up to the
gradients' size, and each gradient is read while it is still in cache.

When it cannot be used (call ``remove()`` and use ``step()``):

* anything that needs all gradients before any update: clipping by the global norm across
  parameters, GradScaler's inf/NaN check and unscaling, closures, gradient noise or averaging
  across parameters;
* gradient accumulation over several backward passes (the hook would step after each one);
* a parameter used twice in one graph is fine (the hook fires once, after accumulation), but a
  backward with ``retain_graph`` run twice steps twice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import Tensor

__all__ = ["StepInBackwardMixin"]


class StepInBackwardMixin:
    """``step_in_backward()`` for a PaperOptimizer."""

    param_groups: list[dict[str, Any]]

    def step_in_backward(self) -> Callable[[], None]:
        """Update every parameter inside ``backward()`` (see module doc); returns ``remove()``."""
        handles = []
        for group_index, group in enumerate(self.param_groups):
            for param in group["params"]:
                if not param.requires_grad:
                    continue
                handles.append(param.register_post_accumulate_grad_hook(partial(self._step_one, group_index)))

        def remove() -> None:
            for handle in handles:
                handle.remove()

        return remove

    @torch.no_grad()
    def _step_one(self, group_index: int, param: Tensor) -> None:
        group = self.param_groups[group_index]
        entries = self._validated_entries(group_index, group, only=param)  # type: ignore[attr-defined]
        if entries:
            self._step_group(group, entries, None)  # type: ignore[attr-defined]
        param.grad = None
