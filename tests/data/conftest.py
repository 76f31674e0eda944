"""Fixtures: a loopback HTTP server serving a small MNIST-format dataset, and specs that point at it."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from seminal.data import catalog
from tests.data.idx_files import N_TEST, N_TRAIN, content_sha256, write_dataset


@pytest.fixture
def served_dataset(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A loopback HTTP server serving a small dataset: (base_url, md5s, served_dir)."""
    served = tmp_path / "served"
    md5 = write_dataset(served)
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", md5, served
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


def small_spec(name: str, base_url: str, md5: dict[str, str], *, with_digests: bool = True) -> catalog.DatasetSpec:
    """seminal's ``name`` entry pointed at the loopback server, with the small files' sizes and checksums."""
    return dataclasses.replace(
        catalog.DATASETS[name], mirrors=("http://127.0.0.1:9/missing/", base_url), md5=md5,
        sha256=content_sha256() if with_digests else {}, num_train=N_TRAIN, num_test=N_TEST,
    )


@pytest.fixture
def small_mnist_spec(monkeypatch: pytest.MonkeyPatch, served_dataset) -> catalog.DatasetSpec:
    """Point seminal's "mnist" entry at the loopback server (content digests known, like MNIST)."""
    base_url, md5, _ = served_dataset
    spec = small_spec("mnist", base_url, md5)
    monkeypatch.setitem(catalog.DATASETS, "mnist", spec)
    return spec


@pytest.fixture
def small_kmnist_spec(monkeypatch: pytest.MonkeyPatch, served_dataset) -> catalog.DatasetSpec:
    """Point seminal's "kmnist" entry at the loopback server (no content digests, like KMNIST)."""
    base_url, md5, _ = served_dataset
    spec = small_spec("kmnist", base_url, md5, with_digests=False)
    monkeypatch.setitem(catalog.DATASETS, "kmnist", spec)
    return spec
