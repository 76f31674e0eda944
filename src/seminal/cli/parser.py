"""The argument parser of ``seminal``: commands, common run options, one-line errors.

Building it imports neither torch nor any experiment, so ``seminal --help`` and ``seminal list``
start at once. ``seminal run EXPERIMENT --help`` additionally lists the experiment's config fields
(:mod:`seminal.cli.config_options`), which needs the experiment's module.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

__all__ = ["OneLineParser", "build_parser", "seed_value", "positive_int", "DATASETS", "SEED_LIMIT"]

DATASETS = ("mnist", "fashion-mnist", "kmnist")
#: Seeds are 63-bit: torch, NumPy (reduced mod 2**32) and Python's random all take them.
SEED_LIMIT = 2**63


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: ``seminal run: error: argument --seed: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def seed_value(text: str) -> int:
    """``--seed``: an integer in [0, 2**63)."""
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63), got {text!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63), got {value}")
    return value


def positive_int(text: str) -> int:
    """An option that counts something (``reproduce --jobs``, ``sample --nrow``): an integer >= 1."""
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_common_run_options(parser: argparse.ArgumentParser, presets: tuple[str, ...] | None) -> None:
    group = parser.add_argument_group("run options")
    preset = group.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_const", const="quick", dest="preset",
                        help="the reduced schedule (minutes on a laptop CPU); same as --preset quick")
    preset.add_argument(
        "--preset", default="full", metavar="NAME", choices=presets,
        help="full = the paper's setting (default), quick = reduced, smoke = a seconds-long check; some experiments "
             "have more (e.g. laptop)" + (f"; here: {', '.join(presets)}" if presets else ""),
    )
    parser.set_defaults(preset="full")  # parser-level: wins over --quick's implicit None default
    group.add_argument("--seed", type=seed_value, default=0, help="random seed, an integer in [0, 2**63) (default 0)")
    group.add_argument("--device", default="auto",
                       help="auto (CUDA when present, else CPU), cpu, cuda, cuda:N or mps (default auto)")
    group.add_argument("--out", type=Path, default=None, metavar="FOLDER",
                       help="the run folder (default: a new runs/<experiment>/<preset>/version_N, "
                            "or results/reproduce-<paper>/<preset>/version_N for reproduce)")
    group.add_argument("--resume", nargs="?", const="", default=None, metavar="FOLDER|last",
                       help="continue an interrupted run from its checkpoints: --resume FOLDER, --resume last (the newest "
                            "version_N of this experiment and preset), or plain --resume for --out (else last)")
    group.add_argument("--resume-anyway", action="store_true",
                       help="resume even though the preset, seed, --set values or code version differ from the "
                            "folder's run (the differences are recorded in run.json)")
    group.add_argument("--data-dir", type=Path, default=None, metavar="FOLDER",
                       help="folder holding the dataset files (default: $SEMINAL_DATA_DIR, the cache, then a verified download)")
    group.add_argument("--dataset", default="mnist", choices=DATASETS,
                       help="MNIST-format dataset for experiments that train on MNIST (default mnist)")
    group.add_argument("--no-progress", action="store_true", help="hide progress bars")
    group.add_argument("--amp", nargs="?", const="fp16", default=None, choices=("fp16", "bf16"),
                       help="mixed precision on CUDA (fp16 with a GradScaler, or bf16); on other devices it is ignored "
                            "and the run's notes say so")
    group.add_argument("--keep-checkpoints", action="store_true",
                       help="keep the training checkpoints of a finished run (default: delete them when the run "
                            "ends ok; they exist to resume an interrupted run)")
    group.add_argument("--tensorboard", action="store_true",
                       help="also write TensorBoard scalars under <run folder>/tensorboard (needs seminal[tensorboard])")


def build_parser(run_fields: object | None = None, parser_class: type[OneLineParser] = OneLineParser) -> OneLineParser:
    """The ``seminal`` parser. ``run_fields`` (an Experiment) adds that experiment's config fields to ``run``."""
    parser = parser_class(
        prog="seminal",
        description="Seminal deep-learning papers as components, proofs and reproductions (Adam, STN, GAN).",
        epilog="`seminal run EXPERIMENT --help` lists the experiment's presets and every config field.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more, and show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    sub.required = True

    listing = sub.add_parser("list", help="list the registered experiments",
                             description="List every experiment with its paper and title.")
    listing.add_argument("--check", action="store_true",
                         help="also say which experiments cannot run here and why (imports the experiments)")

    presets = tuple(run_fields.preset_names) if run_fields is not None else None  # type: ignore[attr-defined]
    run = sub.add_parser(
        "run", help="run one experiment",
        description="Run one experiment and write config, metrics, environment, figures and a report into a new "
                    "run folder. `seminal run EXPERIMENT --help` lists its config fields.",
        usage="seminal run EXPERIMENT [options] [--set FIELD=VALUE ...] [--FIELD VALUE ...]",
        allow_abbrev=False,
    )
    run.add_argument("experiment", help="experiment id (see `seminal list`)")
    _add_common_run_options(run, presets)
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                     help="override a config field, e.g. --set epochs=3 or --set methods=adam,sgd (repeatable)")
    if run_fields is not None:
        from seminal.cli.config_options import add_config_options

        add_config_options(run, run_fields)

    repro = sub.add_parser(
        "reproduce", help="run a paper's experiments (or all papers') and write one HTML report",
        description="Run every experiment of PAPER (default: all papers) and write report.html. With a preset "
                    "that only some experiments have (e.g. laptop), the others are skipped.",
    )
    repro.add_argument("paper", nargs="?", default=None, choices=("adam", "stn", "gan"), help="adam, stn or gan (default: all)")
    _add_common_run_options(repro, None)
    repro.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                       help="worker processes: different papers' experiments run side by side, one paper's in "
                            "order (default: one per CPU core; 1 = one after another in this process)")

    sample = sub.add_parser("sample", help="write samples from a trained GAN generator",
                            description="Write a grid and individual images sampled from a trained generator.")
    from seminal.cli.sample_args import add_sample_arguments

    add_sample_arguments(sample)

    data = sub.add_parser("data", help="find or download (verified) a dataset and report where it is",
                          description="Locate a dataset's files, downloading and verifying them if needed.")
    data.add_argument("--dataset", default="mnist", choices=DATASETS)
    data.add_argument("--data-dir", type=Path, default=None, help="folder to look in / download into")
    return parser


def command_of(argv: list[str]) -> tuple[str | None, str | None]:
    """(command, experiment id) of ``argv`` without parsing it fully (None where absent)."""
    tokens = [t for t in argv if t not in ("-h", "--help")]
    try:
        args, _ = build_parser(parser_class=_ProbeParser).parse_known_args(tokens)
    except _ProbeFailed:
        first = next((t for t in tokens if not t.startswith("-")), None)
        return first, None
    return args.command, getattr(args, "experiment", None)


class _ProbeFailed(Exception):
    pass


class _ProbeParser(OneLineParser):
    """Reports a parse error to :func:`command_of` instead of exiting (the real parse reports it)."""

    def error(self, message: str) -> NoReturn:
        raise _ProbeFailed(message)
