"""A typed command line generated from an experiment's config dataclass.

For every field of the config dataclass this module knows its type (from the annotations), its
default (the paper's full setting) and a one-line meaning, taken from, in order:
``field(metadata={"help": ...})``, an attribute docstring (a string right below the field), a
comment on the field's line or right above it, or an ``Attributes:`` entry in the class docstring.

Values given on the command line (``--set FIELD=VALUE`` or ``--FIELD VALUE``) are parsed as the
field's type: ``tuple[str, ...]`` takes ``adam`` (one element), ``adam,sgd`` or ``("adam", "sgd")``;
``dict[str, float]`` takes ``adam:0.1,sgd:1`` or ``{"adam": 0.1}``; ``X | None`` takes ``none``;
enums take a member name or value; ``Literal[...]`` one of its values. Every float anywhere in a
config (also inside tuples and dicts) must be finite: NaN and ±inf are refused.

No torch import here: ``seminal run X --help`` is built from this module; the runner checks every
config with :func:`check_config`.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import io
import math
import re
import textwrap
import tokenize
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "FieldInfo",
    "config_fields",
    "parse_value",
    "parse_assignment",
    "check_finite",
    "check_config",
    "ConfigValueError",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_NONE = {"none", "null"}


class ConfigValueError(ValueError):
    """A command-line value that does not fit its config field (the message names the field)."""


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """One config field as the command line shows it."""

    name: str
    type: Any  # the resolved annotation
    type_text: str  # the annotation as written in the source
    default: Any  # the value in the full (paper) config
    help: str  # one line; "" when the source says nothing


def config_fields(config_cls: type) -> list[FieldInfo]:
    """Every field of ``config_cls`` with its type, full-preset default and one-line meaning."""
    hints = _type_hints(config_cls)
    helps = _source_helps(config_cls)
    defaults = config_cls()
    infos = []
    for f in dataclasses.fields(config_cls):
        text = f.metadata.get("help") if f.metadata else None
        infos.append(FieldInfo(
            name=f.name,
            type=hints.get(f.name, Any),
            type_text=_type_text(hints.get(f.name, Any), f.type),
            default=getattr(defaults, f.name),
            help=_one_line(text if text else helps.get(f.name, "")),
        ))
    return infos


def _type_hints(config_cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(config_cls)
    except Exception:  # noqa: BLE001 - an annotation that cannot be resolved: parse values loosely
        return {}


def _type_text(hint: Any, raw: Any) -> str:
    if isinstance(raw, str):
        return raw.replace("typing.", "")
    return re.sub(r"\btyping\.", "", getattr(hint, "__name__", None) if isinstance(hint, type) else str(hint))


def _one_line(text: str, limit: int = 100) -> str:
    """The first sentence (or clause, when long) of ``text`` on one line."""
    text = " ".join(text.strip().split())
    if len(text) > limit:
        for mark in (". ", ": ", "; "):
            head = text.split(mark, 1)[0]
            if len(head) < len(text):
                return head.rstrip(".")
    return text


def _source_helps(config_cls: type) -> dict[str, str]:
    """Field meanings from the class source: attribute docstrings, comments, docstring sections."""
    helps: dict[str, str] = {}
    for klass in reversed(config_cls.__mro__[:-1]):  # base classes first; subclasses override
        if not dataclasses.is_dataclass(klass):
            continue
        helps.update(_docstring_section(inspect.getdoc(klass) or ""))
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        helps.update(_from_source(source))
    return helps


def _docstring_section(doc: str) -> dict[str, str]:
    found: dict[str, str] = {}
    in_section = False
    current: str | None = None
    names: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped in {"Attributes:", "Args:", "Fields:"}:
            in_section, current = True, None
            continue
        if not in_section:
            continue
        if not stripped:
            current = None
            continue
        match = re.match(r"^\s{0,6}(\w+(?:\s*,\s*\w+)*)(?:\s*\([^)]*\))?:\s*(.*)$", line)
        if match and not line.startswith("        "):
            current = match.group(1)
            for name in re.split(r"\s*,\s*", current):
                found[name] = match.group(2)
            current = current.split(",")[-1].strip()
            names = [n.strip() for n in match.group(1).split(",")]
        elif current is not None:
            for name in names:
                found[name] += " " + stripped
        elif not line.startswith(" "):
            in_section = False
    return found


def _from_source(source: str) -> dict[str, str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    klass = next((node for node in tree.body if isinstance(node, ast.ClassDef)), None)
    if klass is None:
        return {}
    comments = _comments_by_line(source)
    lines = source.splitlines()
    found: dict[str, str] = {}
    body = klass.body
    for index, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        name = node.target.id
        following = body[index + 1] if index + 1 < len(body) else None
        if (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            found[name] = following.value.value
            continue
        trailing = comments.get(node.end_lineno or node.lineno) or comments.get(node.lineno)
        if trailing and not lines[(node.end_lineno or node.lineno) - 1].lstrip().startswith("#"):
            found[name] = trailing
            continue
        above: list[str] = []
        line_no = node.lineno - 1
        while line_no >= 1 and lines[line_no - 1].lstrip().startswith("#"):
            above.insert(0, comments.get(line_no, ""))
            line_no -= 1
        if above:
            found[name] = " ".join(above)
    return found


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                text = token.string.lstrip("#").strip()
                if not text.startswith(("noqa", "type:", "pragma")):
                    comments[token.start[0]] = text
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


# -- parsing values -------------------------------------------------------------------------------


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
        return f"{len(args)} comma-separated values ({', '.join(_describe(a) for a in args)})"
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


# -- finiteness -----------------------------------------------------------------------------------


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
