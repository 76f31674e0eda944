"""Source digits and distorted sets for the STN experiments (provenance noted in the report)."""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

from seminal.experiments.registry import DataSource, RunContext
from seminal.stn.dataset import TEST_SEED, distorted_split, subset_indices
from seminal.stn.distortions import DISTORTIONS, block_generator, distort_batch

__all__ = ["load_source_digits", "distorted_sets", "distorted_test_set", "clean_train_digits", "FreshDistortions"]

#: Added to the run's seed for the generators of :class:`FreshDistortions` (apart from the fixed sets').
FRESH_SEED_OFFSET = 4_242


def load_source_digits(ctx: RunContext):  # -> seminal.data.MNISTData
    """All of MNIST from :func:`seminal.data.prepare_mnist`, recorded on ``ctx`` (full MNIST or the 5k fallback)."""
    from seminal.data import prepare_mnist

    data = prepare_mnist(dataset=ctx.dataset, data_dir=ctx.data_dir, progress=ctx.progress, note=ctx.note).data
    ctx.record_data(DataSource.from_mnist(data))
    return data


def distorted_sets(
    data, name: str, *, train_seed: int, train_count: int | None, test_count: int | None
) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) float datasets of distorted set ``name``; the test split uses :data:`TEST_SEED`."""
    train = distorted_split(name, data.train_images, data.train_labels, split="train", seed=train_seed, count=train_count)
    return train.dataset(), distorted_test_set(data, name, test_count)


def distorted_test_set(data, name: str, test_count: int | None) -> TensorDataset:
    """The fixed test split of distorted set ``name`` (generated with :data:`TEST_SEED`)."""
    return distorted_split(name, data.test_images, data.test_labels, split="test", seed=TEST_SEED, count=test_count).dataset()


def clean_train_digits(data, count: int | None) -> TensorDataset:
    """The undistorted training digits as float ``(N, 1, 28, 28)`` in [0, 1] with their labels:
    the same ``count`` digits that :func:`seminal.stn.dataset.distorted_split` would distort."""
    keep = subset_indices(data.train_images.shape[0], count)
    return TensorDataset(data.train_images[keep].float().div(255.0).unsqueeze(1), data.train_labels[keep])


class FreshDistortions:
    """A ``batch_transform`` for :func:`~seminal.stn.reproductions.train.train_classifier`: every
    training batch of clean digits is distorted afresh with set ``name``.

    Batch ``step`` draws from a generator seeded from ``(seed, step)``, so a resumed run sees the
    same batches as an uninterrupted one. The distortion runs on the CPU (where the generators
    are); the result goes back to the batch's device. On CUDA that is a copy to the host and back
    every step: fine for the CPU laptop preset that uses it, not for a GPU schedule (the full
    preset trains on fixed distorted sets, kept on the device).
    """

    def __init__(self, name: str, seed: int) -> None:
        if name not in DISTORTIONS:
            raise ValueError(f"Invalid distortion: {name!r} (expected one of {DISTORTIONS})")
        self.name = name
        self.seed = int(seed) + FRESH_SEED_OFFSET

    def __call__(self, images: torch.Tensor, step: int) -> torch.Tensor:
        out = distort_batch(self.name, images.cpu(), block_generator(self.seed, step))
        return out.to(images.device, non_blocking=True)
