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
    .lock             held while a run writes here (seminal.experiments.run_dirs)

Only the main process writes these files when running under torchrun.

Everything that can be checked before training is checked before anything is written
(:func:`prepare_run`): the preset and config (no NaN/inf anywhere), the device, whether the
experiment can run here, and that the full preset finds the full dataset. ``--resume`` is refused
when the folder holds no checkpoint, or when the run's fingerprint (experiment, preset, seed,
config, code version; :mod:`seminal.experiments.fingerprint`) differs from the one the folder was
started with -- unless ``resume_anyway``, which continues and records the differences in run.json.
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
from seminal.experiments.config_fields import check_config
from seminal.experiments.fingerprint import fingerprint_of_record, run_fingerprint
from seminal.experiments.registry import ComparisonRow, Experiment, RunContext, RunResult
from seminal.experiments.run_dirs import run_folder_lock
from seminal.io import atomic_write_json, atomic_write_text

__all__ = ["RunRecord", "PreparedRun", "ResumeError", "prepare_run", "run_experiment", "render_run_markdown",
           "load_run_record", "prune_checkpoints"]


class ResumeError(ValueError):
    """``--resume`` cannot continue this folder (no checkpoint, or different settings)."""


@dataclass(frozen=True)
class PreparedRun:
    """A run's validated settings (see :func:`prepare_run`)."""

    config: Any
    device: Any  # torch.device
    amp: bool | str | None
    unavailable: str | None  # why the experiment cannot run here, or None
    notes: tuple[str, ...] = ()


def prepare_run(
    experiment: Experiment,
    *,
    preset: str = "full",
    device: str = "auto",
    data_dir: Path | None = None,
    dataset: str = "mnist",
    overrides: dict[str, Any] | None = None,
    amp: bool | str | None = None,
) -> PreparedRun:
    """Check everything about a run that can be checked before it writes anything.

    Raises ValueError (naming the option) for an unknown preset or field, a NaN/inf value, or a
    device this machine lacks. Where the experiment cannot run here -- its ``available`` check, or
    the full preset without the full dataset -- ``unavailable`` says why.
    """
    from seminal.training import resolve_device

    config = experiment.config(preset, overrides)
    check_config(config)
    if experiment.validate is not None:
        experiment.validate(config)
    try:
        torch_device = resolve_device(device)
    except RuntimeError as exc:  # e.g. CUDA asked for on a machine without it
        raise ValueError(f"--device {device}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--device {device}: {exc}") from None
    notes: list[str] = []
    if amp and torch_device.type != "cuda":
        notes.append(f"--amp {amp} was ignored: mixed precision applies on CUDA only and this run is on {torch_device.type}.")
        amp = False
    resolved_data_dir = Path(data_dir) if data_dir is not None else None
    reason = experiment.available(config, resolved_data_dir)
    if reason is None and preset == "full":
        reason = _full_data_missing(experiment, dataset, resolved_data_dir)
    return PreparedRun(config, torch_device, amp, reason, tuple(notes))


def _full_data_missing(experiment: Experiment, dataset: str, data_dir: Path | None) -> str | None:
    # The 5,000-digit offline fallback is no stand-in for the paper's setting: the full preset of an
    # MNIST experiment needs the real files (found, or downloaded and verified).
    if "MNIST" not in experiment.requires:
        return None
    from seminal.data import DataFileError, DataUnavailableError, DownloadError, load_mnist

    try:
        load_mnist(dataset, data_dir=data_dir, allow_fallback=False, progress=False)
    except (DataUnavailableError, DownloadError, DataFileError) as exc:
        return (
            f"the full preset needs the full {dataset} files ({exc}); "
            "use --quick (or another --preset) or --data-dir"
        )
    return None


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
    tensorboard: bool | None = None,
    resume_anyway: bool = False,
    resume_missing: str = "refuse",
) -> RunRecord:
    """Run ``experiment`` into ``out_dir`` and write its files.

    With ``raise_errors=False`` a failure is recorded (status "failed", traceback in run.json) and
    returned instead of raised, so ``seminal reproduce`` can go on with the other experiments.
    Interrupts (KeyboardInterrupt, the training layer's TrainingInterrupted) always propagate.

    When the run ends with status ok, its training checkpoints are deleted (see
    :func:`prune_checkpoints`) unless ``keep_checkpoints`` or the experiment's own
    ``keep_checkpoints`` patterns keep them; a failed or interrupted run keeps them for ``--resume``.

    ``resume``: continue from the checkpoints in ``out_dir``. Refused (:class:`ResumeError`) when
    the folder's run had other settings, unless ``resume_anyway`` (the differences go to run.json),
    and when it holds no checkpoint, unless ``resume_missing="fresh"`` (start over, with a note).
    Without ``resume``, a folder that already holds checkpoints is refused. While the run writes,
    ``out_dir`` is locked (:func:`~seminal.experiments.run_dirs.run_folder_lock`): a second run into
    the same folder raises :class:`~seminal.experiments.run_dirs.RunFolderBusy`.
    """
    from seminal.training import seed_everything
    from seminal.training.checkpoint import run_fingerprint_scope
    from seminal.training.distributed import init_distributed, is_main_process

    if resume_missing not in ("refuse", "fresh"):
        raise ValueError(f"resume_missing must be 'refuse' or 'fresh', got {resume_missing!r}")
    prepared = prepare_run(experiment, preset=preset, device=device, data_dir=data_dir, dataset=dataset,
                           overrides=overrides, amp=amp)
    config, torch_device, amp = prepared.config, prepared.device, prepared.amp
    init_distributed(torch_device)
    main = is_main_process()
    out_dir = Path(out_dir)
    record = RunRecord(experiment.id, experiment.paper, experiment.title, preset, seed, out_dir, status="running")
    fingerprint = run_fingerprint(experiment.id, preset, seed, dataset, amp, config)
    if resume and not _has_checkpoint(out_dir):
        finished = _finished_run(out_dir, _config_record(experiment, preset, seed, torch_device, dataset, data_dir, config))
        if finished is not None:  # its checkpoints were deleted on success: its results are the resume point
            return finished

    with run_folder_lock(out_dir, enabled=main):
        record.environment = collect_environment(torch_device)
        if prepared.unavailable is not None:
            record.status = "unavailable"
            record.error = prepared.unavailable
            if main:
                _write(record, config, torch_device, dataset, data_dir)
                atomic_write_json(out_dir / "environment.json", record.environment)
            return record
        notes = list(prepared.notes)
        # Under torchrun only the main process judges the folder: the others start while it may
        # already be writing there, and follow its decision (a refusal stops the whole job).
        if main:
            resume, differences = _check_resume(out_dir, fingerprint, resume=resume, resume_anyway=resume_anyway,
                                                resume_missing=resume_missing, notes=notes)
        else:
            resume, differences = resume and _has_checkpoint(out_dir), []
        record.resumed_with_differences = differences
        ctx = RunContext(
            out_dir=out_dir, device=torch_device, seed=seed, quick=preset != "full", resume=resume,
            data_dir=Path(data_dir) if data_dir is not None else None, dataset=dataset, progress=progress,
            amp=amp, tensorboard=tensorboard, preset=preset, config=config, paper_config=experiment.default_config(),
        )
        for note in notes:
            ctx.note(note)
        record.protocol = ctx.protocol()
        if main:
            out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_json(out_dir / "config.json",
                              {**_config_record(experiment, preset, seed, torch_device, dataset, data_dir, config),
                               "amp": amp if amp else None, "fingerprint": fingerprint})
            atomic_write_json(out_dir / "environment.json", record.environment)
        seed_everything(seed)
        start = time.perf_counter()
        try:
            with run_fingerprint_scope(fingerprint, allow_mismatch=resume_anyway):
                result: RunResult = experiment.run(config, ctx)
        except Exception as exc:  # noqa: BLE001 - recorded, then re-raised unless asked not to
            record.status = "failed"
            record.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            record.duration_s = time.perf_counter() - start
            record.notes = list(ctx.notes)
            record.protocol = ctx.protocol()
            if main:
                _write_quietly(out_dir / "run.json", {**record.summary(), "traceback": traceback.format_exc()})
            if raise_errors:
                raise
            return record
        except BaseException as exc:
            record.status = "interrupted"
            record.error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            record.duration_s = time.perf_counter() - start
            if main:
                _write_quietly(out_dir / "run.json", record.summary())
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


def _write_quietly(path: Path, obj: Any) -> None:
    # Recording a failure must not replace it: when the disk is full this write fails too, and the
    # user should see the original error, not a second traceback chained to it.
    try:
        atomic_write_json(path, obj)
    except OSError:
        pass


def _has_checkpoint(out_dir: Path) -> bool:
    return out_dir.is_dir() and any(out_dir.rglob("checkpoints/*.pt"))


def _finished(out_dir: Path) -> bool:
    # A finished run's checkpoints are pruned; its results must not be overwritten either.
    try:
        return json.loads((out_dir / "run.json").read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False


def _check_resume(out_dir: Path, fingerprint: dict[str, Any], *, resume: bool, resume_anyway: bool,
                  resume_missing: str, notes: list[str]) -> tuple[bool, list[str]]:
    """Decide whether this run resumes; returns (resume, settings that differ from the folder's run)."""
    if not resume:
        if _has_checkpoint(out_dir) or _finished(out_dir):
            held = "the checkpoints of a run" if _has_checkpoint(out_dir) else "a finished run"
            raise ResumeError(
                f"--out {str(out_dir)!r} already holds {held}; pass --resume to continue it (or show a finished "
                "run's results), or choose a new folder (the default --out always makes a new version_N folder)"
            )
        return False, []
    differences = _differences(out_dir, fingerprint)
    if differences and not resume_anyway:
        raise ResumeError(
            f"--resume: the run in {str(out_dir)!r} was started with other settings: {'; '.join(differences)}. "
            "Resume with the original settings, or pass --resume-anyway to continue with the new ones"
        )
    if not _has_checkpoint(out_dir):
        if resume_missing == "fresh":
            notes.append(f"--resume: {out_dir} held no checkpoint, so this run started from scratch.")
            return False, []
        raise ResumeError(
            f"--resume: {str(out_dir)!r} holds no checkpoint (checkpoints/*.pt), so there is nothing to resume; "
            "run without --resume to start a new run"
        )
    if differences:
        notes.append("--resume-anyway: continued a run started with other settings: " + "; ".join(differences))
    return True, differences


def _differences(out_dir: Path, fingerprint: dict[str, Any]) -> list[str]:
    from seminal.training.checkpoint import fingerprint_differences

    try:
        record = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []  # the checkpoints carry the fingerprint too; the training layer checks them on load
    except (OSError, ValueError) as exc:
        raise ResumeError(f"--resume: cannot read {out_dir / 'config.json'} ({exc})") from None
    saved = fingerprint_of_record(record) if isinstance(record, dict) else None
    if saved is None:
        return []
    current = {key: value for key, value in fingerprint.items() if key in saved}
    return fingerprint_differences(saved, current)


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
    record = load_run_record(out_dir)
    record.notes = [*record.notes, f"--resume: the run in {out_dir} had already finished; these are its stored results "
                    "(nothing was trained again)."]
    return record


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
