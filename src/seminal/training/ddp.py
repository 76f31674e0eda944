"""DistributedDataParallel that also synchronises gradients of the model's other methods.

Experiments call more than ``forward`` on their models (``net.l2_penalty()``,
``vae.negative_elbo(x)``). On a plain DDP wrapper those raise AttributeError; worse, calling them
on the unwrapped module trains without synchronising gradients: DDP only all-reduces the
gradients of a backward pass whose graph went through ``DDP.forward``, so the ranks silently
drift apart. :class:`MethodDDP` forwards attribute access to the wrapped module, and runs any
method of it through ``DDP.forward`` (by standing in for ``forward`` for that one call), so the
gradients are synchronised as if it were the forward pass.

Submodules and plain attributes are returned as they are: calling a *submodule* directly
(``net.encoder(x)``) still bypasses DDP; give the model a method for it instead.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["MethodDDP"]


class MethodDDP(DistributedDataParallel):
    """``DistributedDataParallel`` plus synchronised calls of the wrapped module's methods."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            pass
        module: nn.Module = super().__getattr__("module")
        attr = getattr(module, name)  # raises AttributeError naming the wrapped module's class
        if inspect.ismethod(attr) and attr.__self__ is module:
            def through_forward(*args: Any, **kwargs: Any) -> Any:
                return self._call_through_forward(module, attr, args, kwargs)

            through_forward.__name__ = name
            through_forward.__doc__ = attr.__doc__
            return through_forward
        return attr

    def _call_through_forward(self, module: nn.Module, method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        had_own = "forward" in module.__dict__
        own = module.__dict__.get("forward")

        def restore() -> None:
            if had_own:
                module.__dict__["forward"] = own
            else:
                module.__dict__.pop("forward", None)

        def stand_in(*a: Any, **k: Any) -> Any:
            restore()  # the method may call self(x) itself: that must be the real forward
            return method(*a, **k)

        module.__dict__["forward"] = stand_in
        try:
            return self(*args, **kwargs)
        finally:
            restore()
