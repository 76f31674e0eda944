"""`seminal --help` and `seminal list` import neither torch nor any experiment (they start at once)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seminal.experiments import registry
from seminal.experiments.catalog import CATALOG

_PROBE = """
import sys
from seminal.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m == "torch" or m.startswith(("torch.", "seminal.adam", "seminal.stn", "seminal.gan")))
print("HEAVY", heavy)
"""


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["run", "--help"], ["reproduce", "--help"]])
def test_help_and_list_do_not_import_torch(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True, text=True, check=True)
    assert "HEAVY []" in result.stdout, result.stdout[-2000:]


def test_catalog_matches_the_registry() -> None:
    registered = [(e.id, e.paper, e.title, e.in_quick_reproduce) for e in registry.all_experiments()]
    assert sorted(tuple(entry) for entry in CATALOG) == sorted(registered), (
        "seminal/experiments/catalog.py is out of date with the registry: update its rows"
    )


def test_registry_module_does_not_import_torch() -> None:
    code = "import sys, seminal.experiments.registry; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
