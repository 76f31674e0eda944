"""gan-fig2's nearest-training-image check: real digits pass it; copies, noise, one-digit and
average-image "samples" fail it (the old pixel-ratio check let poor samples agree)."""

from __future__ import annotations

import pytest
import torch

from seminal.gan.reproductions.fig2 import nearest_neighbour_check


_features = None


def _pooled(images: torch.Tensor) -> torch.Tensor:
    assert _features is not None
    return _features(images)


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    # real digits (the offline fallback or MNIST) and the run's kind of feature classifier, trained briefly
    global _features
    from seminal.data import load_mnist
    from seminal.gan.classifier import load_or_train_classifier

    data = load_mnist(download=False)
    order = torch.randperm(data.train_images.shape[0], generator=torch.Generator().manual_seed(0))
    images = data.train_images[order].reshape(-1, 784).float() / 255.0
    labels = data.train_labels[order]
    train, train_labels, held_out, held_out_labels = images[:3000], labels[:3000], images[3000:3400], labels[3000:3400]
    net, _ = load_or_train_classifier(train, train_labels, held_out, held_out_labels, dataset="mnist", source="test",
                                      epochs=2, cache_root=tmp_path_factory.mktemp("cache"))
    _features = net.features
    return train, train_labels, held_out, held_out_labels


def test_real_held_out_digits_pass(digits) -> None:
    train, _, held_out, _ = digits
    check = nearest_neighbour_check(held_out[200:], held_out[:200], train, _pooled, 200)
    assert check.agrees, check


def test_copies_of_training_images_fail_as_memorised(digits) -> None:
    train, _, held_out, _ = digits
    check = nearest_neighbour_check(train[:200], held_out[:200], train, _pooled, 200)
    assert not check.not_memorised and not check.agrees, check


def test_noise_fails(digits) -> None:
    train, _, held_out, _ = digits
    noise = (torch.rand(200, 784, generator=torch.Generator().manual_seed(1)) < 0.15).float()
    check = nearest_neighbour_check(noise, held_out[:200], train, _pooled, 200)
    assert not (check.look_like_digits and check.cover_the_digits) and not check.agrees, check


def test_one_digit_only_fails_as_digits_missing(digits) -> None:
    train, train_labels, held_out, held_out_labels = digits
    ones = held_out[held_out_labels == 1]
    ones = ones.repeat(200 // ones.shape[0] + 1, 1)[:200]
    check = nearest_neighbour_check(ones, held_out[:200], train, _pooled, 200)
    assert not check.cover_the_digits and not check.agrees, check


def test_the_average_image_fails(digits) -> None:
    train, _, held_out, _ = digits
    average = train.mean(dim=0, keepdim=True).repeat(200, 1)
    check = nearest_neighbour_check(average, held_out[:200], train, _pooled, 200)
    assert not check.agrees, check
