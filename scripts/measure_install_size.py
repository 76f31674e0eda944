"""Measure what one extra dependency costs an install, in an existing environment.

Usage::

    python scripts/measure_install_size.py mlxtend

Reads seminal's core dependencies from pyproject.toml, follows the ``Requires-Dist`` metadata of
the installed distributions, and prints the distributions that only ``EXTRA`` brings (nothing
else in the closure of seminal's core dependencies, or of its optional ones, needs them) with the
size of their installed files (from each distribution's RECORD). Nothing is installed or removed.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import re
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


DISTS = {_norm(d.metadata["Name"]): d for d in md.distributions()}


def _requires(name: str) -> set[str]:
    dist = DISTS.get(name)
    out = set()
    for text in (dist.requires or []) if dist else []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.add(_norm(req.name))
    return out


def closure(roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = [_norm(r) for r in roots]
    while stack:
        name = stack.pop()
        if name not in seen and name in DISTS:
            seen.add(name)
            stack += _requires(name)
    return seen


def installed_bytes(name: str) -> int:
    dist = DISTS[name]
    total = 0
    for file in dist.files or []:
        try:
            total += os.path.getsize(dist.locate_file(file))
        except OSError:
            pass
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extra", help="the dependency to price, e.g. mlxtend")
    args = parser.parse_args()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = [Requirement(r).name for r in project["dependencies"] if _norm(Requirement(r).name) != _norm(args.extra)]
    optional = [Requirement(r).name for reqs in project.get("optional-dependencies", {}).values() for r in reqs]
    without = closure(core)
    only_extra = sorted(closure(core + [args.extra]) - without - closure(core + optional))
    for name in only_extra:
        print(f"{name:24s} {installed_bytes(name) / 1e6:8.1f} MB")
    total = sum(installed_bytes(n) for n in only_extra)
    base = sum(installed_bytes(n) for n in without)
    print(f"only for {args.extra}: {total / 1e6:.1f} MB; core install without it: {base / 1e6:.1f} MB, "
          f"with it: {(base + total) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
