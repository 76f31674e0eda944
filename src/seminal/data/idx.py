"""Reading IDX files (the MNIST format) with validation.

A missing, truncated or corrupt file raises :class:`DataFileError` naming the file and the
problem; nothing is ever half-read silently.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch

__all__ = ["DataFileError", "read_idx_images", "read_idx_labels"]

_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049


class DataFileError(RuntimeError):
    """A dataset file is missing, truncated or not what it claims to be."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataFileError(path, "file not found")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataFileError(path, f"corrupt or truncated gzip data ({exc})") from exc


def _parse(path: Path, magic: int, ndim: int, expected_count: int | None) -> np.ndarray:
    raw = _read_bytes(path)
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(path, f"truncated: {len(raw)} bytes is shorter than the IDX header")
    found_magic = int.from_bytes(raw[0:4], "big")
    if found_magic != magic:
        raise DataFileError(path, f"not an IDX file of the expected kind (magic {found_magic}, expected {magic})")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if expected_count is not None and dims[0] != expected_count:
        raise DataFileError(path, f"holds {dims[0]} items, expected {expected_count}")
    size = int(np.prod(dims))
    if len(raw) - header != size:
        raise DataFileError(path, f"truncated or padded: {len(raw) - header} data bytes, expected {size}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_images(path: Path, expected_count: int | None = None) -> torch.Tensor:
    """Images as a uint8 tensor ``(N, 28, 28)``."""
    array = _parse(path, _IMAGES_MAGIC, 3, expected_count)
    if array.shape[1:] != (28, 28):
        raise DataFileError(path, f"images are {array.shape[1]}x{array.shape[2]}, expected 28x28")
    return torch.from_numpy(array.copy())


def read_idx_labels(path: Path, expected_count: int | None = None) -> torch.Tensor:
    """Labels as an int64 tensor ``(N,)`` with values 0..9."""
    array = _parse(path, _LABELS_MAGIC, 1, expected_count)
    if array.size and int(array.max()) > 9:
        raise DataFileError(path, f"label {int(array.max())} out of range 0..9")
    return torch.from_numpy(array.astype(np.int64))
