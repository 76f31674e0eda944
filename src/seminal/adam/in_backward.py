"""Adam's step inside the backward pass: each parameter is updated as soon as its gradient is ready.

``remove = opt.step_in_backward()`` registers a ``register_post_accumulate_grad_hook`` on every
parameter. From then on ``loss.backward()`` alone trains: when autograd has accumulated a
parameter's gradient, the hook runs the optimizer's update for that parameter (the same path,
kernel and per-parameter t as ``step()``) and frees the gradient (``param.grad = None``).
Because every parameter's update reads only its own gradient and state, the trajectory is
bit-identical to ``loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)``; the tests
hold it to that. No large gradient buffer outlives its layer, so peak memory drops towards the
floor set by the largest layer (its gradient must exist while the activations below it do), and
each gradient is read while it is still in cache.

**Buckets.** One update call costs tens of microseconds of Python and dispatch whatever the
tensor's size, so a bias or a norm's weight is not updated alone: gradients are held per group
until they total ``bucket_bytes`` (default 1 MiB), then updated in one call, and whatever is
left when ``backward()`` finishes is updated by a callback queued on autograd's engine (as
DistributedDataParallel's buckets are). A gradient at least ``bucket_bytes`` in size goes out at
once with what is held. ``bucket_bytes=0`` updates every parameter alone. Each parameter's
update is the same either way, so the trajectory does not depend on the bucket size.

When it cannot be used (call ``remove()`` and use ``step()``):

* anything that needs all gradients before any update: clipping by the global norm across
  parameters, GradScaler's inf/NaN check and unscaling, closures, gradient noise or averaging
  across parameters;
* gradient accumulation over several backward passes (the hook would step after each one);
* a parameter used twice in one graph is fine (the hook fires once, after accumulation), but a
  backward with ``retain_graph`` run twice steps twice;
* data-parallel training across processes (``torch.distributed`` with more than one process,
  e.g. DistributedDataParallel): the hooks run before the gradients are averaged across
  processes, so each process would step with its own gradient. Refused (``RuntimeError``) when
  ``step_in_backward()`` is called and again when an update is due.
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

    def step_in_backward(self, bucket_bytes: int = 1 << 20) -> Callable[[], None]:
        """Update every parameter inside ``backward()`` (see module doc); returns ``remove()``.

        Args:
            bucket_bytes: hold gradients per group until they total this many bytes, then update
                them in one call (the rest when backward finishes); 0 = every parameter alone.
        """
        if not isinstance(bucket_bytes, int) or isinstance(bucket_bytes, bool) or bucket_bytes < 0:
            raise ValueError(f"Invalid bucket_bytes: {bucket_bytes!r} (expected an int >= 0)")
        _refuse_data_parallel()
        handles = []
        for group_index, group in enumerate(self.param_groups):
            for param in group["params"]:
                if not param.requires_grad:
                    continue
                handles.append(param.register_post_accumulate_grad_hook(partial(self._accumulated, group_index, bucket_bytes)))

        def remove() -> None:
            for handle in handles:
                handle.remove()
            self._held_gradients().clear()

        return remove

    def _held_gradients(self) -> dict[int, tuple[dict[int, Tensor], list[int]]]:
        """group index -> ({id(param): param}, [their gradients' bytes]) waiting for an update."""
        return self.__dict__.setdefault("_in_backward_held", {})

    def _accumulated(self, group_index: int, bucket_bytes: int, param: Tensor) -> None:
        held, held_bytes = self._held_gradients().setdefault(group_index, ({}, [0]))
        if id(param) not in held:  # a backward that raised may have left it held: stepped once
            held[id(param)] = param
            grad = param.grad
            held_bytes[0] += grad.numel() * grad.element_size() if grad is not None else 0
        if held_bytes[0] >= bucket_bytes:
            self._step_held(group_index)
        else:
            # Cheap, and a callback per deferral survives a backward that raised before its end.
            torch.autograd.Variable._execution_engine.queue_callback(self._step_all_held)

    def _step_all_held(self) -> None:
        for group_index in list(self._held_gradients()):
            self._step_held(group_index)

    @torch.no_grad()
    def _step_held(self, group_index: int) -> None:
        held, _ = self._held_gradients().pop(group_index, ({}, None))
        params = list(held.values())
        if not params:
            return
        _refuse_data_parallel()
        group = self.param_groups[group_index]
        entries = self._validated_entries(group_index, group, only=params)  # type: ignore[attr-defined]
        if entries:
            self._step_group(group, entries, None)  # type: ignore[attr-defined]
        for param in params:
            param.grad = None


def _refuse_data_parallel() -> None:
    """Refuse under torch.distributed with several processes: the hooks would see unreduced gradients."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        raise RuntimeError(
            f"step_in_backward() cannot be used with torch.distributed ({dist.get_world_size()} processes): its hooks "
            "run before the gradients are averaged across processes, so each process would step with its own "
            "gradient; call remove() and use loss.backward(); opt.step() instead"
        )
