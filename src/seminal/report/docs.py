"""Docs numbers are generated from committed result files, never typed.

Two commands::

    python -m seminal.report.docs publish RUN_FOLDER [--preset NAME] [--results docs/results]
    python -m seminal.report.docs render [--check] [--docs docs/papers] [--results docs/results]

``publish`` copies a finished run's ``config.json``, ``metrics.json``, ``comparison.json``,
``run.json`` and ``environment.json``, plus its figures of at most 1 MB (never checkpoints), into
``docs/results/<experiment-id>/<preset>/``, replacing what was published there before.

``render`` regenerates, in every Markdown file of ``docs/papers``, each block between
``<!-- results: <experiment-id>/<preset> -->`` and ``<!-- /results -->`` from those files: one
line stating the preset, seed, protocol (full or reduced, and how), data and hardware, then a
table ``quantity | paper | ours | verdict | source`` (and Table 1 in the paper's layout when the
metrics hold a ``table1`` mapping). With ``--check`` it changes nothing and exits 1 when a block
differs from what the files give (the test suite runs the same check).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seminal.environment import describe_hardware
from seminal.experiments.protocol import Protocol
from seminal.experiments.registry import ComparisonRow
from seminal.io import atomic_write_text

__all__ = [
    "RESULT_FILES",
    "MAX_FIGURE_BYTES",
    "BLOCK",
    "publish",
    "render_block",
    "render_file",
    "stale_blocks",
    "render_all",
    "main",
]

#: The files of a run folder that are published (never checkpoints or logs).
RESULT_FILES: tuple[str, ...] = ("config.json", "metrics.json", "comparison.json", "run.json", "environment.json")
#: Figures larger than this are not published (the repository stays small).
MAX_FIGURE_BYTES = 1_000_000
#: A results block in a Markdown file; group 1 = "<experiment-id>/<preset>".
#: A block's body may not contain another opening marker: an unclosed marker must not swallow the
#: blocks after it (it is reported instead, see :func:`_unclosed`).
BLOCK = re.compile(r"(<!-- results: ([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+) -->\n)((?:(?!<!-- results: ).)*?)(<!-- /results -->)", re.DOTALL)
OPENING = re.compile(r"<!-- results: ([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+) -->")


def _unclosed(text: str) -> list[str]:
    """Keys of opening markers that no block matched (no ``<!-- /results -->`` before the next one)."""
    matched = {m.start() for m in BLOCK.finditer(text)}
    return [m.group(1) for m in OPENING.finditer(text) if m.start() not in matched]
_NOT_RUN = "not run"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc


@dataclass(frozen=True)
class Published:
    """What :func:`publish` did: the destination, the files copied and the figures left out."""

    destination: Path
    files: tuple[Path, ...]
    skipped_figures: tuple[str, ...]


def publish(run_folder: str | Path, results_root: str | Path = "docs/results", *, preset: str | None = None) -> Published:
    """Copy a finished run's result files (and figures <= 1 MB) to ``<results_root>/<id>/<preset>/``.

    Refuses a run whose ``run.json`` status is not "ok". ``preset`` overrides the run's preset
    name (e.g. a run made with ``--set`` overrides that you publish under its own name).
    """
    run_folder = Path(run_folder)
    run = _read_json(run_folder / "run.json")
    if not isinstance(run, dict) or "experiment" not in run:
        raise ValueError(f"{run_folder / 'run.json'}: expected a seminal run record with an 'experiment' id")
    if run.get("status") != "ok":
        raise ValueError(f"{run_folder}: status is {run.get('status')!r}; only a finished run (status 'ok') is published")
    name = preset or run.get("preset")
    if not name or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"preset must be a simple name (letters, digits, '_', '.', '-'), got {name!r}")
    missing = [f for f in RESULT_FILES if not (run_folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{run_folder}: missing result file(s) {missing}")
    destination = Path(results_root) / run["experiment"] / name
    if destination.exists():
        shutil.rmtree(destination)  # what was published before: stale figures must not linger
    destination.mkdir(parents=True)
    copied = []
    for filename in RESULT_FILES:
        copied.append(Path(shutil.copyfile(run_folder / filename, destination / filename)))
    skipped = []
    for rel in run.get("figures", []):
        source = run_folder / rel
        if not source.is_file():
            skipped.append(f"{rel} (missing)")
        elif source.stat().st_size > MAX_FIGURE_BYTES:
            skipped.append(f"{rel} ({source.stat().st_size:,} bytes > {MAX_FIGURE_BYTES:,})")
        else:
            target = destination / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            copied.append(Path(shutil.copyfile(source, target)))
    return Published(destination, tuple(copied), tuple(skipped))


# --------------------------------------------------------------------------- rendering


def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _verdict(row: ComparisonRow) -> str:
    if row.verdict:
        return row.label
    return "not judged" if row.comment.startswith("not judged") else "—"


def _table1_markdown(table1: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    distortions = list(table1)
    models: list[str] = []
    for per_model in table1.values():
        models += [m for m in per_model if m not in models]
    lines = ["Test error % in the paper's Table 1 layout, ours (paper):", "",
             "| model | " + " | ".join(_cell(d) for d in distortions) + " |",
             "|---|" + "---|" * len(distortions)]
    for model in models:
        cells = []
        for d in distortions:
            cell = table1[d].get(model) or {}
            ours, paper = cell.get("ours"), cell.get("paper")
            text = _NOT_RUN if ours is None else _cell(round(ours, 2) if isinstance(ours, float) else ours)
            cells.append(text + (f" ({_cell(paper)})" if paper is not None else ""))
        lines.append(f"| {_cell(model)} | " + " | ".join(cells) + " |")
    return lines + [""]


def render_block(folder: str | Path, source_label: str | None = None) -> str:
    """The Markdown of one results block (without its markers) from a published folder."""
    folder = Path(folder)
    run = _read_json(folder / "run.json")
    config = _read_json(folder / "config.json")
    environment = _read_json(folder / "environment.json")
    metrics = _read_json(folder / "metrics.json")
    names = {"quantity", "paper", "ours", "agrees", "source", "comment", "inconclusive", "reduced"}
    rows = [ComparisonRow(**{k: v for k, v in row.items() if k in names}) for row in _read_json(folder / "comparison.json")]
    protocol_obj = run.get("protocol")
    protocol = Protocol.from_json(protocol_obj) if isinstance(protocol_obj, dict) else None
    label = source_label or folder.as_posix()

    preset = run.get("preset", config.get("preset", "?"))
    when = str(environment.get("time_utc", ""))[:10]
    lines = [f"<!-- generated by `python -m seminal.report.docs render` from {label}/; do not edit by hand -->", ""]
    lines.append(
        f"**{_cell(run['experiment'])}**, preset `{_cell(preset)}`, seed {run.get('seed', config.get('seed', '?'))}, "
        f"{_cell(run.get('duration_s', '?'))} s on {_cell(describe_hardware(environment))}"
        + (f", {when}" if when else "")
        + (f", seminal {_cell(environment.get('seminal'))} (git {_cell(environment.get('git_commit'))})" if environment.get("seminal") else "")
        + "."
    )
    lines.append("")
    if protocol is None:
        lines.append("Protocol: not recorded (published before protocols were recorded).")
    else:
        lines.append(f"Protocol: {_cell(protocol.summary())}.")
    lines.append("")
    table1 = metrics.get("table1") if isinstance(metrics, dict) else None
    if isinstance(table1, dict) and table1:
        lines += _table1_markdown(table1)
    claims = metrics.get("notes_claims") if isinstance(metrics, dict) else None
    if isinstance(claims, list) and claims:
        # The notes' claims read as claims: verdict words of their own, and what is right instead.
        lines += ["| the notes say | the paper says | we measured | verdict | what holds |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(c.get('claim', ''))} | {_cell(c.get('paper', ''))} | {_cell(c.get('measured', ''))} | "
                  f"**{_cell(c.get('verdict', ''))}** | {_cell(c.get('detail', ''))} |" for c in claims]
        lines.append("")
        rows = []
    shown = [r for r in rows if r.ours != _NOT_RUN]
    if shown:
        lines += ["| quantity | paper | ours | verdict | source |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(r.quantity)} | {_cell(r.paper)} | {_cell(r.ours)} | {_cell(_verdict(r))} | {_cell(r.source)} |" for r in shown]
        lines.append("")
    not_run = [r.quantity.removesuffix(" test error %") for r in rows if r.ours == _NOT_RUN]
    if not_run:
        lines += [f"Not run in this preset ({len(not_run)} paper values): {_cell(', '.join(not_run))}.", ""]
    return "\n".join(lines)


def _replace_blocks(text: str, results_root: Path, label_root: str) -> tuple[str, list[str], list[str]]:
    """(new text, keys of blocks that changed, keys whose results folder is missing)."""
    changed: list[str] = []
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        key = match.group(2)
        folder = results_root / key
        if not (folder / "run.json").is_file():
            # Generated from the absence of a file: the page says so instead of quoting anything.
            missing.append(key)
            new = (f"<!-- generated by `python -m seminal.report.docs render`: {label_root}/{key}/ does not exist -->\n\n"
                   f"*No results file is committed for `{key}` yet: this preset has not been run to completion "
                   "and published, so no numbers are quoted here.*\n")
        else:
            new = render_block(folder, f"{label_root}/{key}") + "\n"
        if new != match.group(3):
            changed.append(key)
        return match.group(1) + new + match.group(4)

    return BLOCK.sub(replace, text), changed, missing


def render_file(path: str | Path, results_root: str | Path, *, write: bool = True, label_root: str = "docs/results") -> tuple[list[str], list[str]]:
    """Regenerate the blocks of one Markdown file; returns (changed keys, missing keys)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    unclosed = _unclosed(text)
    if unclosed:
        raise ValueError(f"{path}: results marker(s) without a closing <!-- /results -->: {', '.join(unclosed)}")
    new, changed, missing = _replace_blocks(text, Path(results_root), label_root)
    if write and new != text:
        atomic_write_text(path, new)
    return changed, missing


def render_all(docs_dir: str | Path, results_root: str | Path, *, write: bool = True) -> dict[Path, tuple[list[str], list[str]]]:
    """:func:`render_file` on every ``*.md`` under ``docs_dir``; {file: (changed, missing)} for files with either."""
    out = {}
    for path in sorted(Path(docs_dir).rglob("*.md")):
        changed, missing = render_file(path, results_root, write=write)
        if changed or missing:
            out[path] = (changed, missing)
    return out


def stale_blocks(docs_dir: str | Path, results_root: str | Path) -> list[str]:
    """``"<file>: <id>/<preset> differs ..."`` for every block that differs from what its files (or
    their absence) generate."""
    return [f"{path}: {key} differs from its result files"
            for path, (changed, _) in render_all(docs_dir, results_root, write=False).items() for key in changed]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seminal.report.docs", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="copy a finished run's result files into docs/results/<id>/<preset>/")
    pub.add_argument("run_folder", type=Path)
    pub.add_argument("--preset", default=None, help="publish under this preset name (default: the run's)")
    pub.add_argument("--results", type=Path, default=Path("docs/results"))
    ren = sub.add_parser("render", help="regenerate the results blocks of docs/papers/*.md from docs/results")
    ren.add_argument("--check", action="store_true", help="change nothing; exit 1 when a block is stale")
    ren.add_argument("--docs", type=Path, default=Path("docs/papers"))
    ren.add_argument("--results", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)
    try:
        if args.command == "publish":
            done = publish(args.run_folder, args.results, preset=args.preset)
            print(f"published {len(done.files)} file(s) to {done.destination}")
            for skipped in done.skipped_figures:
                print(f"  figure not published: {skipped}", file=sys.stderr)
            return 0
        if args.check:
            problems = stale_blocks(args.docs, args.results)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print("run `python -m seminal.report.docs render` to regenerate them", file=sys.stderr)
            return 1 if problems else 0
        result = render_all(args.docs, args.results, write=True)
        for path, (changed, missing) in result.items():
            for key in changed:
                print(f"{path}: regenerated {key}")
            for key in missing:
                print(f"{path}: {key} has no published results folder: the block says so (publish the run to fill it)",
                      file=sys.stderr)
        return 0
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
