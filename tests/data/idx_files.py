"""Small, valid MNIST-format files for tests, and their checksums."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

N_TRAIN, N_TEST = 30, 12
_HEADER = {"images": 16, "labels": 8}


def idx_images(count: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    header = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (count, 28, 28))
    return header + pixels.tobytes()


def idx_labels(count: int, seed: int) -> bytes:
    labels = np.random.default_rng(seed).integers(0, 10, size=count, dtype=np.uint8)
    return (2049).to_bytes(4, "big") + count.to_bytes(4, "big") + labels.tobytes()


def payloads() -> dict[str, bytes]:
    """The decompressed IDX bytes of the small dataset, by file stem."""
    return {
        "train-images-idx3-ubyte": idx_images(N_TRAIN, 1),
        "train-labels-idx1-ubyte": idx_labels(N_TRAIN, 2),
        "t10k-images-idx3-ubyte": idx_images(N_TEST, 3),
        "t10k-labels-idx1-ubyte": idx_labels(N_TEST, 4),
    }


def content_sha256() -> dict[str, str]:
    """SHA-256 of each file's decoded array (the bytes after the IDX header), by stem."""
    return {stem: hashlib.sha256(data[_HEADER["images" if "images" in stem else "labels"]:]).hexdigest()
            for stem, data in payloads().items()}


def write_dataset(directory: Path, *, compressed: bool = True) -> dict[str, str]:
    """Write the four files (gz, or uncompressed); return the gz md5s by file name."""
    directory.mkdir(parents=True, exist_ok=True)
    md5 = {}
    for stem, payload in payloads().items():
        data = gzip.compress(payload, mtime=0)
        md5[stem + ".gz"] = hashlib.md5(data).hexdigest()
        if compressed:
            (directory / (stem + ".gz")).write_bytes(data)
        else:
            (directory / stem).write_bytes(payload)
    return md5


def alter_one_pixel(payload: bytes, offset: int = 16 + 100) -> bytes:
    """The same IDX file with one byte after the header changed (header left valid)."""
    changed = bytearray(payload)
    changed[offset] = (changed[offset] + 1) % 256
    return bytes(changed)
