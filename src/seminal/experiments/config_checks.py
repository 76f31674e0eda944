"""Refusing NaN and ±inf anywhere in a config (also inside tuples, dicts and nested dataclasses),
and the error every refused command-line value raises.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["ConfigValueError", "check_finite", "check_config"]


class ConfigValueError(ValueError):
    """A command-line value that does not fit its config field (the message names the field)."""


def check_finite(name: str, value: Any, where: str | None = None) -> None:
    """Refuse NaN and ±inf anywhere in ``value`` (floats, and floats inside containers)."""
    bad = _first_non_finite(value)
    if bad is not None:
        label = where or f"config field {name}"
        raise ConfigValueError(f"{label}: expected a finite number, got {bad!r}")


def _first_non_finite(value: Any) -> float | None:
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if isinstance(value, Mapping):
        value = list(value.keys()) + list(value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            bad = _first_non_finite(item)
            if bad is not None:
                return bad
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            bad = _first_non_finite(getattr(value, f.name))
            if bad is not None:
                return bad
    return None


def check_config(config: Any) -> None:
    """Refuse a config with NaN or ±inf in any field; the message names the field."""
    for f in dataclasses.fields(config):
        check_finite(f.name, getattr(config, f.name))
