"""Runs a registered experiment and writes everything it produced as files.

A run directory holds::

    config.json       the experiment id, preset, seed, device, data settings and every config field
    environment.json  software and hardware (seminal.environment.collect_environment)
    metrics.json      what run() measured
    comparison.json   ours-vs-paper rows
    run.json          status (ok / failed / interrupted / unavailable), duration, error, notes
    report.md         a readable summary with the comparison table and figures
    figures/*.png     figures
    checkpoints/      training state (seminal.training), for --resume

Only the main process writes these files when running under torchrun.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seminal.environment import collect_environment
from seminal.experiments.registry import ComparisonRow, Experiment, RunContext, RunResult
from seminal.io import atomic_write_json, atomic_write_text

__all__ = ["RunRecord", "run_experiment", "render_run_markdown"]


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
) -> RunRecord:
    """Run ``experiment`` into ``out_dir`` and write its files.

    With ``raise_errors=False`` a failure is recorded (status "failed", traceback in run.json) and
    returned instead of raised, so ``seminal reproduce`` can go on with the other experiments.
    Interrupts (KeyboardInterrupt, the training layer's TrainingInterrupted) always propagate.
    """
    from seminal.training import resolve_device, seed_everything
    from seminal.training.distributed import init_distributed, is_main_process

    config = experiment.config(preset, overrides)
    torch_device = resolve_device(device)
    init_distributed(torch_device)
    main = is_main_process()
    out_dir = Path(out_dir)
    record = RunRecord(experiment.id, experiment.paper, experiment.title, preset, seed, out_dir, status="running")

    reason = experiment.available(config, Path(data_dir) if data_dir is not None else None)
    if reason is not None:
        record.status = "unavailable"
        record.error = reason
        if main:
            _write(record, config, torch_device, dataset, data_dir)
        return record

    ctx = RunContext(
        out_dir=out_dir, device=torch_device, seed=seed, quick=preset != "full", preset=preset, resume=resume,
        data_dir=Path(data_dir) if data_dir is not None else None, dataset=dataset, progress=progress,
        amp=amp,
    )
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out_dir / "config.json", _config_record(experiment, preset, seed, torch_device, dataset, data_dir, config))
        atomic_write_json(out_dir / "environment.json", collect_environment(torch_device))
    seed_everything(seed)
    start = time.perf_counter()
    try:
        result: RunResult = experiment.run(config, ctx)
    except Exception as exc:  # noqa: BLE001 - recorded, then re-raised unless asked not to
        record.status = "failed"
        record.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        record.duration_s = time.perf_counter() - start
        record.notes = list(ctx.notes)
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
    record.metrics = result.metrics
    record.comparison = list(result.comparison)
    record.figures = list(result.figures)
    record.notes = list(dict.fromkeys([*ctx.notes, *result.notes]))
    if main:
        _write(record, config, torch_device, dataset, data_dir)
    return record


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
    return {"agrees": "yes", "disagrees": "NO", "inconclusive": "inconclusive", "": "-"}[row.verdict]


def render_run_markdown(record: RunRecord) -> str:
    """A Markdown report of one run: status, notes, the ours-vs-paper table and the figures."""
    lines = [f"# {record.experiment}: {record.title}", ""]
    lines.append(f"- preset: `{record.preset}`, seed {record.seed}, status **{record.status}**, {record.duration_s:.1f} s")
    if record.error:
        lines.append(f"- error: `{record.error}`")
    for note in record.notes:
        lines.append(f"- note: {note}")
    if record.comparison:
        lines += ["", "| quantity | paper | ours | agrees | source | comment |", "|---|---|---|---|---|---|"]
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
