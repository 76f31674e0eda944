"""What each ``seminal`` command does, once its arguments have been parsed."""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from seminal.cli.errors import CliError
from seminal.experiments.catalog import CATALOG, catalog_ids

__all__ = ["cmd_list", "cmd_run", "cmd_reproduce", "cmd_data", "cmd_sample", "load_experiment"]


def load_experiment(experiment_id: str) -> Any:
    """The registered experiment, or a CliError naming the close matches."""
    from seminal.experiments.registry import get_experiment

    try:
        return get_experiment(experiment_id)
    except KeyError:
        from seminal.experiments.registry import all_experiments

        known = sorted({*catalog_ids(), *(e.id for e in all_experiments())})
        close = difflib.get_close_matches(experiment_id, known, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; expected one of {', '.join(known)}"
        raise CliError(f"argument experiment: unknown experiment {experiment_id!r}{hint} (see `seminal list`)") from None


def cmd_list(args: argparse.Namespace) -> int:
    rows = [(e.id, e.paper, "yes" if e.in_quick_reproduce else "no", e.title) for e in CATALOG]
    if args.check:
        from seminal.experiments.registry import all_experiments

        reasons = {e.id: e.available(e.config("full"), None) for e in all_experiments()}
        rows = [(i, p, q, t + (f"  [unavailable here: {reasons[i]}]" if reasons.get(i) else "")) for i, p, q, t in rows]
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'experiment':<{width}}  paper  quick  title")
    for exp_id, paper, quick, title in rows:
        print(f"{exp_id:<{width}}  {paper:<5}  {quick:<5}  {title}")
    print("\n`seminal run EXPERIMENT --help` lists an experiment's presets and config fields.")
    return 0


def _check_tensorboard(args: argparse.Namespace) -> None:
    if args.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise CliError("argument --tensorboard: the tensorboard package is not installed; pip install 'seminal[tensorboard]'")


def _check_out_folder(out: Path, option: str = "--out") -> None:
    """The run folder must be (or become) a writable folder; checked before anything is created."""
    if out.exists() and not out.is_dir():
        raise CliError(f"argument {option}: {str(out)!r} is a file; expected a folder")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise CliError(f"argument {option}: {str(probe)!r} is a file, so {str(out)!r} cannot be created")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise CliError(f"argument {option}: cannot write into {str(probe)!r} (read-only or permission denied)")


def _torchrun_name() -> str | None:
    from seminal.training.distributed import launched_by_torchrun

    if not launched_by_torchrun():
        return None
    run_id = os.environ.get("TORCHELASTIC_RUN_ID", "")
    if not run_id or run_id == "none":
        raise CliError("argument --out: under torchrun every process must write into the same folder; pass --out "
                       "(or launch with torchrun --standalone, whose run id names the folder)")
    return f"torchrun-{run_id}"


def resolve_run_folder(args: argparse.Namespace, parent: Path) -> Path:
    """The folder this run writes into; ``parent`` holds the default ``version_N`` folders."""
    from seminal.experiments.run_dirs import latest_version_dir, new_version_dir

    if args.resume_anyway and args.resume is None:
        args.resume = ""  # --resume-anyway implies --resume
    resume = args.resume
    if resume is not None and resume not in ("", "last"):
        folder = Path(resume)
        if args.out is not None and args.out.resolve() != folder.resolve():
            raise CliError(f"argument --resume: {resume!r} differs from --out {str(args.out)!r}; give one of them")
        if not folder.is_dir():
            raise CliError(f"argument --resume: {resume!r} is not a run folder (it does not exist)")
        return folder
    if resume == "last" or (resume == "" and args.out is None):
        if args.out is not None:
            raise CliError("argument --resume: 'last' picks the newest run folder itself; drop --out or pass --resume FOLDER")
        latest = latest_version_dir(parent)
        if latest is None:
            raise CliError(f"argument --resume: no earlier run in {parent}/version_*; pass --resume FOLDER")
        return latest
    if resume == "":
        if not args.out.is_dir():
            raise CliError(f"argument --resume: --out {str(args.out)!r} does not exist; nothing to resume")
        return args.out
    if args.out is not None:
        _check_out_folder(args.out)
        return args.out
    _check_out_folder(parent)
    named = _torchrun_name()
    if named is not None:
        return parent / named
    return new_version_dir(parent)


def cmd_run(args: argparse.Namespace, experiment: Any) -> int:
    from seminal.cli.config_options import collect_overrides
    from seminal.experiments.runner import prepare_run, run_experiment

    overrides = collect_overrides(args, experiment)
    _check_tensorboard(args)
    prepared = prepare_run(experiment, preset=args.preset, device=args.device, data_dir=args.data_dir,
                           dataset=args.dataset, overrides=overrides, amp=args.amp)
    if prepared.unavailable is not None:
        raise CliError(f"{experiment.id} ({args.preset}) cannot run here: {prepared.unavailable}")
    for note in prepared.notes:
        print(f"seminal: note: {note}", file=sys.stderr)
    out = resolve_run_folder(args, Path("runs") / experiment.id / args.preset)
    args.out = out
    print(f"seminal: running {experiment.id} ({args.preset}) into {out}", file=sys.stderr)
    record = run_experiment(
        experiment, out_dir=out, preset=args.preset, seed=args.seed, device=args.device,
        resume=args.resume is not None or args.resume_anyway, resume_anyway=args.resume_anyway,
        data_dir=args.data_dir, dataset=args.dataset, overrides=overrides, progress=not args.no_progress,
        amp=args.amp, tensorboard=True if args.tensorboard else None, keep_checkpoints=args.keep_checkpoints,
    )
    if record.status == "unavailable":
        raise CliError(f"{experiment.id} cannot run here: {record.error}")
    _print_comparison(record)
    print(f"seminal: wrote {out / 'report.md'}", file=sys.stderr)
    return 0


def _print_comparison(record: Any) -> None:
    for note in record.notes:
        print(f"note: {note}")
    if record.protocol is not None:
        print(f"protocol: {record.protocol.summary()}")
    for row in record.comparison:
        mark = row.label.replace("disagrees", "DISAGREES").replace("inconclusive", "INCONCLUSIVE")
        paper = f"{row.paper:.4g}" if isinstance(row.paper, float) else row.paper
        ours = f"{row.ours:.4g}" if isinstance(row.ours, float) else row.ours
        print(f"  {row.quantity}: paper {paper} | ours {ours} {mark}")


def cmd_reproduce(args: argparse.Namespace) -> int:
    from seminal.environment import collect_environment
    from seminal.experiments.registry import all_experiments, experiments_for
    from seminal.experiments.run_dirs import run_folder_lock
    from seminal.experiments.runner import run_experiment
    from seminal.experiments.workers import group_by_paper, resolve_jobs, run_in_workers, worker_threads
    from seminal.io import atomic_write_json
    from seminal.report import write_html_report
    from seminal.training.distributed import is_distributed, is_main_process

    _check_tensorboard(args)
    experiments = experiments_for(args.paper) if args.paper else all_experiments()
    if args.preset == "quick":
        experiments = [e for e in experiments if e.in_quick_reproduce]
    skipped = [e.id for e in experiments if args.preset not in e.preset_names]
    experiments = [e for e in experiments if args.preset in e.preset_names]
    if not experiments:
        raise CliError(f"argument --preset: no experiment{' of ' + args.paper if args.paper else ''} has a preset {args.preset!r}")
    scope = args.paper or "all"
    out = resolve_run_folder(args, Path("results") / f"reproduce-{scope}" / args.preset)
    args.out = out
    if skipped:
        print(f"seminal: skipping {', '.join(skipped)} (no {args.preset!r} preset)", file=sys.stderr)
    print(f"seminal: reproducing {len(experiments)} experiment(s) ({args.preset}) into {out}", file=sys.stderr)
    run_kwargs = dict(
        preset=args.preset, seed=args.seed, device=args.device,
        resume=args.resume is not None or args.resume_anyway, resume_anyway=args.resume_anyway,
        resume_missing="fresh", data_dir=args.data_dir, dataset=args.dataset, progress=not args.no_progress,
        amp=args.amp, tensorboard=True if args.tensorboard else None, raise_errors=False,
        keep_checkpoints=args.keep_checkpoints,
    )
    groups = group_by_paper(experiments)
    # Worker processes only on one machine without torchrun: under DDP every rank runs the same loop.
    jobs = resolve_jobs(args.jobs, len(groups)) if not is_distributed() else 1
    records = []
    with run_folder_lock(out, enabled=is_main_process()):
        if jobs > 1:
            print(f"seminal: {jobs} worker processes, one paper each at a time (--jobs 1: one after another; "
                  "progress bars are off in workers)", file=sys.stderr)
            records = run_in_workers(groups, {**run_kwargs, "progress": False}, out, jobs)
        else:
            for index, experiment in enumerate(experiments, 1):
                print(f"[{index}/{len(experiments)}] {experiment.id}: {experiment.title}", file=sys.stderr)
                record = run_experiment(experiment, out_dir=out / experiment.id, **run_kwargs)
                print(f"    {record.status} in {record.duration_s:.1f} s" + (f": {record.error}" if record.error else ""),
                      file=sys.stderr)
                records.append(record)
        if is_main_process():
            command = "seminal reproduce" + (f" {args.paper}" if args.paper else "") + (f" --preset {args.preset}" if args.preset != "full" else "")
            environment = collect_environment()
            if jobs > 1:  # the header states what the experiments ran with, not this parent process
                environment.update(workers=jobs, torch_threads=worker_threads(jobs))
            report = write_html_report(out / "report.html", records, title=f"seminal reproduction ({scope}, {args.preset})",
                                       environment=environment, command=command)
            atomic_write_json(out / "summary.json", [r.summary() for r in records])
            print(f"seminal: report written to {report}")
    failed = [r.experiment for r in records if r.status == "failed"]
    if failed:
        print(f"seminal: {len(failed)} experiment(s) failed: {', '.join(failed)} (see their run.json)", file=sys.stderr)
        return 1
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from seminal.data import load_mnist

    data = load_mnist(args.dataset, data_dir=args.data_dir, allow_fallback=False)
    print(data.note)
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from seminal.gan.sample_cli import run_sample

    return run_sample(args)
