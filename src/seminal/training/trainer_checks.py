"""The checks on what a :class:`~seminal.training.trainer.Trainer` is given: its loop name, its
modules/optimizers/schedulers and its counts; each refusal names the argument and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from torch import nn

__all__ = ["check_loop_name", "check_components", "check_positive_int"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_loop_name(name: Any) -> None:
    """Refuse a loop name that cannot be a file stem (``checkpoints/<name>.pt``)."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"Invalid name: {name!r} (expected letters, digits, '_', '.' or '-')")


def check_components(modules: Any, optimizers: Any, schedulers: Mapping[str, Any]) -> None:
    if not isinstance(modules, Mapping) or not modules:
        raise TypeError("Invalid modules: expected a non-empty dict of name -> nn.Module")
    for key, module in modules.items():
        if not isinstance(module, nn.Module):
            raise TypeError(f"Invalid modules[{key!r}]: expected an nn.Module, got {type(module).__name__}")
    if not isinstance(optimizers, Mapping):
        raise TypeError("Invalid optimizers: expected a dict of name -> torch.optim.Optimizer")
    for kind, objects in (("optimizers", optimizers), ("schedulers", schedulers)):
        for key, obj in objects.items():
            if not hasattr(obj, "state_dict") or not hasattr(obj, "load_state_dict"):
                raise TypeError(f"Invalid {kind}[{key!r}]: {type(obj).__name__} has no state_dict()")


def check_positive_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (expected an int >= {minimum})")
