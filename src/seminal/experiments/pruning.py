"""Deleting a finished run's training checkpoints, except those the experiment keeps."""

from __future__ import annotations

import fnmatch
from pathlib import Path

__all__ = ["prune_checkpoints"]


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
