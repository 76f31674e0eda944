"""One MNIST preparation: Adam's fixed subsets, the GAN's train/validation split, STN's source digits."""

from __future__ import annotations

import pytest
import torch

import seminal.data
from seminal.data import MNISTData, fixed_subset, flat_float, holdout_split, prepare_mnist
from seminal.data.prepare import HOLDOUT_SEED, SHUFFLED_SPLIT_SEED, SUBSET_SEED


def _stand_in(n_train: int, n_test: int = 50, *, sorted_by_class: bool = False) -> MNISTData:
    labels = (torch.arange(n_train) * 10 // n_train) if sorted_by_class else torch.arange(n_train) % 10
    images = torch.arange(n_train * 784).reshape(n_train, 28, 28).remainder(251).to(torch.uint8)
    images[:, 0, 0] = torch.arange(n_train).remainder(256).to(torch.uint8)
    test_labels = torch.arange(n_test) % 10
    test_images = torch.zeros(n_test, 28, 28, dtype=torch.uint8)
    test_images[:, 0, 1] = torch.arange(n_test).to(torch.uint8)
    return MNISTData(images, labels, test_images, test_labels, "mnist", "stand-in", sorted_by_class, "stand-in note")


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch):
    """Substitute the loader: prepare_mnist must go through seminal.data.load_mnist (calls recorded)."""
    calls: list[dict] = []

    def use(data: MNISTData) -> list[dict]:
        monkeypatch.setattr(seminal.data, "load_mnist", lambda **kw: calls.append(kw) or data)
        return calls

    return use


def test_seeds_are_the_ones_each_paper_used_before() -> None:
    assert (SUBSET_SEED, HOLDOUT_SEED, SHUFFLED_SPLIT_SEED) == (1412_6980, 1412_6981, 0)


def test_fixed_subsets_are_adams_permutation(loaded) -> None:
    data = _stand_in(300)
    calls = loaded(data)
    prepared = prepare_mnist(dataset="mnist", data_dir=None, progress=False, train_limit=40, test_limit=7)
    order = torch.randperm(300, generator=torch.Generator().manual_seed(1412_6980))[:40]
    assert torch.equal(prepared.train_images, data.train_images[order])
    assert torch.equal(prepared.train_labels, data.train_labels[order])
    test_order = torch.randperm(50, generator=torch.Generator().manual_seed(1412_6980))[:7]
    assert torch.equal(prepared.test_labels, data.test_labels[test_order])
    assert calls == [{"dataset": "mnist", "data_dir": None, "progress": False}]  # loaded once
    assert prepared.valid_images.shape == (0, 28, 28)


def test_no_option_gives_every_image_in_file_order(loaded) -> None:
    data = _stand_in(120)
    loaded(data)
    prepared = prepare_mnist()
    assert prepared.train_images is data.train_images and prepared.test_images is data.test_images
    assert prepared.data is data


def test_a_train_validation_split_is_in_file_order_when_there_are_enough_images(loaded) -> None:
    data = _stand_in(500)
    loaded(data)
    notes: list[str] = []
    prepared = prepare_mnist(validation=(300, 150), note=notes.append)
    assert torch.equal(prepared.train_images, data.train_images[:300])
    assert torch.equal(prepared.valid_images, data.train_images[300:450])
    assert prepared.split_note == "train = training images 0-299, validation = 300-449" and notes == []


def test_a_split_of_too_few_class_sorted_images_is_shuffled_by_a_fixed_order_and_noted(loaded) -> None:
    data = _stand_in(400, sorted_by_class=True)
    loaded(data)
    notes: list[str] = []
    prepared = prepare_mnist(validation=(10_000, 1_000), note=notes.append)
    order = torch.randperm(400, generator=torch.Generator().manual_seed(0))
    assert torch.equal(prepared.train_labels, data.train_labels[order[:300]])
    assert torch.equal(prepared.valid_labels, data.train_labels[order[300:]])
    assert set(prepared.train_labels.tolist()) == set(range(10))
    assert notes == [prepared.split_note] and "fixed random order" in prepared.split_note


def test_holdout_split_is_fixed_and_disjoint() -> None:
    kept, held = holdout_split(100, 30, name="grid_holdout")
    order = torch.randperm(100, generator=torch.Generator().manual_seed(1412_6981))
    assert torch.equal(held, order[:30]) and torch.equal(kept, order[30:])


def test_flat_float_scales_to_unit_interval() -> None:
    images = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)
    assert torch.equal(flat_float(images), torch.tensor([[0.0, 1.0, 0.2, 0.4]]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"train_limit": -5}, ValueError, "train_limit must be positive, got -5"),
        ({"train_limit": 0}, ValueError, "train_limit must be positive"),
        ({"test_limit": 2.5}, TypeError, "test_limit must be an int or None"),
        ({"test_limit": True}, TypeError, "test_limit must be an int or None"),
        ({"validation": (100, -1)}, ValueError, "validation n_valid must be non-negative, got -1"),
        ({"validation": (-100, 10)}, ValueError, "validation n_train must be positive"),
        ({"validation": 100}, TypeError, "validation must be a \\(n_train, n_valid\\) pair"),
        ({"validation": (100, 10), "train_limit": 5}, ValueError, "cannot be combined"),
    ],
)
def test_bad_sizes_name_the_argument(loaded, kwargs: dict, error: type, message: str) -> None:
    calls = loaded(_stand_in(50))
    with pytest.raises(error, match=message):
        prepare_mnist(**kwargs)
    assert calls == []  # refused before loading anything


@pytest.mark.parametrize(("args", "message"), [((-1,), "limit must be positive"), ((3, ), None)])
def test_fixed_subset_checks_its_limit(args: tuple, message: str | None) -> None:
    images, labels = torch.zeros(10, 28, 28, dtype=torch.uint8), torch.arange(10)
    if message:
        with pytest.raises(ValueError, match=message):
            fixed_subset(images, labels, *args)
    else:
        assert fixed_subset(images, labels, *args)[1].shape == (3,)


@pytest.mark.parametrize("holdout", [0, 100, -3, 2.0])
def test_holdout_split_rejects_bad_sizes(holdout) -> None:
    with pytest.raises(ValueError, match="Invalid grid_holdout"):
        holdout_split(100, holdout, name="grid_holdout")
