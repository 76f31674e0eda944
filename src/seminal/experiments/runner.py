"""Runs a registered experiment and writes everything it produced as files.

A run directory holds::

    config.json       the experiment id, preset, seed, device, data settings and every config field
    environment.json  software and hardware (seminal.environment.collect_environment)
    metrics.json      what run() measured
    comparison.json   ours-vs-paper rows
    run.json          status (ok / failed / interrupted / unavailable), duration, error, notes,
                      and the protocol: full or reduced, and why (seminal.experiments.protocol)
    report.md         a readable summary with the comparison table and figures
    figures/*.png     figures
    checkpoints/      training state (seminal.training), for --resume; deleted when the run ends
                      with status ok, except the files the experiment declares in keep_checkpoints

Only the main process writes these files when running under torchrun.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seminal.environment import collect_environment
from seminal.experiments.protocol import Protocol, apply_protocol
from seminal.experiments.registry import ComparisonRow, Experiment, RunContext, RunResult
from seminal.io import atomic_write_json, atomic_write_text

__all__ = ["RunRecord", "run_experiment", "render_run_markdown", "load_run_record", "prune_checkpoints"]


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

    def summary(self) -> dict[str, Any]:
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
        }


def run_experiment(
    experiment: Experiment,
    *,
    out_dir: Path,
    preset: str = "full",
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    data_dir: Path | None = None,
    dataset: str = "mnist",
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
    amp: bool | str | None = None,
    raise_errors: bool = True,
    keep_checkpoints: bool = False,
) -> RunRecord:
    """Run ``experiment`` into ``out_dir`` and write its files.

    With ``raise_errors=False`` a failure is recorded (status "failed", traceback in run.json) and
    returned instead of raised, so ``seminal reproduce`` can go on with the other experiments.
    Interrupts (KeyboardInterrupt, the training layer's TrainingInterrupted) always propagate.

    When the run ends with status ok, its training checkpoints are deleted (see
    :func:`prune_checkpoints`) unless ``keep_checkpoints`` or the experiment's own
    ``keep_checkpoints`` patterns keep them; a failed or interrupted run keeps them for ``--resume``.
    """
    from seminal.training import resolve_device, seed_everything
    from seminal.training.distributed import init_distributed, is_main_process

    config = experiment.config(preset, overrides)
    torch_device = resolve_device(device)
    init_distributed(torch_device)
    main = is_main_process()
    out_dir = Path(out_dir)
    record = RunRecord(experiment.id, experiment.paper, experiment.title, preset, seed, out_dir, status="running")
    if resume:
        finished = _finished_run(out_dir, _config_record(experiment, preset, seed, torch_device, dataset, data_dir, config))
        if finished is not None:  # its checkpoints were deleted on success: its results are the resume point
            return finished

    ctx = RunContext(
        out_dir=out_dir, device=torch_device, seed=seed, quick=preset != "full", resume=resume,
        data_dir=Path(data_dir) if data_dir is not None else None, dataset=dataset, progress=progress,
        amp=amp, preset=preset, config=config, paper_config=experiment.default_config(),
    )
    record.protocol = ctx.protocol()
    record.environment = collect_environment(torch_device)
    reason = experiment.available(config, Path(data_dir) if data_dir is not None else None)
    if reason is not None:
        record.status = "unavailable"
        record.error = reason
        if main:
            _write(record, config, torch_device, dataset, data_dir)
            atomic_write_json(out_dir / "environment.json", record.environment)
        return record

    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out_dir / "config.json", _config_record(experiment, preset, seed, torch_device, dataset, data_dir, config))
        atomic_write_json(out_dir / "environment.json", record.environment)
    seed_everything(seed)
    start = time.perf_counter()
    try:
        result: RunResult = experiment.run(config, ctx)
    except Exception as exc:  # noqa: BLE001 - recorded, then re-raised unless asked not to
        record.status = "failed"
        record.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        record.duration_s = time.perf_counter() - start
        record.notes = list(ctx.notes)
        record.protocol = ctx.protocol()
        if main:
            atomic_write_json(out_dir / "run.json", {**record.summary(), "traceback": traceback.format_exc()})
        if raise_errors:
            raise
        return record
    except BaseException as exc:
        record.status = "interrupted"
        record.error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        record.duration_s = time.perf_counter() - start
        if main:
            atomic_write_json(out_dir / "run.json", record.summary())
        raise
    record.status = "ok"
    record.duration_s = time.perf_counter() - start
    record.protocol = ctx.protocol()
    record.metrics = result.metrics
    record.comparison = apply_protocol(result.comparison, record.protocol)
    record.figures = list(result.figures)
    record.notes = list(dict.fromkeys([*ctx.notes, *result.notes]))
    if main:
        _write(record, config, torch_device, dataset, data_dir)
        if not keep_checkpoints:
            prune_checkpoints(out_dir, experiment.keep_checkpoints)
    return record


def _finished_run(out_dir: Path, wanted: dict[str, Any]) -> RunRecord | None:
    """The record of a run already finished (status ok) in ``out_dir`` with the same experiment,
    preset, seed, dataset and config, else None."""
    try:
        run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        written = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    keys = ("experiment", "preset", "seed", "dataset", "config")
    same = json.loads(json.dumps({k: wanted.get(k) for k in keys}, default=str)) == {k: written.get(k) for k in keys}
    if not isinstance(run, dict) or run.get("status") != "ok" or not same:
        return None
    return load_run_record(out_dir)


def prune_checkpoints(out_dir: Path, keep: tuple[str, ...] = ()) -> list[Path]:
    """Delete a finished run's training checkpoints (``checkpoints/*.pt``, ``*.prev.pt`` and
    leftover temporaries), except the names matching a ``keep`` glob; returns what was deleted.

    Checkpoints exist so that an interrupted run resumes; once the run has ended with status
    ok they are dead weight (a quick reproduce wrote 218 MB of them). Metrics logs and every file
    outside ``checkpoints/`` (final weights the experiment writes, figures) stay.
    """
    folder = Path(out_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    deleted = []
    for path in sorted(folder.rglob("*")):
        name = path.name
        is_state = name.endswith(".pt") or (name.startswith(".") and name.endswith(".tmp") and ".pt." in name)
        if not path.is_file() or not is_state:
            continue
        if any(fnmatch.fnmatch(path.relative_to(folder).as_posix(), pattern) for pattern in keep):
            continue
        path.unlink()
        deleted.append(path)
    if not any(folder.iterdir()):
        folder.rmdir()
    return deleted


def _config_record(experiment: Experiment, preset: str, seed: int, device: Any, dataset: str, data_dir: Path | None, config: Any) -> dict[str, Any]:
    return {
        "experiment": experiment.id,
        "preset": preset,
        "seed": seed,
        "device": str(device),
        "dataset": dataset,
        "data_dir": str(data_dir) if data_dir is not None else None,
        "config_class": type(config).__name__,
        "config": dataclasses.asdict(config),
    }


def _write(record: RunRecord, config: Any, device: Any, dataset: str, data_dir: Path | None) -> None:
    out = record.out_dir
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "metrics.json", record.metrics)
    atomic_write_json(out / "comparison.json", [dataclasses.asdict(row) for row in record.comparison])
    atomic_write_json(out / "run.json", record.summary())
    atomic_write_text(out / "report.md", render_run_markdown(record))


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
