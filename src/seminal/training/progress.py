"""A tqdm progress bar showing the latest metrics and throughput; silent when it should be.

The bar is shown only on rank 0, when ``ctx.progress`` is True and stderr is a terminal, so logs
of batch jobs and CI stay clean. ``SEMINAL_PROGRESS=1`` forces it on (e.g. under ``script``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["ProgressBar", "progress_enabled", "examples_in"]


def progress_enabled(requested: bool, is_main: bool) -> bool:
    if not requested or not is_main:
        return False
    if os.environ.get("SEMINAL_PROGRESS") == "1":
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def examples_in(batch: Any) -> int:
    """How many examples ``batch`` holds (the first tensor's leading size), for the bar's samples/s."""
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.dim() > 0 else 1
    if isinstance(batch, (list, tuple)) and batch:
        return examples_in(batch[0])
    if isinstance(batch, Mapping) and batch:
        return examples_in(next(iter(batch.values())))
    return 0


class ProgressBar:
    """One epoch's bar: ``update(samples)`` per batch, ``set_metrics`` after each logged step."""

    def __init__(self, enabled: bool, total: int, initial: int, desc: str) -> None:
        self._bar: Any = None
        self._samples = 0
        self._start = time.perf_counter()
        self._metrics: dict[str, str] = {}
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, desc=desc, leave=False, dynamic_ncols=True,
                             file=sys.stderr)

    def update(self, samples: int) -> None:
        if self._bar is None:
            return
        self._samples += samples
        self._bar.update(1)

    def set_metrics(self, metrics: dict[str, float]) -> None:
        if self._bar is None:
            return
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        shown = {key: f"{value:.4g}" for key, value in metrics.items() if isinstance(value, float)}
        shown["samples/s"] = f"{self._samples / elapsed:.0f}"
        self._bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
