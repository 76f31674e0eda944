"""The three papers' MNIST loaders are thin calls of the one preparation, and cut what they cut before."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import torch

import seminal.data
from seminal.data import MNISTData
from seminal.experiments.registry import RunContext


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> MNISTData:
    labels = torch.arange(600) % 10
    images = torch.arange(600 * 784).reshape(600, 28, 28).remainder(253).to(torch.uint8)
    data = MNISTData(images, labels, images[:80], labels[:80], "mnist", "stand-in", False, "stand-in note")
    monkeypatch.setattr(seminal.data, "load_mnist", lambda **_: data)
    return data


def test_each_paper_prepares_mnist_through_the_core_only() -> None:
    from seminal.adam.reproductions import data as adam_data
    from seminal.gan.reproductions import common as gan_common
    from seminal.stn.reproductions import data as stn_data

    for module in (adam_data, gan_common, stn_data):
        source = inspect.getsource(module)
        assert "prepare_mnist(" in source and "load_mnist(" not in source and "randperm" not in source, module.__name__


def test_adam_subsets_are_unchanged(stand_in: MNISTData, tmp_path: Path) -> None:
    from seminal.adam.reproductions.data import load_flat_mnist

    flat = load_flat_mnist(RunContext(out_dir=tmp_path, seed=3, progress=False), train_limit=100, test_limit=20)
    order = torch.randperm(600, generator=torch.Generator().manual_seed(1412_6980))[:100]
    assert torch.equal(flat.train_x, stand_in.train_images[order].reshape(100, 784).float() / 255.0)
    assert torch.equal(flat.train_y, stand_in.train_labels[order])
    assert flat.test_x.shape == (20, 784) and not flat.is_fallback


def test_gan_split_is_unchanged(stand_in: MNISTData, tmp_path: Path) -> None:
    from seminal.gan.reproductions.common import load_gan_data
    from seminal.gan.trainer import GANTrainConfig

    cfg = GANTrainConfig(n_train=500, n_valid=60)
    data = load_gan_data(cfg, RunContext(out_dir=tmp_path, seed=0, progress=False))
    assert torch.equal(data.train, stand_in.train_images[:500].reshape(-1, 784).float() / 255.0)
    assert torch.equal(data.valid, stand_in.train_images[500:560].reshape(-1, 784).float() / 255.0)
    assert data.test.shape == (80, 784) and data.split_note == "train = training images 0-499, validation = 500-559"


def test_stn_gets_every_source_digit_and_records_where_from(stand_in: MNISTData, tmp_path: Path) -> None:
    from seminal.stn.reproductions.data import load_source_digits

    ctx = RunContext(out_dir=tmp_path, seed=0, progress=False)
    assert load_source_digits(ctx) is stand_in and ctx.notes == []
    assert [(d.detail, d.kind, d.train, d.test) for d in ctx.data] == [("stand-in", "full", 600, 80)]
