"""Parsing command-line text (``--set FIELD=VALUE`` or ``--FIELD VALUE``) as a config field's type.

``tuple[str, ...]`` takes ``adam`` (one element), ``adam,sgd`` or ``("adam", "sgd")``;
``dict[str, float]`` takes ``adam:0.1,sgd:1`` or ``{"adam": 0.1}``; ``X | None`` takes ``none``;
enums take a member name or value; ``Literal[...]`` one of its values. A value that does not fit
raises :class:`~seminal.experiments.config_checks.ConfigValueError` saying what was expected, and
every float must be finite.
"""

from __future__ import annotations

import ast
import enum
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seminal.experiments.config_checks import ConfigValueError, check_finite
from seminal.experiments.config_help import FieldInfo

__all__ = ["parse_assignment", "parse_value"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_NONE = {"none", "null"}


def parse_assignment(text: str, fields: Mapping[str, FieldInfo], experiment_id: str) -> tuple[str, Any]:
    """``FIELD=VALUE`` (from ``--set``) -> ``(field, typed value)``."""
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name:
        raise ConfigValueError(f"--set: expected FIELD=VALUE, got {text!r}")
    if name not in fields:
        raise ConfigValueError(
            f"--set: unknown config field {name!r} for {experiment_id}; expected one of {', '.join(sorted(fields))}"
        )
    return name, parse_value(value, fields[name], option=f"--set {name}")


def parse_value(text: str, info: FieldInfo, option: str | None = None) -> Any:
    """Parse command-line ``text`` as the type of the config field ``info``."""
    where = option or f"--set {info.name}"
    try:
        value = _convert(text, info.type, info.default)
    except _Mismatch as exc:
        raise ConfigValueError(f"{where}: expected {exc.expected}, got {text!r}") from None
    check_finite(info.name, value, where=where)
    return value


class _Mismatch(Exception):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a finite number"
    if hint is str:
        return "a string"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(m.name.lower() for m in hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return " or ".join(_describe(a) for a in inner) + (" or none" if len(inner) < len(args) else "")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a comma-separated list of {_plural(args[0])}, e.g. a or a,b"
        example = ":".join("a" for _ in args)
        return f"{len(args)} values ({', '.join(_describe(a) for a in args)}) separated by ':' (or ','), e.g. {example}"
    if origin in (list, set, frozenset):
        return f"a comma-separated list of {_plural(args[0] if args else Any)}"
    if origin is dict:
        key, val = args if args else (Any, Any)
        return f"KEY:VALUE pairs separated by commas (keys {_describe(key)}, values {_describe(val)}), e.g. adam:0.1,sgd:1"
    return getattr(hint, "__name__", str(hint))


def _plural(hint: Any) -> str:
    return {int: "integers", float: "finite numbers", str: "strings", bool: "true/false values"}.get(hint, _describe(hint))


def _convert(raw: Any, hint: Any, default: Any = None) -> Any:
    """Convert ``raw`` (command-line text, or a value from a literal) to ``hint``."""
    if hint is Any or hint is object:
        return _infer(raw, default)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) < len(args) and (raw is None or (isinstance(raw, str) and raw.strip().lower() in _NONE)):
            return None
        for candidate in inner:
            try:
                return _convert(raw, candidate)
            except _Mismatch:
                continue
        raise _Mismatch(_describe(hint))
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise _Mismatch(_describe(hint))
    if hint is int:
        return _to_int(raw)
    if hint is float:
        return _to_float(raw)
    if hint is str:
        if isinstance(raw, str):
            return raw
        raise _Mismatch(_describe(hint))
    if hint is Path or (isinstance(hint, type) and issubclass(hint, Path)):
        if isinstance(raw, (str, Path)):
            return Path(raw)
        raise _Mismatch("a path")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _to_enum(raw, hint)
    if origin is typing.Literal:
        for option in args:
            if raw == option or (isinstance(raw, str) and str(option) == raw.strip()):
                return option
            try:
                if not isinstance(option, str) and _convert(raw, type(option)) == option:
                    return option
            except _Mismatch:
                pass
        raise _Mismatch(_describe(hint))
    if origin in (tuple, list, set, frozenset):
        items = _split_sequence(raw, hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis) and args:
            if isinstance(raw, str) and len(items) == 1 and ":" in raw:
                # A fixed tuple inside a list (``--set cells=FCN:R,CNN:RTS``): its values are ':'-separated.
                items = [part.strip() for part in raw.split(":")]
            if len(items) != len(args):
                raise _Mismatch(_describe(hint))
            return tuple(_convert(item, a) for item, a in zip(items, args))
        element = args[0] if args else Any
        converted = [_convert(item, element) for item in items]
        return origin(converted)
    if origin is dict:
        key_type, value_type = args if args else (Any, Any)
        pairs = _split_mapping(raw, hint)
        return {_convert(k, key_type): _convert(v, value_type) for k, v in pairs}
    if isinstance(hint, type) and isinstance(raw, hint):
        return raw
    if isinstance(hint, type) and isinstance(raw, str):
        try:
            return hint(raw)
        except Exception:  # noqa: BLE001 - any constructor failure is a mismatch
            raise _Mismatch(_describe(hint)) from None
    raise _Mismatch(_describe(hint))


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Mismatch("an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return int(raw)
        raise _Mismatch("an integer")
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)  # 1e5 or 150_000.0
        except ValueError:
            raise _Mismatch("an integer") from None
        if math.isfinite(number) and number.is_integer():
            return int(number)
    raise _Mismatch("an integer")


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise _Mismatch("a finite number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise _Mismatch("a finite number") from None
    else:
        raise _Mismatch("a finite number")
    if not math.isfinite(value):
        raise _Mismatch("a finite number (not nan or inf)")
    return value


def _to_enum(raw: Any, enum_cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(raw, enum_cls):
        return raw
    for member in enum_cls:
        if isinstance(raw, str) and raw.strip().lower() in {member.name.lower(), str(member.value).lower()}:
            return member
        if raw == member.value:
            return member
    raise _Mismatch(_describe(enum_cls))


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _split_sequence(raw: Any, hint: Any) -> list[Any]:
    if isinstance(raw, (list, tuple, set, frozenset)):
        return list(raw)
    if not isinstance(raw, str):
        raise _Mismatch(_describe(hint))
    text = raw.strip()
    if text[:1] in "([{":
        value = _literal(text)
        if isinstance(value, (list, tuple, set)):
            return list(value)
        raise _Mismatch(_describe(hint))
    if text == "":
        return []
    return [part.strip() for part in text.split(",")]


def _split_mapping(raw: Any, hint: Any) -> list[tuple[Any, Any]]:
    if isinstance(raw, Mapping):
        return list(raw.items())
    if not isinstance(raw, str):
        raise _Mismatch(_describe(hint))
    text = raw.strip()
    if text.startswith("{"):
        value = _literal(text)
        if isinstance(value, dict):
            return list(value.items())
        raise _Mismatch(_describe(hint))
    if text == "":
        return []
    pairs = []
    for part in text.split(","):
        key, sep, value = part.partition(":")
        if not sep:
            key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise _Mismatch(_describe(hint))
        pairs.append((key.strip(), value.strip()))
    return pairs


def _infer(raw: Any, default: Any) -> Any:
    """A field without a usable annotation: parse like its default's type, else as a literal."""
    if not isinstance(raw, str):
        return raw
    if default is not None and not isinstance(default, (str, dict, list, tuple)):
        return _convert(raw, type(default), None)
    value = _literal(raw.strip())
    if value is _NOT_LITERAL:
        return raw
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    return value
