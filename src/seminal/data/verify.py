"""Content digests: a dataset's decoded arrays are checked, not only its ``.gz`` container.

torchvision checks the md5 of a ``.gz`` it downloads. That says nothing about a file that is found
already on disk, re-gzipped (new header, new md5) or placed uncompressed. seminal hashes what was
actually decoded -- the pixel bytes of an images file, the label bytes of a labels file -- and
compares the SHA-256 with a known value:

* for datasets in :mod:`seminal.data.catalog` with ``sha256`` digests (MNIST, Fashion-MNIST), the
  catalog's digest;
* otherwise (KMNIST), the digest of the payload of the matching ``.gz`` file in the same folder,
  once that file's md5 matched the published one. With no such ``.gz`` the content cannot be
  verified, and the caller says so.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from seminal.data.errors import DataFileError

if TYPE_CHECKING:
    from seminal.data.catalog import DatasetSpec

__all__ = ["DataFileError", "array_sha256", "expected_sha256", "check_content", "IDX_HEADER_BYTES"]

#: Bytes before the data in an IDX file: magic + one 4-byte size per dimension (3 for images, 1 for labels).
IDX_HEADER_BYTES = {"images": 16, "labels": 8}

_CHUNK = 1 << 20


def array_sha256(array: torch.Tensor) -> str:
    """SHA-256 of a uint8 tensor's bytes in C order (labels are hashed as their uint8 values)."""
    if array.dtype != torch.uint8:
        raise TypeError(f"array must be uint8 to be hashed as published, got {array.dtype}")
    return hashlib.sha256(array.contiguous().numpy()).hexdigest()


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(stem: str) -> str:
    return "images" if "-images-" in stem else "labels"


def expected_sha256(spec: DatasetSpec, stem: str, directory: Path) -> str | None:
    """The digest ``stem``'s decoded array must have, or None when seminal cannot know it.

    Raises:
        DataFileError: the ``.gz`` this digest would come from does not have the published md5,
            or is not valid gzip data.
    """
    if stem in spec.sha256:
        return spec.sha256[stem]
    name = stem + ".gz"
    gz = directory / name
    if name not in spec.md5 or not gz.is_file():
        return None
    found = _md5(gz)
    if found != spec.md5[name]:
        raise DataFileError(gz, f"md5 {found} differs from the published {spec.md5[name]}, and seminal has no "
                                f"digest of the decoded {spec.name} arrays to check instead: the file is not the "
                                "published one")
    try:
        payload = gzip.decompress(gz.read_bytes())
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:  # pragma: no cover - md5 matched the published file
        raise DataFileError(gz, f"corrupt gzip data ({exc})") from exc
    return hashlib.sha256(memoryview(payload)[IDX_HEADER_BYTES[_kind(stem)]:]).hexdigest()


def check_content(spec: DatasetSpec, stem: str, array: torch.Tensor, expected: str | None, shown: Path) -> bool:
    """Compare ``array`` (decoded from ``shown``) with ``expected``; True when verified.

    Raises:
        DataFileError: the digest differs (names ``shown``).
    """
    if expected is None:
        return False
    found = array_sha256(array)
    if found != expected:
        raise DataFileError(
            shown,
            f"decoded {_kind(stem)} differ from the published {spec.name} file (sha256 {found[:16]}..., expected "
            f"{expected[:16]}...): pixels or labels were changed, or this is not the {spec.name} {stem} file",
        )
    return True
