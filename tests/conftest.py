"""Test-suite wide settings: no network, a private cache, a non-interactive plot backend.

The full MNIST is used when ``SEMINAL_DATA_DIR`` points at it (CI does this); tests that need it
skip with a reason otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch

os.environ["SEMINAL_NO_DOWNLOAD"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests never read or write the user's ~/.cache/seminal.
    os.environ["SEMINAL_CACHE_DIR"] = str(tmp_path_factory.mktemp("seminal-cache"))


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Every test uses small tensors: one CPU thread (OpenMP hand-offs cost more than the work,
    and with two threads per test the 2-core CI machine oversubscribes); restored afterwards.
    Subprocesses the tests start (DDP, SIGKILL/resume) keep torch's default."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def full_mnist_dir():
    """The folder with the full MNIST files, or skip."""
    from seminal.data import find_mnist_dir

    found = find_mnist_dir("mnist")
    if found is None:
        pytest.skip("full MNIST files not found: set SEMINAL_DATA_DIR to a folder holding MNIST/raw (CI does)")
    return found
