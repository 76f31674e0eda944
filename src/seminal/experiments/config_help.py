"""Every field of a config dataclass as the command line shows it: type, default and meaning.

The type comes from the annotations, the default is the paper's full setting, and the one-line
meaning is taken from, in order: ``field(metadata={"help": ...})``, an attribute docstring (a
string right below the field), a comment on the field's line or right above it, or an
``Attributes:`` entry in the class docstring. No torch import: ``seminal run X --help`` reads it.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import re
import textwrap
import tokenize
import typing
from typing import Any

__all__ = ["FieldInfo", "config_fields"]


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
