"""Datasets: MNIST-format data through torchvision's dataset classes, verified, with an offline fallback.

See :func:`load_mnist` for the search order, :func:`prepare_mnist` for the one preparation every
paper uses, and :mod:`seminal.data.paths` for the environment variables (``SEMINAL_DATA_DIR``,
``SEMINAL_CACHE_DIR``, ``SEMINAL_NO_DOWNLOAD``). Names are imported on first use, so importing
``seminal.data`` (or its errors) does not import torchvision.
"""

from __future__ import annotations

import importlib
from typing import Any

from seminal.data.errors import DataFileError, DataUnavailableError, DownloadError

#: Public name -> the module that defines it (imported when the name is first used).
_LAZY = {
    "DATASETS": "catalog", "get_spec": "catalog",
    "download_dataset": "download",
    "MNISTData": "mnist", "find_mnist_dir": "mnist", "load_fallback_mnist": "mnist", "load_mnist": "mnist",
    "cache_dir": "paths", "data_cache_dir": "paths", "downloads_disabled": "paths",
    "PreparedMNIST": "prepare", "fixed_subset": "prepare", "flat_float": "prepare", "holdout_split": "prepare",
    "prepare_mnist": "prepare",
}

__all__ = ["DataFileError", "DataUnavailableError", "DownloadError", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'seminal.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seminal.data.{_LAZY[name]}"), name)
    globals()[name] = value  # later lookups (and a test's monkeypatch) see a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
