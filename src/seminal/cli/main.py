"""The ``seminal`` command line: list, run and reproduce the papers' experiments.

    seminal list
    seminal run adam-fig1 --quick --seed 1          # into runs/adam-fig1/quick/version_N
    seminal run stn-table1 --help                   # presets and every config field
    seminal run adam-fig1 --quick --resume last     # continue the newest run
    seminal reproduce --quick                       # every paper's quick experiments, one HTML report
    seminal sample --checkpoint runs/gan-table1/quick/version_0 -n 64
    seminal data --dataset fashion-mnist            # find or download (verified) a dataset

Only what a command needs is imported: ``seminal --help`` and ``seminal list`` never import torch
or an experiment. Bad input ends with one line naming the argument and what was expected
(exit code 2); a failed run exits 1; an interrupted one 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from seminal.cli.errors import CliError, one_line
from seminal.cli.parser import build_parser, command_of

__all__ = ["main", "build_parser"]

EXIT_INTERRUPTED = 130


def _parse(argv: list[str]) -> tuple[object, object | None]:
    """Parse ``argv``; for ``run EXPERIMENT`` the parser also knows the experiment's config fields."""
    from seminal.cli.commands import load_experiment

    command, experiment_id = command_of(argv)
    experiment = None
    if command == "run" and experiment_id is not None:
        experiment = load_experiment(experiment_id)  # CliError names the close matches
    return build_parser(experiment).parse_args(argv), experiment


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, experiment = _parse(argv)
    except CliError as exc:
        print(f"seminal run: error: {exc}", file=sys.stderr)
        return exc.code
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    prog = f"seminal {args.command}"
    completed = False  # every rank finished normally: safe to meet at a barrier before teardown
    try:
        code = _dispatch(args, experiment)
        completed = True
        return code
    except KeyboardInterrupt as exc:
        return _interrupted(args, exc)
    except Exception as exc:  # noqa: BLE001 - expected failures become one line; bugs keep their traceback
        if type(exc).__name__ == "NonFiniteLossError":
            print(f"{prog}: training stopped: {exc}", file=sys.stderr)
            return 1
        described = one_line(exc, getattr(args, "out", None))
        if described is None or args.verbose:
            raise
        message, code = described
        print(f"{prog}: error: {message}", file=sys.stderr)
        return code
    except BaseException as exc:
        if type(exc).__name__ == "TrainingInterrupted":  # the training layer's SIGINT/SIGTERM stop
            return _interrupted(args, exc)
        raise
    finally:
        if "seminal.training" in sys.modules:
            from seminal.training import shutdown_distributed

            shutdown_distributed(synchronize=completed)


def _interrupted(args: object, exc: BaseException) -> int:
    out = getattr(args, "out", None)
    hint = f" (continue with: --resume {out})" if out else " (continue with the same command plus --resume last)"
    print(f"seminal: interrupted{': ' + str(exc) if str(exc) else ''}{hint}", file=sys.stderr)
    return getattr(exc, "exit_code", EXIT_INTERRUPTED)  # 130 for SIGINT, 143 for SIGTERM


def _dispatch(args: object, experiment: object | None) -> int:
    from seminal.cli import commands

    command = args.command  # type: ignore[attr-defined]
    if command == "list":
        return commands.cmd_list(args)  # type: ignore[arg-type]
    if command == "run":
        return commands.cmd_run(args, experiment)  # type: ignore[arg-type]
    if command == "reproduce":
        return commands.cmd_reproduce(args)  # type: ignore[arg-type]
    if command == "sample":
        return commands.cmd_sample(args)  # type: ignore[arg-type]
    if command == "data":
        return commands.cmd_data(args)  # type: ignore[arg-type]
    raise CliError(f"unknown command {command!r}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
