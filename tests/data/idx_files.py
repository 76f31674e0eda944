"""Small, valid MNIST-format files for tests."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

N_TRAIN, N_TEST = 30, 12


def idx_images(count: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    header = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (count, 28, 28))
    return header + pixels.tobytes()


def idx_labels(count: int, seed: int) -> bytes:
    labels = np.random.default_rng(seed).integers(0, 10, size=count, dtype=np.uint8)
    return (2049).to_bytes(4, "big") + count.to_bytes(4, "big") + labels.tobytes()


def write_dataset(directory: Path) -> dict[str, str]:
    """Write the four gz files; return their md5s by file name."""
    directory.mkdir(parents=True, exist_ok=True)
    payloads = {
        "train-images-idx3-ubyte.gz": idx_images(N_TRAIN, 1),
        "train-labels-idx1-ubyte.gz": idx_labels(N_TRAIN, 2),
        "t10k-images-idx3-ubyte.gz": idx_images(N_TEST, 3),
        "t10k-labels-idx1-ubyte.gz": idx_labels(N_TEST, 4),
    }
    md5 = {}
    for name, payload in payloads.items():
        data = gzip.compress(payload, mtime=0)
        (directory / name).write_bytes(data)
        md5[name] = hashlib.md5(data).hexdigest()
    return md5
