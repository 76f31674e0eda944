"""Finding a dataset's four files in a folder and reading them through torchvision's class.

torchvision's dataset classes read ``<root>/<Folder>/raw/<stem>`` (uncompressed). seminal also
accepts the layouts ``<root>/<Folder>/``, ``<root>/raw/`` and ``<root>/``, and ``.gz`` files alone
(read-only folders such as an OS package's). Such a folder is *unpacked*: its files are decompressed
(or copied) into a torchvision layout under ``<cache>/data/unpacked/`` -- written atomically and
redone when a source file changes -- or into a temporary folder when the cache is not writable.
torchvision then reads them; seminal checks shapes, counts and label range, and the decoded content
against its digests (:mod:`seminal.data.verify`). Verified reads are kept for the process, keyed
by the files' size, mtime, ctime and inode, so repeated loads neither re-read nor re-hash.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.datasets.mnist import read_image_file, read_label_file

from seminal.data.catalog import SPLIT_FILES, STEMS, DatasetSpec
from seminal.data.errors import DataFileError
from seminal.data.paths import data_cache_dir
from seminal.data.verify import check_content, expected_sha256
from seminal.io import atomic_path, atomic_write_json

__all__ = ["DatasetArrays", "layouts", "find_in_root", "read_dataset_dir"]

log = logging.getLogger(__name__)

# torchvision's readers fail with these on a truncated, padded or foreign file.
_READ_ERRORS = (AssertionError, RuntimeError, ValueError, TypeError, KeyError, IndexError, OSError)


@dataclass(frozen=True)
class DatasetArrays:
    """The four arrays of a dataset folder; ``verified`` is False only when no digest was known."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    verified: bool


def layouts(root: Path, spec: DatasetSpec) -> list[Path]:
    """The folders under ``root`` that may hold the files, in the order they are tried."""
    return [root / spec.folder / "raw", root / spec.folder, root / "raw", root]


def _source(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / (stem + ".gz"), directory / stem):
        if candidate.is_file():
            return candidate
    return None


def find_in_root(root: Path, spec: DatasetSpec) -> Path | None:
    """The first layout under ``root`` holding all four files (``.gz`` or not), or None."""
    for directory in layouts(root, spec):
        if all(_source(directory, stem) for stem in STEMS):
            return directory
    return None


def _stat_key(path: Path) -> tuple[int, ...]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _readable_in_place(directory: Path, spec: DatasetSpec) -> bool:
    """torchvision reads this folder as it is: its layout, with the uncompressed files."""
    return (directory.name == "raw" and directory.parent.name == spec.folder
            and all((directory / stem).is_file() for stem in STEMS))


def _unpack_one(source: Path, target: Path, rebuild: bool) -> None:
    manifest = target.with_name(target.name + ".source.json")
    record = {"source": str(source.resolve()), "stat": list(_stat_key(source))}
    if not rebuild and target.is_file() and manifest.is_file():
        with contextlib.suppress(OSError, ValueError):
            if json.loads(manifest.read_text()) == record:
                return
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        if source.suffix == ".gz":
            try:
                with gzip.open(source, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise DataFileError(source, f"corrupt or truncated gzip data ({exc})") from exc
        else:
            with open(source, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
    atomic_write_json(manifest, record)


@contextlib.contextmanager
def _torchvision_root(directory: Path, spec: DatasetSpec, rebuild: bool = False) -> Iterator[Path]:
    """A root that torchvision's class reads: the folder's own, or an unpacked copy."""
    if _readable_in_place(directory, spec):
        yield directory.parent.parent
        return
    key = hashlib.sha1(str(directory.resolve()).encode()).hexdigest()[:12]
    cached = data_cache_dir() / "unpacked" / f"{spec.folder}-{key}"
    try:
        for stem in STEMS:
            _unpack_one(_source(directory, stem), cached / spec.folder / "raw" / stem, rebuild)  # type: ignore[arg-type]
    except OSError as exc:  # a read-only or full cache must not stop the read
        log.warning("cannot unpack %s into %s (%s); using a temporary folder", directory, cached, exc)
    else:
        yield cached
        return
    with tempfile.TemporaryDirectory(prefix="seminal-unpack-") as tmp:
        for stem in STEMS:
            _unpack_one(_source(directory, stem), Path(tmp) / spec.folder / "raw" / stem, True)  # type: ignore[arg-type]
        yield Path(tmp)


def _construct(spec: DatasetSpec, root: Path, split: str, shown: dict[str, Path]) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        ds = spec.torchvision_class(root=str(root), train=split == "train", download=False)
        return ds.data, ds.targets
    except _READ_ERRORS as exc:
        # torchvision does not say which file failed: ask its readers one file at a time.
        for stem, reader in zip(SPLIT_FILES[split], (read_image_file, read_label_file), strict=True):
            try:
                reader(str(root / spec.folder / "raw" / stem))
            except _READ_ERRORS as file_exc:
                raise DataFileError(shown[stem], f"truncated, padded or not a valid IDX file "
                                                 f"({type(file_exc).__name__}: {file_exc})") from file_exc
        raise DataFileError(shown[SPLIT_FILES[split][0]],
                            f"torchvision could not read the {split} split ({exc})") from exc


def _check_shapes(images: torch.Tensor, labels: torch.Tensor, count: int, shown: dict[str, Path], split: str) -> None:
    images_file, labels_file = (shown[stem] for stem in SPLIT_FILES[split])
    if images.dtype != torch.uint8 or images.ndim != 3:
        raise DataFileError(images_file,
                            f"holds {images.dtype} data of {images.ndim} dimensions, expected uint8 images")
    if images.shape[0] != count:
        raise DataFileError(images_file, f"holds {images.shape[0]} items, expected {count}")
    if tuple(images.shape[1:]) != (28, 28):
        raise DataFileError(images_file, f"images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    if labels.shape != (count,):
        raise DataFileError(labels_file, f"holds {labels.shape[0] if labels.ndim else 0} items, expected {count}")
    if count and int(labels.max()) > 9:
        raise DataFileError(labels_file, f"label {int(labels.max())} out of range 0..9")


def read_dataset_dir(directory: Path, spec: DatasetSpec) -> DatasetArrays:
    """Read and verify the four files in ``directory`` (kept for the process while unchanged).

    Raises:
        DataFileError: a file is corrupt, truncated, of the wrong size or altered (names the file).
    """
    stats = tuple((p.name, _stat_key(p)) for stem in STEMS for p in (directory / (stem + ".gz"), directory / stem)
                  if p.is_file())
    key = (str(directory.resolve()), spec.name, spec.folder, spec.num_train, spec.num_test,
           tuple(sorted(spec.sha256.items())), tuple(sorted(spec.md5.items())), stats)
    if key not in _VERIFIED:
        _VERIFIED[key] = read_dataset_dir_uncached(directory, spec)
        while len(_VERIFIED) > _VERIFIED_MAX:  # each entry holds a whole dataset
            _VERIFIED.pop(next(iter(_VERIFIED)))
    return _VERIFIED[key]


#: Verified reads of this process, oldest first (keyed by folder, spec and the files' stat).
_VERIFIED: dict[tuple, DatasetArrays] = {}
_VERIFIED_MAX = 4


def _read_root(root: Path, spec: DatasetSpec, shown: dict[str, Path], expected: dict[str, str | None]) -> DatasetArrays:
    arrays: list[torch.Tensor] = []
    verified = True
    for split, (images_stem, labels_stem) in SPLIT_FILES.items():
        images, labels = _construct(spec, root, split, shown)
        _check_shapes(images, labels, spec.num_train if split == "train" else spec.num_test, shown, split)
        verified &= check_content(spec, images_stem, images, expected[images_stem], shown[images_stem])
        verified &= check_content(spec, labels_stem, labels.to(torch.uint8), expected[labels_stem], shown[labels_stem])
        arrays += [images, labels]
    return DatasetArrays(*arrays, verified=verified)


def read_dataset_dir_uncached(directory: Path, spec: DatasetSpec) -> DatasetArrays:
    """Read and verify the four files in ``directory`` (no process cache)."""
    in_place = _readable_in_place(directory, spec)
    shown: dict[str, Path] = {}
    for stem in STEMS:
        path = directory / stem if in_place else _source(directory, stem)
        if path is None:
            raise DataFileError(directory / stem, "file not found")
        shown[stem] = path
    expected = {stem: expected_sha256(spec, stem, directory) for stem in STEMS}
    try:
        with _torchvision_root(directory, spec) as root:
            arrays = _read_root(root, spec, shown, expected)
    except DataFileError as exc:
        if in_place:
            raise
        # The unpacked copy is seminal's: rebuild it from the source once before blaming the source.
        log.warning("%s; unpacking %s again to tell a damaged copy from a damaged source", exc, directory)
        with _torchvision_root(directory, spec, rebuild=True) as root:
            arrays = _read_root(root, spec, shown, expected)
    if not arrays.verified:
        log.warning("%s: the %s content could not be verified (no digest of its decoded arrays is known and no "
                    ".gz with the published md5 is beside it)", directory, spec.name)
    return arrays
