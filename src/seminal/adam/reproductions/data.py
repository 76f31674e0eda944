"""MNIST as flat float vectors for the Adam experiments (§6.1, §6.2, §6.4).

Images are scaled to [0, 1] (the paper does not say how it scaled pixels) and flattened to 784
values. Loading and subsets come from the shared preparation, :func:`seminal.data.prepare_mnist`:
subsets (quick presets, the grid-search hold-out) are drawn with a fixed permutation so every
method and every run sees the same images, whatever the run's seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.data import TensorDataset

from seminal.data.prepare import SUBSET_SEED, flat_float, holdout_split, prepare_mnist
from seminal.experiments.registry import DataSource, RunContext

__all__ = ["FlatMNIST", "load_flat_mnist", "split_holdout", "SUBSET_SEED"]


@dataclass(frozen=True)
class FlatMNIST:
    """Training and test images as (N, 784) float32 in [0, 1] with int64 labels."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    description: str  # one sentence for comparison comments: which data, how many images
    is_fallback: bool

    def train_dataset(self) -> TensorDataset:
        return TensorDataset(self.train_x, self.train_y)


def _synthetic(num_train: int, num_test: int, seed: int) -> tuple[torch.Tensor, ...]:
    # Ten random "prototype digits" plus noise: learnable, so smoke runs see the loss fall.
    generator = torch.Generator().manual_seed(seed)
    prototypes = torch.rand(10, 784, generator=generator)

    def draw(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.randint(0, 10, (count,), generator=generator)
        noise = 0.3 * torch.randn(count, 784, generator=generator)
        return (prototypes[labels] + noise).clamp(0.0, 1.0), labels

    return (*draw(num_train), *draw(num_test))


def load_flat_mnist(ctx: RunContext, *, train_limit: int | None, test_limit: int | None,
                    synthetic: bool = False) -> FlatMNIST:
    """Load MNIST (or the offline fallback, or synthetic digits) as flat float tensors.

    ``train_limit``/``test_limit`` cap the number of images (None = all). The data used (full
    MNIST, the 5,000-digit fallback or synthetic digits, and how many images) is recorded on
    ``ctx`` (:meth:`RunContext.record_data`), which decides whether the run is reduced.
    """
    for name, limit in (("train_limit", train_limit), ("test_limit", test_limit)):
        if limit is not None and limit <= 0:
            raise ValueError(f"Invalid {name}: {limit} (expected a positive int or None)")
    if synthetic:
        train_x, train_y, test_x, test_y = _synthetic(train_limit or 1024, test_limit or 256, ctx.seed)
        ctx.record_data(DataSource("synthetic digits", "synthetic", "random prototypes, not MNIST", len(train_y), len(test_y)))
        return FlatMNIST(train_x, train_y, test_x, test_y,
                         f"synthetic digits ({len(train_y):,} train), not MNIST", False)

    prepared = prepare_mnist(dataset=ctx.dataset, data_dir=ctx.data_dir, progress=ctx.progress, note=ctx.note,
                             train_limit=train_limit, test_limit=test_limit)
    data = prepared.data
    ctx.record_data(DataSource.from_mnist(data, train=len(prepared.train_labels), test=None))  # the figures plot training cost
    train_y, test_y = prepared.train_labels, prepared.test_labels
    train_x, test_x = flat_float(prepared.train_images), flat_float(prepared.test_images)
    kind = "5k-digit offline fallback" if data.is_fallback else f"{data.dataset} ({data.source})"
    return FlatMNIST(train_x, train_y, test_x, test_y,
                     f"{kind}, {len(train_y):,} training images", data.is_fallback)


def split_holdout(images: torch.Tensor, labels: torch.Tensor, holdout: int) -> tuple[TensorDataset, TensorDataset]:
    """Split training images into (main, held-out) datasets by a fixed permutation.

    The held-out part is what the full presets' learning-rate grid search trains on; the main
    part is what the reported curves train on, so the chosen rates are not tuned on the run
    they are reported for.
    """
    main, held = holdout_split(len(labels), holdout, name="grid_holdout")
    return TensorDataset(images[main], labels[main]), TensorDataset(images[held], labels[held])
