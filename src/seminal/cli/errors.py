"""Turn the exceptions a command can meet into one line for the user (and an exit code)."""

from __future__ import annotations

import errno

__all__ = ["CliError", "one_line"]

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A problem with the command line, already worded for the user."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return " ".join(lines) if len(lines) <= 3 else lines[0]


def one_line(exc: BaseException) -> tuple[str, int] | None:
    """(message, exit code) for an expected failure, or None for a bug (the traceback is shown)."""
    if isinstance(exc, CliError):
        return str(exc), exc.code
    if isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, FileNotFoundError):
        where = f" {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return f"no space left on the device while writing{where}; free some space and rerun with --resume", EXIT_FAILED
        if exc.errno == errno.EDQUOT:
            return f"disk quota exceeded while writing{where}; free some space and rerun with --resume", EXIT_FAILED
        if exc.errno == errno.EROFS:
            return f"cannot write{where}: the file system is read-only; choose another --out", EXIT_BAD_INPUT
        if exc.errno in (errno.EACCES, errno.EPERM):
            return f"cannot write{where}: permission denied; choose another --out", EXIT_BAD_INPUT
        if exc.errno == errno.ENOTDIR:
            return f"{exc.filename or 'a path'} is not a folder (a file stands where a folder is needed)", EXIT_BAD_INPUT
        if exc.errno == errno.EISDIR:
            return f"{exc.filename or 'a path'} is a folder where a file is needed", EXIT_BAD_INPUT
        return f"{exc.strerror or exc}{':' + where if where else ''}", EXIT_FAILED
    if isinstance(exc, KeyError):
        return (str(exc.args[0]) if exc.args else "missing key"), EXIT_BAD_INPUT
    if isinstance(exc, (ValueError, FileNotFoundError)):
        return _first_line(str(exc)), EXIT_BAD_INPUT
    from seminal.experiments.run_dirs import RunFolderBusy

    if isinstance(exc, RunFolderBusy):
        return str(exc), EXIT_BAD_INPUT
    try:  # only meaningful once these modules are imported (they import torch)
        from seminal.data import DataFileError, DataUnavailableError, DownloadError
        from seminal.training import CheckpointError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, (DataFileError, DataUnavailableError, DownloadError, CheckpointError)):
        return _first_line(str(exc)), EXIT_BAD_INPUT
    return None
