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

The parts, one job each: :mod:`~seminal.experiments.preparation` (the checks before writing),
:mod:`~seminal.experiments.resume` (may this folder be continued),
:mod:`~seminal.experiments.run_record` (run.json, report.md, reading a folder back) and
:mod:`~seminal.experiments.pruning` (deleting a finished run's checkpoints); this module runs the
experiment and writes its files.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path
from typing import Any

from seminal.environment import collect_environment
from seminal.experiments.fingerprint import run_fingerprint
from seminal.experiments.preparation import PreparedRun, prepare_run
from seminal.experiments.protocol import apply_protocol
from seminal.experiments.pruning import prune_checkpoints
from seminal.experiments.registry import Experiment, RunContext, RunResult
from seminal.experiments.resume import ResumeError, check_resume, finished_run, has_checkpoint
from seminal.experiments.run_dirs import run_folder_lock
from seminal.experiments.run_record import RunRecord, load_run_record, render_run_markdown
from seminal.io import atomic_write_json, atomic_write_text

__all__ = ["RunRecord", "PreparedRun", "ResumeError", "prepare_run", "run_experiment", "render_run_markdown",
           "load_run_record", "prune_checkpoints"]


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
    if resume and not has_checkpoint(out_dir):
        finished = finished_run(out_dir, _config_record(experiment, preset, seed, torch_device, dataset, data_dir, config))
        if finished is not None:  # its checkpoints were deleted on success: its results are the resume point
            return finished

    with run_folder_lock(out_dir, enabled=main):
        record.environment = collect_environment(torch_device)
        training_threads = getattr(config, "cpu_threads", 0)
        if torch_device.type == "cpu" and training_threads and training_threads != record.environment["torch_threads"]:
            # Such a config sets torch's thread count around its training only (e.g. gan-table1's
            # quick preset trains on one thread and evaluates on all): record both.
            record.environment["training_torch_threads"] = training_threads
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
            resume, differences = check_resume(out_dir, fingerprint, resume=resume, resume_anyway=resume_anyway,
                                               resume_missing=resume_missing, notes=notes)
        else:
            resume, differences = resume and has_checkpoint(out_dir), []
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
