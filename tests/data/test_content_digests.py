"""Decoded-content digests: altered pixels or labels in well-formed files are refused, naming the file."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

import seminal.data.files as files_module
from seminal.data import DATASETS, DataFileError, load_mnist
from tests.data.idx_files import alter_one_pixel, payloads, write_dataset

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize(("stem", "offset"), [("train-images-idx3-ubyte", 16 + 300), ("t10k-labels-idx1-ubyte", 8 + 5)])
def test_an_altered_pixel_or_label_with_a_valid_header_is_refused(tmp_path: Path, small_mnist_spec, compressed: bool,
                                                                  stem: str, offset: int) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_dataset(raw, compressed=compressed)
    altered = alter_one_pixel(payloads()[stem], offset)
    target = raw / (stem + ".gz" if compressed else stem)
    target.write_bytes(gzip.compress(altered) if compressed else altered)  # re-gzipped: header and md5 both new
    with pytest.raises(DataFileError, match=rf"{target.name}: decoded .* differ from the published mnist file"):
        load_mnist(data_dir=tmp_path, download=False)


def test_a_file_changed_after_a_verified_load_is_verified_again(tmp_path: Path, small_mnist_spec) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_dataset(raw)
    load_mnist(data_dir=tmp_path, download=False)
    stem = "t10k-images-idx3-ubyte"
    (raw / (stem + ".gz")).write_bytes(gzip.compress(alter_one_pixel(payloads()[stem])))
    with pytest.raises(DataFileError, match=stem):
        load_mnist(data_dir=tmp_path, download=False)


def test_a_tampered_unpacked_copy_is_rebuilt_from_its_source(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    # .gz files outside torchvision's layout are unpacked into the cache; that copy is checked too,
    # and a bad copy is seminal's problem, not the source's: it is made again.
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    write_dataset(tmp_path / "flat")
    load_mnist(data_dir=tmp_path / "flat", download=False)
    (copy,) = (tmp_path / "cache" / "data" / "unpacked").rglob("t10k-labels-idx1-ubyte")
    copy.write_bytes(alter_one_pixel(copy.read_bytes(), 8 + 1))
    files_module._VERIFIED.clear()
    data = load_mnist(data_dir=tmp_path / "flat", download=False)
    assert data.test_labels.tolist() == list(payloads()["t10k-labels-idx1-ubyte"][8:])
    assert copy.read_bytes() == payloads()["t10k-labels-idx1-ubyte"]


def test_a_read_only_cache_unpacks_into_a_temporary_folder(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache should be: nothing can be written under it")
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(not_a_folder))
    write_dataset(tmp_path / "flat")
    data = load_mnist(data_dir=tmp_path / "flat", download=False)
    assert data.train_labels.tolist() == list(payloads()["train-labels-idx1-ubyte"][8:])


def test_verification_is_done_once_per_process(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    import seminal.data.verify as verify_module

    write_dataset(tmp_path / "MNIST" / "raw")
    calls = []
    real = verify_module.array_sha256
    monkeypatch.setattr(verify_module, "array_sha256", lambda a: calls.append(1) or real(a))
    first = load_mnist(data_dir=tmp_path, download=False)
    second = load_mnist(data_dir=tmp_path, download=False)
    assert len(calls) == 4 and second.train_images is first.train_images


def test_the_catalog_has_digests_for_mnist_and_fashion_mnist_only() -> None:
    assert set(DATASETS["mnist"].sha256) == set(DATASETS["fashion-mnist"].sha256) == set(
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
    assert DATASETS["kmnist"].sha256 == {}  # seminal had no KMNIST copy: .gz md5 only


def test_kmnist_gz_with_the_published_md5_is_verified(tmp_path: Path, small_kmnist_spec) -> None:
    write_dataset(tmp_path / "KMNIST" / "raw")
    data = load_mnist("kmnist", data_dir=tmp_path, download=False)
    assert data.train_images.shape[0] == 30 and "NOT VERIFIED" not in data.note


def test_kmnist_regzipped_file_is_refused_by_its_md5(tmp_path: Path, small_kmnist_spec) -> None:
    raw = tmp_path / "KMNIST" / "raw"
    write_dataset(raw)
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(payloads()["train-labels-idx1-ubyte"], mtime=1))
    with pytest.raises(DataFileError, match=r"train-labels-idx1-ubyte\.gz: md5 .* differs from the published"):
        load_mnist("kmnist", data_dir=tmp_path, download=False)


def test_kmnist_decompressed_twin_must_match_its_gz(tmp_path: Path, small_kmnist_spec) -> None:
    raw = tmp_path / "KMNIST" / "raw"
    write_dataset(raw)
    write_dataset(raw, compressed=False)
    stem = "t10k-images-idx3-ubyte"
    (raw / stem).write_bytes(alter_one_pixel(payloads()[stem]))  # torchvision reads this one
    with pytest.raises(DataFileError, match=rf"{stem}: decoded images differ"):
        load_mnist("kmnist", data_dir=tmp_path, download=False)


def test_kmnist_without_gz_loads_but_says_it_is_unverified(tmp_path: Path, small_kmnist_spec) -> None:
    write_dataset(tmp_path / "KMNIST" / "raw", compressed=False)
    data = load_mnist("kmnist", data_dir=tmp_path, download=False)
    assert "CONTENT NOT VERIFIED" in data.note


@pytest.mark.data
def test_real_mnist_with_one_changed_pixel_is_refused(tmp_path: Path, full_mnist_dir) -> None:
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(full_mnist_dir, raw)
    stem = "t10k-images-idx3-ubyte"
    source = full_mnist_dir / (stem + ".gz")
    payload = gzip.decompress(source.read_bytes()) if source.is_file() else (full_mnist_dir / stem).read_bytes()
    for name in (stem + ".gz", stem):
        (raw / name).unlink(missing_ok=True)
    (raw / stem).write_bytes(alter_one_pixel(payload, 16 + 28 * 14 + 14))  # placed uncompressed
    with pytest.raises(DataFileError, match=rf"{stem}: decoded images differ from the published mnist file"):
        load_mnist(data_dir=tmp_path, download=False)


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_matches_the_digests(monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    data = load_mnist("fashion-mnist", download=False)
    assert str(FASHION_DIR) in data.source and "NOT VERIFIED" not in data.note
    assert data.train_images.shape == (60000, 28, 28)
