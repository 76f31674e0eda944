"""The MNIST-format datasets seminal knows: file names, checksums, mirrors and folder layouts.

Checksums and mirrors are read from torchvision's dataset classes, so they stay in step with
the library users already trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torchvision.datasets as tvd

__all__ = ["DatasetSpec", "DATASETS", "get_spec", "SPLIT_FILES"]

#: (images, labels) file stems for each split, as published.
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class DatasetSpec:
    """One MNIST-format dataset.

    Attributes:
        name: seminal's name (``--dataset``).
        folder: torchvision's folder name (``<root>/<folder>/raw/``).
        mirrors: base URLs tried in order.
        md5: published md5 of each ``.gz`` file, by file name.
        system_dirs: folders that OS packages install the files into (searched last).
        num_train, num_test: expected image counts (a truncated file is caught by these).
    """

    name: str
    folder: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]
    system_dirs: tuple[Path, ...] = ()
    num_train: int = 60000
    num_test: int = 10000


def _spec(name: str, cls: type, system_dirs: tuple[Path, ...] = ()) -> DatasetSpec:
    return DatasetSpec(
        name=name,
        folder=cls.__name__,
        mirrors=tuple(cls.mirrors),
        md5=dict(cls.resources),
        system_dirs=system_dirs,
    )


DATASETS: dict[str, DatasetSpec] = {
    "mnist": _spec("mnist", tvd.MNIST),
    # Debian's dataset-fashion-mnist package: same pixels, different gzip headers (other md5s).
    "fashion-mnist": _spec("fashion-mnist", tvd.FashionMNIST, (Path("/usr/share/datasets/fashion-mnist"),)),
    "kmnist": _spec("kmnist", tvd.KMNIST),
}


def get_spec(dataset: str) -> DatasetSpec:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {dataset!r}") from None
