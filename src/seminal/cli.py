"""The ``seminal`` command line: list, run and reproduce the papers' experiments.

    seminal list
    seminal run adam-fig1 --quick --seed 1 --device auto --out runs/fig1
    seminal reproduce --quick            # every paper's quick experiments, one HTML report
    seminal reproduce stn                # the STN paper's full experiments
    seminal sample --checkpoint runs/gan-table1/.../generator.pt -n 64
    seminal data --dataset fashion-mnist # find or download (verified) a dataset and say where it is
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser"]

PRESETS = ("full", "quick", "smoke")  # every experiment's; some add more (Experiment.presets)
EXIT_INTERRUPTED = 130


def _add_common_run_options(parser: argparse.ArgumentParser) -> None:
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_const", const="quick", dest="preset",
                        help="the reduced schedule (minutes on a laptop CPU); same as --preset quick")
    preset.add_argument("--preset", default="full", metavar="{" + ",".join(PRESETS) + ",...}",
                        help="full = the paper's setting (default), quick = reduced, smoke = seconds-long check")
    parser.set_defaults(preset="full")  # parser-level: wins over --quick's implicit None default
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default="auto",
                        help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default: a new timestamped folder under runs/ or results/)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from its checkpoints (in --out, or the latest matching folder)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding the dataset files (default: $SEMINAL_DATA_DIR, the cache, then a verified download)")
    parser.add_argument("--dataset", default="mnist", choices=("mnist", "fashion-mnist", "kmnist"),
                        help="MNIST-format dataset for experiments that train on MNIST (default mnist)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--amp", nargs="?", const="fp16", default=None, choices=("fp16", "bf16"),
                        help="mixed precision on CUDA (fp16 with a GradScaler, or bf16); ignored on CPU")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seminal",
        description="Seminal deep-learning papers as components, proofs and reproductions (Adam, STN, GAN).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("list", help="list the registered experiments", description="List every experiment with its paper and presets.")

    run = sub.add_parser("run", help="run one experiment", description="Run one experiment and write config, metrics, environment, figures and a report.")
    run.add_argument("experiment", help="experiment id (see `seminal list`)")
    _add_common_run_options(run)
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                     help="override a config field, e.g. --set epochs=3 (repeatable)")

    repro = sub.add_parser("reproduce", help="run a paper's experiments (or all papers') and write one HTML report",
                           description="Run every experiment of PAPER (default: all papers) and write report.html.")
    repro.add_argument("paper", nargs="?", default=None, help="adam, stn or gan (default: all)")
    _add_common_run_options(repro)

    sample = sub.add_parser("sample", help="write samples from a trained GAN generator",
                            description="Write a grid and individual images sampled from a trained generator.")
    from seminal.gan.sample_cli import add_sample_arguments

    add_sample_arguments(sample)

    data = sub.add_parser("data", help="find or download (verified) a dataset and report where it is",
                          description="Locate a dataset's files, downloading and verifying them if needed.")
    data.add_argument("--dataset", default="mnist", choices=("mnist", "fashion-mnist", "kmnist"))
    data.add_argument("--data-dir", type=Path, default=None, help="folder to look in / download into")
    return parser


def _parse_overrides(experiment: Any, pairs: Sequence[str], preset: str) -> dict[str, Any]:
    """Turn ``FIELD=VALUE`` strings into typed values, using the config's current values' types."""
    base = experiment.config(preset)
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise ValueError(f"--set expects FIELD=VALUE, got {pair!r}")
        if name not in fields:
            raise ValueError(f"--set: unknown config field {name!r} for {experiment.id}; expected one of {sorted(fields)}")
        current = fields[name]
        overrides[name] = _convert(name, text, current)
    return overrides


def _convert(name: str, text: str, current: Any) -> Any:
    if isinstance(current, bool):
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"--set {name}: expected true or false, got {text!r}")
    if isinstance(current, (int, float)) and not isinstance(current, bool):
        try:
            return type(current)(float(text)) if isinstance(current, float) else int(text)
        except ValueError:
            raise ValueError(f"--set {name}: expected {type(current).__name__}, got {text!r}") from None
    if isinstance(current, str):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(current, tuple) and isinstance(value, list):
        value = tuple(value)
    return value


def _timestamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _latest(parent: Path, prefix: str) -> Path | None:
    candidates = sorted(p for p in parent.glob(prefix + "*") if p.is_dir())
    return candidates[-1] if candidates else None


def _resolve_out(args: argparse.Namespace, parent: Path, prefix: str) -> Path:
    if args.out is not None:
        if args.resume and not args.out.is_dir():
            raise ValueError(f"--resume: --out {str(args.out)!r} does not exist; nothing to resume")
        return args.out
    if args.resume:
        latest = _latest(parent, prefix)
        if latest is None:
            raise ValueError(f"--resume: no earlier run matching {parent / (prefix + '*')}; pass --out")
        return latest
    return parent / f"{prefix}{_timestamp()}"


def _cmd_list() -> int:
    from seminal.experiments.registry import all_experiments

    rows = []
    for e in all_experiments():
        reason = e.available(e.config("full"), None)
        rows.append((e.id, e.paper, "yes" if e.in_quick_reproduce else "no", e.title + (f"  [unavailable here: {reason}]" if reason else "")))
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'experiment':<{width}}  paper  quick  title")
    for exp_id, paper, quick, title in rows:
        print(f"{exp_id:<{width}}  {paper:<5}  {quick:<5}  {title}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from seminal.experiments.registry import get_experiment
    from seminal.experiments.runner import run_experiment

    experiment = get_experiment(args.experiment)
    overrides = _parse_overrides(experiment, args.overrides, args.preset)
    out = _resolve_out(args, Path("runs"), f"{experiment.id}-{args.preset}-seed{args.seed}-")
    print(f"seminal: running {experiment.id} ({args.preset}) into {out}", file=sys.stderr)
    record = run_experiment(
        experiment, out_dir=out, preset=args.preset, seed=args.seed, device=args.device, resume=args.resume,
        data_dir=args.data_dir, dataset=args.dataset, overrides=overrides, progress=not args.no_progress,
        amp=args.amp,
    )
    if record.status == "unavailable":
        print(f"seminal: {experiment.id} cannot run here: {record.error}", file=sys.stderr)
        return 2
    _print_comparison(record)
    print(f"seminal: wrote {out / 'report.md'}", file=sys.stderr)
    return 0


def _print_comparison(record: Any) -> None:
    for note in record.notes:
        print(f"note: {note}")
    for row in record.comparison:
        mark = {"agrees": "agrees", "disagrees": "DISAGREES", "inconclusive": "INCONCLUSIVE", "": ""}[row.verdict]
        paper = f"{row.paper:.4g}" if isinstance(row.paper, float) else row.paper
        ours = f"{row.ours:.4g}" if isinstance(row.ours, float) else row.ours
        print(f"  {row.quantity}: paper {paper} | ours {ours} {mark}")


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from seminal.environment import collect_environment
    from seminal.experiments.registry import all_experiments, experiments_for
    from seminal.experiments.runner import run_experiment
    from seminal.report import write_html_report
    from seminal.training.distributed import is_main_process

    experiments = experiments_for(args.paper) if args.paper else all_experiments()
    if args.preset == "quick":
        experiments = [e for e in experiments if e.in_quick_reproduce]
    scope = args.paper or "all"
    out = _resolve_out(args, Path("results"), f"reproduce-{scope}-{args.preset}-")
    print(f"seminal: reproducing {len(experiments)} experiment(s) ({args.preset}) into {out}", file=sys.stderr)
    records = []
    for index, experiment in enumerate(experiments, 1):
        print(f"[{index}/{len(experiments)}] {experiment.id}: {experiment.title}", file=sys.stderr)
        record = run_experiment(
            experiment, out_dir=out / experiment.id, preset=args.preset, seed=args.seed, device=args.device,
            resume=args.resume, data_dir=args.data_dir, dataset=args.dataset, progress=not args.no_progress,
            amp=args.amp, raise_errors=False,
        )
        print(f"    {record.status} in {record.duration_s:.1f} s" + (f": {record.error}" if record.error else ""), file=sys.stderr)
        records.append(record)
    if is_main_process():
        command = "seminal reproduce" + (f" {args.paper}" if args.paper else "") + (f" --preset {args.preset}" if args.preset != "full" else "")
        report = write_html_report(out / "report.html", records, title=f"seminal reproduction ({scope}, {args.preset})",
                                   environment=collect_environment(), command=command)
        from seminal.io import atomic_write_json

        atomic_write_json(out / "summary.json", [r.summary() for r in records])
        print(f"seminal: report written to {report}")
    failed = [r.experiment for r in records if r.status == "failed"]
    if failed:
        print(f"seminal: {len(failed)} experiment(s) failed: {', '.join(failed)} (see their run.json)", file=sys.stderr)
        return 1
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from seminal.data import load_mnist

    data = load_mnist(args.dataset, data_dir=args.data_dir, allow_fallback=False)
    print(data.note)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from seminal.data import DataFileError, DataUnavailableError, DownloadError
    from seminal.training import CheckpointError, NonFiniteLossError, TrainingInterrupted, shutdown_distributed

    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "reproduce":
            return _cmd_reproduce(args)
        if args.command == "sample":
            from seminal.gan.sample_cli import run_sample

            return run_sample(args)
        if args.command == "data":
            return _cmd_data(args)
    except (TrainingInterrupted, KeyboardInterrupt) as exc:
        hint = f" (resume with the same command plus --resume{'' if getattr(args, 'out', None) else ' --out <run dir>'})"
        print(f"seminal: interrupted{': ' + str(exc) if str(exc) else ''}{hint}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_INTERRUPTED)  # 130 for SIGINT, 143 for SIGTERM
    except NonFiniteLossError as exc:
        print(f"seminal: training stopped: {exc}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, FileNotFoundError, DataFileError, DataUnavailableError, DownloadError, CheckpointError) as exc:
        if args.verbose:
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"seminal: error: {message}", file=sys.stderr)
        return 2
    finally:
        shutdown_distributed()
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
