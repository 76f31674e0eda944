"""CIFAR-10 for Fig. 3: finding or downloading the files, loading them, ZCA whitening.

Where the files (torchvision's ``cifar-10-batches-py`` folder) are looked for, in the order
MNIST uses (:mod:`seminal.data.mnist`):

1. ``data_dir`` (``--data-dir``) if given -- and only there: if the files are missing they are
   downloaded into it;
2. ``$SEMINAL_DATA_DIR``;
3. the seminal data cache, ``<cache>/data`` (:func:`seminal.data.paths.data_cache_dir`);
4. a download into the cache (skipped when ``$SEMINAL_NO_DOWNLOAD=1``).

A download goes through torchvision's ``CIFAR10(download=True)``, which checks the archive's
published md5 and then every extracted file's md5. It runs in a hidden staging folder beside the
destination; only a verified folder is renamed into place, and a failed or corrupt download
removes the staging folder, so it never leaves a file behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import torch

__all__ = [
    "CIFAR_FILES",
    "CIFAR_FOLDER",
    "apply_whitening",
    "cifar10_unavailable_reason",
    "download_cifar10",
    "ensure_cifar10",
    "find_cifar10_root",
    "load_cifar10",
    "missing_cifar10_files",
    "zca_whitening",
]

#: The folder torchvision's CIFAR10 dataset reads (``<root>/cifar-10-batches-py``).
CIFAR_FOLDER = "cifar-10-batches-py"
#: The files of that folder (torchvision checks each one's md5 when it loads them).
CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
               "batches.meta")


def _candidate_roots(data_dir: Path | None) -> list[Path]:
    from seminal.data.paths import data_cache_dir, env_data_dir

    if data_dir is not None:  # a folder named on the command line is the only place looked in
        return [Path(data_dir).expanduser()]
    return [Path(r).expanduser() for r in (env_data_dir(), data_cache_dir()) if r is not None]


def missing_cifar10_files(root: Path) -> list[str]:
    """The files of ``CIFAR_FILES`` absent from ``root/cifar-10-batches-py``."""
    return [name for name in CIFAR_FILES if not (Path(root) / CIFAR_FOLDER / name).is_file()]


def find_cifar10_root(data_dir: Path | None = None) -> Path | None:
    """The first searched root whose ``cifar-10-batches-py`` holds every file, or None."""
    for root in _candidate_roots(data_dir):
        if not missing_cifar10_files(root):
            return root
    return None


def _download_target(data_dir: Path | None) -> Path:
    from seminal.data.paths import data_cache_dir

    return Path(data_dir).expanduser() if data_dir is not None else data_cache_dir()


def cifar10_unavailable_reason(data_dir: Path | None = None) -> str | None:
    """None when CIFAR-10 is on disk or can be downloaded; else what is missing, and where."""
    from seminal.data.paths import downloads_disabled

    if find_cifar10_root(data_dir) is not None or not downloads_disabled():
        return None
    looked = "; ".join(f"{root / CIFAR_FOLDER}: missing {', '.join(missing_cifar10_files(root))}"
                       for root in _candidate_roots(data_dir))
    return (f"CIFAR-10 not found ({looked}) and downloads are disabled ($SEMINAL_NO_DOWNLOAD); unset it to "
            f"download it (170 MB, md5-verified) into {_download_target(data_dir)}, or put torchvision's "
            f"'{CIFAR_FOLDER}' folder under --data-dir, $SEMINAL_DATA_DIR or the seminal data cache")


def download_cifar10(target: Path) -> Path:
    """Download and verify CIFAR-10 into ``target/cifar-10-batches-py``; return ``target``.

    Raises:
        seminal.data.DownloadError: the download failed or a checksum did not match; nothing is
            left in ``target`` (an existing incomplete folder there is kept as it was).
    """
    from torchvision.datasets import CIFAR10

    from seminal.data import DownloadError

    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".cifar10-download-", dir=target))
    try:
        CIFAR10(str(staging), train=True, download=True)  # archive md5, extraction, every file's md5
        CIFAR10(str(staging), train=False, download=False)  # the test batch and the meta file load
        final = target / CIFAR_FOLDER
        if final.exists():  # an incomplete folder from an earlier attempt: replace it
            shutil.rmtree(final)
        os.replace(staging / CIFAR_FOLDER, final)
    except Exception as exc:  # torchvision raises RuntimeError on a bad md5, URLError/OSError offline
        raise DownloadError(f"could not download CIFAR-10 into {target}: {type(exc).__name__}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_cifar10(data_dir: Path | None = None) -> Path:
    """The root holding ``cifar-10-batches-py``: found on disk, or downloaded (see the module docstring).

    Raises:
        seminal.data.DataUnavailableError: not on disk and downloads are disabled.
        seminal.data.DownloadError: the download failed.
    """
    from seminal.data import DataUnavailableError

    root = find_cifar10_root(data_dir)
    if root is not None:
        return root
    reason = cifar10_unavailable_reason(data_dir)
    if reason is not None:
        raise DataUnavailableError(reason)
    return download_cifar10(_download_target(data_dir))


def load_cifar10(root: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train images (50000, 3, 32, 32) float in [0, 1], labels, test images, labels); no download.

    torchvision checks every file's md5 here and raises RuntimeError on a corrupt file.
    """
    from torchvision.datasets import CIFAR10

    def convert(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
        dataset = CIFAR10(str(root), train=train, download=False)
        images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).float().div_(255.0)  # (N, 3, 32, 32)
        return images.contiguous(), torch.tensor(dataset.targets, dtype=torch.int64)

    return (*convert(True), *convert(False))


def zca_whitening(train: torch.Tensor, epsilon: float = 1e-2) -> tuple[torch.Tensor, torch.Tensor]:
    """ZCA whitening fitted on ``train`` (N, 3, 32, 32): returns (mean (3072,), W (3072, 3072)).

    Whitened x = (x − mean) W with W = U diag(1/sqrt(λ + ε)) Uᵀ from the eigendecomposition of
    the pixel covariance. The paper says only "whitened"; ZCA with ε = 1e-2 is our choice.
    """
    flat = train.reshape(len(train), -1).double()
    mean = flat.mean(0)
    centred = flat - mean
    covariance = centred.T @ centred / (len(flat) - 1)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)
    whitening = eigenvectors @ torch.diag(1.0 / torch.sqrt(eigenvalues.clamp_min(0.0) + epsilon)) @ eigenvectors.T
    return mean.float(), whitening.float()


def apply_whitening(images: torch.Tensor, mean: torch.Tensor, whitening: torch.Tensor) -> torch.Tensor:
    """Whiten (N, 3, 32, 32) images with a fitted (mean, W); same shape out."""
    flat = images.reshape(len(images), -1)
    return ((flat - mean) @ whitening).reshape(images.shape)
