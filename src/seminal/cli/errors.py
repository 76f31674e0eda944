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


#: Below this many free bytes, a failed write is put down to a full disk.
NEARLY_FULL = 1 << 20


def _oserror_in_chain(exc: BaseException) -> OSError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def disk_full_under(folder: object) -> str | None:
    """A one-line message when the filesystem holding ``folder`` is (nearly) full, else None.

    torch.save reports a full disk as a RuntimeError from its zip writer, not as ENOSPC, so a
    failure during a run is also checked against the free space where the run writes.
    """
    import shutil
    from pathlib import Path

    if folder is None:
        return None
    path = Path(str(folder))
    while not path.exists() and path.parent != path:
        path = path.parent
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return None
    if free >= NEARLY_FULL:
        return None
    return f"no space left on the device holding {folder} ({free:,} bytes free); free some space and rerun with --resume"


def one_line(exc: BaseException, out: object = None) -> tuple[str, int] | None:
    """(message, exit code) for an expected failure, or None for a bug (the traceback is shown).

    ``out`` is the run folder, if any: a failure while it is (nearly) full is reported as a full disk.
    """
    if isinstance(exc, CliError):
        return str(exc), exc.code
    chained = _oserror_in_chain(exc)
    if chained is not None and chained.errno in (errno.ENOSPC, errno.EDQUOT):
        exc = chained
    elif not isinstance(exc, (ValueError, KeyError)):
        full = disk_full_under(out)
        if full is not None:
            return full, EXIT_FAILED
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
