"""Verified, atomic downloads.

A file is streamed into a temporary file beside its destination, its md5 checked against the
published value, and only then renamed into place. An interrupted or corrupt download leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from seminal.io import atomic_path

__all__ = ["DownloadError", "md5sum", "download_verified"]

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """No mirror delivered a file with the expected checksum."""


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_verified(
    filename: str,
    mirrors: tuple[str, ...] | list[str],
    md5: str,
    dest_dir: Path,
    *,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download ``filename`` from the first mirror that serves it with the right ``md5``.

    Raises:
        DownloadError: every mirror failed; the message lists each mirror's failure.
    """
    dest = Path(dest_dir) / filename
    failures: list[str] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        try:
            with atomic_path(dest) as tmp:
                _fetch(url, tmp, timeout=timeout, progress=progress)
                got = md5sum(tmp)
                if got != md5:
                    raise DownloadError(f"{url}: md5 {got} does not match the published {md5}")
            return dest
        except (urllib.error.URLError, OSError, DownloadError, ValueError) as exc:
            failures.append(f"{url}: {exc}")
    raise DownloadError(f"could not download {filename}:\n  " + "\n  ".join(failures))


def _fetch(url: str, target: Path, *, timeout: float, progress: bool) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "seminal"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(target, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(url), disable=not progress, leave=False)
        with bar:
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                bar.update(len(block))
