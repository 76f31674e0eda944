"""Fixtures: a loopback HTTP server serving a small MNIST-format dataset."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from seminal.data import catalog
from tests.data.idx_files import N_TEST, N_TRAIN, write_dataset


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


@pytest.fixture
def small_mnist_spec(monkeypatch: pytest.MonkeyPatch, served_dataset):
    """Point seminal's "mnist" entry at the loopback server with the small files' md5s and sizes."""
    base_url, md5, _ = served_dataset
    spec = dataclasses.replace(
        catalog.DATASETS["mnist"], mirrors=("http://127.0.0.1:9/missing/", base_url), md5=md5,
        num_train=N_TRAIN, num_test=N_TEST,
    )
    monkeypatch.setitem(catalog.DATASETS, "mnist", spec)
    return spec
