"""Where seminal keeps downloaded and derived data.

* ``SEMINAL_CACHE_DIR`` -- the cache root (default ``~/.cache/seminal``). Downloads go to
  ``<cache>/data``; derived datasets (distorted MNIST, cached classifiers) live in sub-folders.
* ``SEMINAL_DATA_DIR`` -- a folder that already holds dataset files (searched before the cache).
* ``SEMINAL_NO_DOWNLOAD=1`` -- never touch the network (the test suite sets it).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "data_cache_dir", "env_data_dir", "downloads_disabled"]


def cache_dir() -> Path:
    """The cache root: ``$SEMINAL_CACHE_DIR`` or ``~/.cache/seminal``."""
    root = os.environ.get("SEMINAL_CACHE_DIR")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "seminal"


def data_cache_dir() -> Path:
    """Where downloaded dataset files are stored: ``<cache>/data``."""
    return cache_dir() / "data"


def env_data_dir() -> Path | None:
    """``$SEMINAL_DATA_DIR`` if set, else None."""
    value = os.environ.get("SEMINAL_DATA_DIR")
    return Path(value).expanduser() if value else None


def downloads_disabled() -> bool:
    """True when ``$SEMINAL_NO_DOWNLOAD`` is set to a true value (1/true/yes)."""
    return os.environ.get("SEMINAL_NO_DOWNLOAD", "").strip().lower() in {"1", "true", "yes"}
