"""Fixtures for the GAN tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Every test here uses tiny tensors: one CPU thread (OpenMP start-up costs more than the
    work, and on a busy machine two threads contend); the previous count is restored."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
