"""The MNIST-format datasets seminal knows: torchvision's class, checksums, digests, locations.

Mirrors and the md5 of each published ``.gz`` come from torchvision's dataset classes, so they
stay in step with the library users already trust. What torchvision does not have is kept here:

* ``sha256``: digests of the *decoded* arrays (the pixel bytes of an images file, the label bytes
  of a labels file, without the IDX header). The md5 of a ``.gz`` says nothing about a file that
  was re-gzipped or placed uncompressed; these digests catch any changed pixel or label whatever
  the container. Computed from the published MNIST files (md5s equal to torchvision's) and from
  Debian's ``dataset-fashion-mnist`` package (the published Fashion-MNIST pixels in re-made gzip
  files). seminal has no copy of KMNIST to compute them from: KMNIST is verified by the md5 of its
  ``.gz`` files only (see :mod:`seminal.data.verify`).
* ``system_dirs``: folders OS packages install the files into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torchvision.datasets as tvd

__all__ = ["DatasetSpec", "DATASETS", "get_spec", "SPLIT_FILES", "STEMS"]

#: (images, labels) file stems for each split, as published (the ``.gz`` files add ``.gz``).
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
STEMS: tuple[str, ...] = tuple(stem for pair in SPLIT_FILES.values() for stem in pair)


@dataclass(frozen=True)
class DatasetSpec:
    """One MNIST-format dataset.

    Attributes:
        name: seminal's name (``--dataset``).
        torchvision_class: the torchvision dataset class that downloads and reads it.
        mirrors: base URLs tried in order (torchvision's).
        md5: published md5 of each ``.gz`` file, by file name (torchvision's).
        sha256: digest of each file's decoded array, by file stem; empty when unknown.
        system_dirs: folders that OS packages install the files into (searched last).
        num_train, num_test: expected image counts.
    """

    name: str
    torchvision_class: type[tvd.MNIST]
    mirrors: tuple[str, ...]
    md5: dict[str, str]
    sha256: dict[str, str] = field(default_factory=dict)
    system_dirs: tuple[Path, ...] = ()
    num_train: int = 60000
    num_test: int = 10000

    @property
    def folder(self) -> str:
        """torchvision's folder name: files live in ``<root>/<folder>/raw/``."""
        return self.torchvision_class.__name__


def _spec(name: str, cls: type[tvd.MNIST], sha256: dict[str, str], system_dirs: tuple[Path, ...] = ()) -> DatasetSpec:
    return DatasetSpec(name=name, torchvision_class=cls, mirrors=tuple(cls.mirrors), md5=dict(cls.resources),
                       sha256=sha256, system_dirs=system_dirs)


_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train-labels-idx1-ubyte": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "t10k-images-idx3-ubyte": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "t10k-labels-idx1-ubyte": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
_FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "train-labels-idx1-ubyte": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "t10k-images-idx3-ubyte": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "t10k-labels-idx1-ubyte": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}

DATASETS: dict[str, DatasetSpec] = {
    "mnist": _spec("mnist", tvd.MNIST, _MNIST_SHA256),
    # Debian's dataset-fashion-mnist package: same pixels, different gzip headers (other md5s).
    "fashion-mnist": _spec("fashion-mnist", tvd.FashionMNIST, _FASHION_MNIST_SHA256,
                           (Path("/usr/share/datasets/fashion-mnist"),)),
    "kmnist": _spec("kmnist", tvd.KMNIST, {}),
}


def get_spec(dataset: str) -> DatasetSpec:
    """The spec of ``dataset``; a ValueError naming the argument when seminal does not know it."""
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
    return DATASETS[dataset]
