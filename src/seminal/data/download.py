"""Verified, atomic downloads through torchvision's dataset classes.

torchvision's ``download()`` fetches each ``.gz``, checks it against its published md5 and
decompresses it. It writes in place, though, leaves a half-written or wrong file behind when it
fails, has no timeout, and moves to its next mirror only on a refused connection. seminal
therefore offers it one mirror at a time (with a socket timeout), lets it download into a fresh
staging folder beside the destination, verifies the decoded content there
(:mod:`seminal.data.verify`), and only then moves each file into ``<root>/<Folder>/raw/`` with an
atomic rename. A failed or interrupted download leaves nothing in the destination.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import tempfile
import urllib.error
from collections.abc import Iterator
from pathlib import Path

from seminal.data.catalog import DatasetSpec
from seminal.data.errors import DataFileError, DownloadError
from seminal.data.files import read_dataset_dir_uncached

__all__ = ["DownloadError", "download_dataset"]


@contextlib.contextmanager
def _download_settings(timeout: float, progress: bool) -> Iterator[None]:
    # torchvision opens URLs without a timeout and always draws a progress bar: a default socket
    # timeout bounds a stalled mirror, and its module's bar factory is swapped for a silent one.
    import torchvision.datasets.utils as tv_utils

    previous_timeout, previous_bar = socket.getdefaulttimeout(), tv_utils.tqdm
    socket.setdefaulttimeout(timeout)
    if not progress:
        tv_utils.tqdm = functools.partial(previous_bar, disable=True)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous_timeout)
        tv_utils.tqdm = previous_bar


def _from_mirror(spec: DatasetSpec, mirror: str) -> type:
    """torchvision's class for ``spec`` with one mirror and the spec's md5s (same folder name)."""
    cls = spec.torchvision_class
    return type(cls.__name__, (cls,), {"mirrors": [mirror], "resources": list(spec.md5.items())})


def download_dataset(spec: DatasetSpec, root: Path, *, timeout: float = 30.0, progress: bool = True) -> Path:
    """Download ``spec`` into ``root/<Folder>/raw/`` (the ``.gz`` files and their decompressed twins).

    Mirrors are tried one at a time (torchvision moves to its next mirror on a refused connection
    but not on a timeout); files a mirror delivered with the right md5 are kept for the next.

    Returns:
        The folder holding the verified files.

    Raises:
        DownloadError: every mirror failed for some file, or what arrived is not the dataset.
    """
    raw = Path(root) / spec.folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=raw.parent))
    try:
        failures: list[str] = []
        for mirror in spec.mirrors:
            try:
                with _download_settings(timeout, progress):
                    _from_mirror(spec, mirror)(root=str(staging), train=True, download=True)
                break
            except (RuntimeError, urllib.error.URLError, OSError) as exc:
                failures.append(f"{mirror}: {' '.join(str(exc).split()) or type(exc).__name__}")
        else:
            raise DownloadError(f"could not download {spec.name} (each .gz is checked against its published md5): "
                                + "; ".join(failures))
        staged = staging / spec.folder / "raw"
        try:
            read_dataset_dir_uncached(staged, spec)
        except DataFileError as exc:
            raise DownloadError(f"the downloaded {spec.name} files are not the published ones: {exc}") from exc
        for path in sorted(staged.iterdir()):
            os.replace(path, raw / path.name)
        return raw
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in (raw, raw.parent):  # a failed download leaves no empty folders behind either
            with contextlib.suppress(OSError):
                folder.rmdir()
