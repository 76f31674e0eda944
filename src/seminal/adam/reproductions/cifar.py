"""CIFAR-10 for Fig. 3: finding the files, loading them, ZCA whitening.

CIFAR-10 is never downloaded here: :func:`find_cifar10_root` looks for torchvision's
``cifar-10-batches-py`` folder under ``--data-dir``, ``$SEMINAL_DATA_DIR`` and the seminal data
cache, and the experiment reports itself unavailable when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["CIFAR_FOLDER", "find_cifar10_root", "load_cifar10", "zca_whitening", "apply_whitening"]

#: The folder torchvision's CIFAR10 dataset reads (``<root>/cifar-10-batches-py``).
CIFAR_FOLDER = "cifar-10-batches-py"


def _candidate_roots(data_dir: Path | None) -> list[Path]:
    from seminal.data.paths import data_cache_dir, env_data_dir

    roots = [data_dir, env_data_dir(), data_cache_dir()]
    return [Path(r).expanduser() for r in roots if r is not None]


def find_cifar10_root(data_dir: Path | None = None) -> Path | None:
    """The first root holding ``cifar-10-batches-py/data_batch_1`` (torchvision layout), or None."""
    for root in _candidate_roots(data_dir):
        if (root / CIFAR_FOLDER / "data_batch_1").is_file():
            return root
    return None


def load_cifar10(root: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train images (50000, 3, 32, 32) float in [0, 1], labels, test images, labels); no download."""
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
