"""The data layer's errors (a light module: the CLI imports them for every command)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DataFileError", "DataUnavailableError", "DownloadError"]


class DataFileError(RuntimeError):
    """A dataset file is missing, truncated, altered or not what it claims to be (``path`` names it)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class DataUnavailableError(RuntimeError):
    """The dataset is not on disk, cannot be downloaded, and no fallback applies."""


class DownloadError(RuntimeError):
    """No mirror delivered the dataset's files with the published checksums."""
