"""Run folders: one new ``version_N`` folder per run, and a lock so one folder has one writer.

Layout (the convention of PyTorch Lightning's loggers)::

    runs/<experiment-id>/<preset>/version_0/
    runs/<experiment-id>/<preset>/version_1/      # the next run of the same experiment and preset
    results/reproduce-<paper|all>/<preset>/version_0/<experiment-id>/

A new folder is claimed with ``mkdir`` (atomic: of two simultaneous launches exactly one gets
``version_N`` and the other moves on to ``version_N+1``), so default names never collide.
``--resume last`` picks the highest ``version_N``.

While a run writes into a folder it holds an exclusive ``fcntl`` lock on ``<folder>/.lock``
(released by the OS even when the process is killed); a second run into the same folder fails at
once with :class:`RunFolderBusy`. Under torchrun only the main process takes the lock.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["RunFolderBusy", "new_version_dir", "latest_version_dir", "run_folder_lock", "LOCK_NAME"]

LOCK_NAME = ".lock"
_VERSION = re.compile(r"^version_(\d+)$")


class RunFolderBusy(RuntimeError):
    """Another process is writing into this run folder."""


def _versions(parent: Path) -> list[tuple[int, Path]]:
    if not parent.is_dir():
        return []
    found = []
    for child in parent.iterdir():
        match = _VERSION.match(child.name)
        if match and child.is_dir():
            found.append((int(match.group(1)), child))
    return sorted(found)


def new_version_dir(parent: str | os.PathLike[str]) -> Path:
    """Create and return ``parent/version_N`` with the smallest N above every existing one."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    existing = _versions(parent)
    number = existing[-1][0] + 1 if existing else 0
    while True:
        candidate = parent / f"version_{number}"
        try:
            candidate.mkdir()
        except FileExistsError:
            number += 1
            continue
        return candidate


def latest_version_dir(parent: str | os.PathLike[str]) -> Path | None:
    """``parent/version_N`` with the highest N, or None when there is none."""
    existing = _versions(Path(parent))
    return existing[-1][1] if existing else None


@contextlib.contextmanager
def run_folder_lock(folder: str | os.PathLike[str], *, enabled: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` for the duration of the block.

    Raises :class:`RunFolderBusy` (naming the folder and the holder's pid) when another process
    holds it. Where the platform or filesystem cannot lock (no ``fcntl``, ``ENOLCK`` on some
    network filesystems) the block runs unlocked.
    """
    if not enabled:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    handle: IO[str] = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed in finally
    try:
        locked = _try_lock(fcntl, handle, folder)
        if locked:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        try:
            yield
        finally:
            if locked:
                with contextlib.suppress(OSError):
                    handle.seek(0)
                    handle.truncate()
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def _try_lock(fcntl: object, handle: IO[str], folder: Path) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined]
    except OSError as exc:
        if exc.errno == errno.ENOLCK:  # the filesystem cannot lock: carry on unlocked
            return False
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunFolderBusy(
                f"--out {str(folder)!r} is in use by another seminal run (pid {holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        raise
    return True
