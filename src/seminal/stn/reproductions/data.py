"""Source digits and distorted sets for the STN experiments (provenance noted in the report)."""

from __future__ import annotations

from torch.utils.data import TensorDataset

from seminal.experiments.registry import DataSource, RunContext
from seminal.stn.dataset import TEST_SEED, distorted_split

__all__ = ["load_source_digits", "distorted_sets"]


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
    test = distorted_split(name, data.test_images, data.test_labels, split="test", seed=TEST_SEED, count=test_count)
    return train.dataset(), test.dataset()
