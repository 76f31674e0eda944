"""Distorted-MNIST datasets on disk: generated once per (source digits, set, split, count, seed).

Files live under ``seminal.data.cache_dir() / "stn"`` and are written atomically
(:mod:`seminal.io`); images are stored as uint8 (rounded from the [0, 1] bilinear output).
The cache key includes a fingerprint of the source digits, so the 5,000-digit offline fallback
and the full MNIST never share a file.

The **test split is fixed**: it is always generated from the source test digits with
:data:`TEST_SEED`, independent of the run's seed, so every model is scored on the same images.
Training sets use the run's seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import TensorDataset

from seminal.io import atomic_path
from seminal.stn.distortions import DISTORTIONS, distort

__all__ = ["TEST_SEED", "CACHE_VERSION", "DistortedSplit", "distorted_split", "stn_cache_dir", "subset_indices"]

#: Seed of every distorted test split (fixed so all models see the same test images).
TEST_SEED: int = 20150605
#: Seed of the fixed permutation that picks ``count`` source digits (same subset for every run).
SUBSET_SEED: int = 0
#: Bump when the generation changes, so stale cache files are not reused.
CACHE_VERSION: int = 2


@dataclass(frozen=True)
class DistortedSplit:
    """One split of a distorted set: uint8 images ``(N, 1, S, S)`` and int64 labels ``(N,)``."""

    name: str
    split: str
    images: torch.Tensor
    labels: torch.Tensor
    seed: int
    path: Path | None

    def dataset(self) -> TensorDataset:
        """A float32 [0, 1] ``TensorDataset(images, labels)`` for training/evaluation."""
        return TensorDataset(self.images.float().div_(255.0), self.labels)


def stn_cache_dir() -> Path:
    from seminal.data import cache_dir

    return cache_dir() / "stn"


def _fingerprint(images: torch.Tensor, labels: torch.Tensor) -> str:
    digest = hashlib.sha1()
    digest.update(images.contiguous().numpy().tobytes())
    digest.update(labels.contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def subset_indices(total: int, count: int | None) -> torch.Tensor:
    """Which of ``total`` source digits a set of ``count`` uses (None: all, in a fixed order).

    A fixed permutation (source files may be sorted by class; the offline fallback is), then a
    prefix of it: the first N digits are the same for every count.
    """
    order = torch.randperm(total, generator=torch.Generator().manual_seed(SUBSET_SEED))
    return order if count is None else order[:count]


def distorted_split(
    name: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    split: str,
    seed: int,
    count: int | None = None,
    cache: bool = True,
) -> DistortedSplit:
    """Distort ``count`` source digits (uint8 ``(N, 28, 28)``) with set ``name``.

    Args:
        name: one of ``R, RTS, P, E, TC``.
        images, labels: source digits of one split (from :func:`seminal.data.load_mnist`).
        split: ``"train"`` or ``"test"`` (part of the cache key).
        seed: generation seed (use :data:`TEST_SEED` for test splits).
        count: use only ``count`` digits (None: all), the first ``count`` of a fixed permutation
            of the source digits. Image ``i`` of the result depends on ``(seed, i)`` only, so the
            first ``N`` images are the same whatever ``count`` (``N ≤ count``).
        cache: read/write ``<cache>/stn/<file>.pt``.
    """
    if name not in DISTORTIONS:
        raise ValueError(f"Invalid distortion: {name!r} (expected one of {DISTORTIONS})")
    if split not in ("train", "test"):
        raise ValueError(f"Invalid split: {split!r} (expected 'train' or 'test')")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ValueError(f"Invalid count: {count!r} (expected a positive int or None)")
    keep = subset_indices(images.shape[0], count)
    images, labels = images[keep], labels[keep]
    path = None
    if cache:
        key = f"{name}-{split}-{_fingerprint(images, labels)}-n{images.shape[0]}-seed{seed}-v{CACHE_VERSION}.pt"
        path = stn_cache_dir() / key
        if path.is_file():
            try:
                stored = torch.load(path, map_location="cpu", weights_only=True)
                return DistortedSplit(name, split, stored["images"], stored["labels"], seed, path)
            except Exception:  # a corrupt or foreign file: regenerate it below
                pass
    warped = distort(name, images, seed)
    stored_images = warped.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
    result = DistortedSplit(name, split, stored_images, labels.clone(), seed, path)
    if path is not None:
        with atomic_path(path) as tmp:
            torch.save({"images": result.images, "labels": result.labels}, tmp)
    return result
