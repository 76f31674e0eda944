"""Fixtures for the training-layer tests: one uninterrupted reference run of tiny_train."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training import tiny_train


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_train run once without interruption (in this process): the result every fault must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "run"
    tiny_train.train(out, tiny_train.TinyConfig())
    return out
