"""CIFAR-10 download: torchvision's CIFAR10 class fetches a fake archive from a local HTTP server.

The test builds a small CIFAR-10 archive in torchvision's python format (8 images per batch),
serves it on 127.0.0.1 and points torchvision's CIFAR10 URL and md5s at it. Nothing touches the
network.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import pickle
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from seminal.adam.reproductions import cifar
from seminal.data import DataUnavailableError, DownloadError

IMAGES_PER_BATCH = 8
ARCHIVE = "cifar-10-python.tar.gz"


@dataclass
class FakeServer:
    url: str
    archive_md5: str
    file_md5: dict[str, str]
    requests: list[str]


def _batch(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    entry = {"data": rng.integers(0, 256, (IMAGES_PER_BATCH, 3072), dtype=np.uint8),
             "labels": [int(v) for v in rng.integers(0, 10, IMAGES_PER_BATCH)]}
    return pickle.dumps(entry)


def _build_archive(folder: Path) -> tuple[str, dict[str, str]]:
    files = {name: _batch(i) for i, name in enumerate(cifar.CIFAR_FILES[:-1])}
    files["batches.meta"] = pickle.dumps({"label_names": [f"class{i}" for i in range(10)]})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in files.items():
            info = tarfile.TarInfo(f"{cifar.CIFAR_FOLDER}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    (folder / ARCHIVE).write_bytes(buffer.getvalue())
    return hashlib.md5(buffer.getvalue()).hexdigest(), {n: hashlib.md5(p).hexdigest() for n, p in files.items()}


@pytest.fixture
def fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    from torchvision.datasets import CIFAR10

    served = tmp_path / "served"
    served.mkdir()
    archive_md5, file_md5 = _build_archive(served)
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{ARCHIVE}"
    monkeypatch.setattr(CIFAR10, "url", url)
    monkeypatch.setattr(CIFAR10, "tgz_md5", archive_md5)
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", file_md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", file_md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names", "md5": file_md5["batches.meta"]})
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD", raising=False)
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield FakeServer(url, archive_md5, file_md5, requests)
    finally:
        server.shutdown()
        server.server_close()


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_download_lands_verified_in_the_cache_and_loads(fake_server: FakeServer, tmp_path: Path) -> None:
    from seminal.data.paths import data_cache_dir

    assert cifar.find_cifar10_root() is None
    assert cifar.cifar10_unavailable_reason() is None  # not on disk, but downloadable
    root = cifar.ensure_cifar10()
    assert root == data_cache_dir() == tmp_path / "cache" / "data"
    assert any(ARCHIVE in path for path in fake_server.requests)
    assert sorted(p.name for p in (root / cifar.CIFAR_FOLDER).iterdir()) == sorted(cifar.CIFAR_FILES)
    assert [p.name for p in root.iterdir()] == [cifar.CIFAR_FOLDER]  # no archive, no staging folder left
    for name, md5 in fake_server.file_md5.items():
        assert hashlib.md5((root / cifar.CIFAR_FOLDER / name).read_bytes()).hexdigest() == md5
    train_x, train_y, test_x, test_y = cifar.load_cifar10(root)
    assert tuple(train_x.shape) == (5 * IMAGES_PER_BATCH, 3, 32, 32) and tuple(test_x.shape) == (IMAGES_PER_BATCH, 3, 32, 32)
    assert 0.0 <= float(train_x.min()) and float(train_x.max()) <= 1.0 and len(train_y) == 5 * IMAGES_PER_BATCH
    assert len(test_y) == IMAGES_PER_BATCH and int(test_y.max()) < 10

    fake_server.requests.clear()
    assert cifar.ensure_cifar10() == root and fake_server.requests == []  # found on disk: no second download


def test_download_goes_into_the_named_data_dir(fake_server: FakeServer, tmp_path: Path) -> None:
    data_dir = tmp_path / "mine"
    assert cifar.ensure_cifar10(data_dir) == data_dir
    assert not cifar.missing_cifar10_files(data_dir)
    assert _files_under(tmp_path / "cache") == []


def test_wrong_archive_md5_raises_and_leaves_no_file(fake_server: FakeServer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "tgz_md5", "0" * 32)
    with pytest.raises(DownloadError, match="could not download CIFAR-10"):
        cifar.ensure_cifar10()
    assert any(ARCHIVE in path for path in fake_server.requests)  # it did download, then refused
    assert _files_under(tmp_path / "cache") == []
    assert cifar.find_cifar10_root() is None


def test_wrong_file_md5_inside_a_good_archive_leaves_no_file(fake_server: FakeServer, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", "0" * 32]])
    with pytest.raises(DownloadError):
        cifar.ensure_cifar10()
    assert _files_under(tmp_path / "cache") == []


def test_unavailable_reason_names_what_is_missing_when_downloads_are_off(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_NO_DOWNLOAD", "1")
    data_dir = tmp_path / "partial"
    (data_dir / cifar.CIFAR_FOLDER).mkdir(parents=True)
    for name in cifar.CIFAR_FILES[:5]:
        (data_dir / cifar.CIFAR_FOLDER / name).write_bytes(b"x")
    reason = cifar.cifar10_unavailable_reason(data_dir)
    assert reason is not None and "missing test_batch, batches.meta" in reason and "SEMINAL_NO_DOWNLOAD" in reason
    assert "data_batch_1," not in reason.split("missing")[1]
    with pytest.raises(DataUnavailableError, match="CIFAR-10 not found"):
        cifar.ensure_cifar10(data_dir)


def test_fig3_is_available_when_cifar_can_be_downloaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from seminal.adam.reproductions import fig3

    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SEMINAL_DATA_DIR", raising=False)
    monkeypatch.delenv("SEMINAL_NO_DOWNLOAD", raising=False)
    assert fig3.available(fig3.quick()) is None
    monkeypatch.setenv("SEMINAL_NO_DOWNLOAD", "1")
    assert "CIFAR-10 not found" in fig3.available(fig3.quick())
    assert fig3.available(fig3.smoke()) is None  # synthetic images need no files
