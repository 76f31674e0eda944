"""The outcome of one run as files: :class:`RunRecord` (``run.json``), its Markdown report, and
reading a run folder back (:func:`load_run_record`) to render reports of runs made earlier.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seminal.experiments.protocol import Protocol
from seminal.experiments.registry import ComparisonRow

__all__ = ["RunRecord", "render_run_markdown", "load_run_record"]


@dataclass
class RunRecord:
    """The outcome of one run, as written to ``run.json`` (plus the in-memory result)."""

    experiment: str
    paper: str
    title: str
    preset: str
    seed: int
    out_dir: Path
    status: str
    duration_s: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    comparison: list[ComparisonRow] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    protocol: Protocol | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    resumed_with_differences: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        extra = {"resume_anyway": self.resumed_with_differences} if self.resumed_with_differences else {}
        return {
            "experiment": self.experiment,
            "paper": self.paper,
            "title": self.title,
            "preset": self.preset,
            "seed": self.seed,
            "status": self.status,
            "duration_s": round(self.duration_s, 2),
            "error": self.error,
            "notes": self.notes,
            "protocol": self.protocol.to_json() if self.protocol is not None else None,
            "figures": [str(p.relative_to(self.out_dir)) if p.is_relative_to(self.out_dir) else str(p) for p in self.figures],
            **extra,
        }


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _agree_mark(row: ComparisonRow) -> str:
    return row.label.replace("disagrees", "DISAGREES") or "-"


def render_run_markdown(record: RunRecord) -> str:
    """A Markdown report of one run: status, protocol, notes, the ours-vs-paper table and the figures."""
    lines = [f"# {record.experiment}: {record.title}", ""]
    lines.append(f"- preset: `{record.preset}`, seed {record.seed}, status **{record.status}**, {record.duration_s:.1f} s")
    if record.protocol is not None:
        lines.append(f"- protocol: {record.protocol.summary()}")
    if record.error:
        lines.append(f"- error: `{record.error}`")
    for note in record.notes:
        lines.append(f"- note: {note}")
    if record.comparison:
        lines += ["", "| quantity | paper | ours | verdict | source | comment |", "|---|---|---|---|---|---|"]
        for row in record.comparison:
            lines.append(
                f"| {row.quantity} | {_fmt(row.paper)} | {_fmt(row.ours)} | {_agree_mark(row)} | {row.source} | {row.comment} |"
            )
    if record.figures:
        lines.append("")
        for fig in record.figures:
            rel = fig.relative_to(record.out_dir) if fig.is_relative_to(record.out_dir) else fig
            lines.append(f"![{fig.stem}]({rel})")
    return "\n".join(lines) + "\n"


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from exc


def load_run_record(folder: str | Path) -> RunRecord:
    """Read a run folder (run.json, metrics.json, comparison.json, environment.json, figures/)
    back into a :class:`RunRecord`, e.g. to render a report of runs made earlier."""
    folder = Path(folder)
    run = _read_json(folder / "run.json", None)
    if not isinstance(run, dict) or "experiment" not in run:
        raise ValueError(f"{folder}: no run.json with an experiment id; expected a run folder written by seminal")
    names = {f.name for f in dataclasses.fields(ComparisonRow)}
    rows = [ComparisonRow(**{k: v for k, v in row.items() if k in names})
            for row in _read_json(folder / "comparison.json", [])]
    protocol = run.get("protocol")
    return RunRecord(
        experiment=run["experiment"], paper=run.get("paper", ""), title=run.get("title", ""),
        preset=run.get("preset", ""), seed=int(run.get("seed", 0)), out_dir=folder,
        status=run.get("status", "unknown"), duration_s=float(run.get("duration_s") or 0.0), error=run.get("error"),
        notes=list(run.get("notes", [])), metrics=_read_json(folder / "metrics.json", {}), comparison=rows,
        figures=[folder / f for f in run.get("figures", [])],
        protocol=Protocol.from_json(protocol) if isinstance(protocol, dict) else None,
        environment=_read_json(folder / "environment.json", {}),
    )
