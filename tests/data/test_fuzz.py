"""Fuzz of the data layer's public functions: every input gives a result or a clear, typed error."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seminal.data
from seminal.data import DataUnavailableError, MNISTData, load_mnist, prepare_mnist

_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_SIZES = st.one_of(st.none(), st.integers(-5, 700), st.booleans(), st.floats(allow_nan=True), st.text(max_size=3))


@_SETTINGS
@given(dataset=st.one_of(st.sampled_from(["mnist", "kmnist", "fashion-mnist"]), st.text(max_size=8), st.integers()),
       data_dir=st.one_of(st.none(), st.text(max_size=12), st.integers()),
       flag=st.one_of(st.booleans(), st.integers(0, 1), st.none()))
def test_load_mnist_refuses_clearly(dataset, data_dir, flag, monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    try:
        data = load_mnist(dataset, data_dir=data_dir, download=flag, allow_fallback=True, progress=True)
    except (ValueError, TypeError, DataUnavailableError) as exc:
        assert str(exc) and ("dataset" in str(exc) or "data_dir" in str(exc) or "download" in str(exc)
                             or "no " in str(exc)), exc
        return
    assert data.train_images.dtype == torch.uint8 and data.train_images.shape[1:] == (28, 28)


@_SETTINGS
@given(train_limit=_SIZES, test_limit=_SIZES, validation=st.one_of(st.none(), st.tuples(_SIZES, _SIZES)))
def test_prepare_mnist_gives_the_asked_sizes_or_names_the_argument(train_limit, test_limit, validation,
                                                                   monkeypatch) -> None:
    labels = torch.arange(500) % 10
    images = torch.zeros(500, 28, 28, dtype=torch.uint8)
    stand_in = MNISTData(images, labels, images[:60], labels[:60], "mnist", "stand-in", False, "note")
    monkeypatch.setattr(seminal.data, "load_mnist", lambda **_: stand_in)
    try:
        prepared = prepare_mnist(train_limit=train_limit, test_limit=test_limit, validation=validation)
    except (ValueError, TypeError) as exc:
        assert any(name in str(exc) for name in ("train_limit", "test_limit", "validation")), exc
        return
    assert len(prepared.test_labels) == min(test_limit or 60, 60)
    if validation is None:
        assert len(prepared.train_labels) == min(train_limit or 500, 500)
    else:
        n_train, n_valid = validation
        assert len(prepared.train_labels) + len(prepared.valid_labels) <= 500
        assert len(prepared.valid_labels) <= max(n_valid, 1)
        if n_train < 500:
            assert len(prepared.train_labels) == n_train

