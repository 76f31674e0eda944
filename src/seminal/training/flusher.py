"""Metric records on their way from ``log_step`` to the metrics log: batching, rank averaging,
the NaN/Inf check and the progress bar.

Step values stay on the device until a flush (one host sync per ``flush_every`` steps, and one
all-reduce per flush under torchrun, which also carries the stop-signal flag so every rank stops at
the same step).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from seminal.training.errors import NonFiniteLossError
from seminal.training.metrics import MetricsLog
from seminal.training.progress import ProgressBar

__all__ = ["MetricFlusher", "RESERVED_KEYS", "step_value", "epoch_value"]

#: Keys every record has; metric names may not use them.
RESERVED_KEYS = ("kind", "epoch", "step", "batch")


def _check_name(key: str) -> None:
    if key in RESERVED_KEYS:
        raise ValueError(f"Invalid metric name {key!r}: reserved (kind, epoch, step, batch)")


def step_value(key: str, value: Any) -> Any:
    """A ``log_step`` value as recorded: a 0-d tensor (kept on the device) or a float."""
    _check_name(key)
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"Invalid metric {key!r}: expected a scalar, got a tensor of shape {tuple(value.shape)}")
        return value.detach().reshape(())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"Invalid metric {key!r}: expected a float or 0-d tensor, got {type(value).__name__}")


def epoch_value(key: str, value: Any) -> Any:
    """A ``log_epoch`` value as a JSON value (numbers, str, bool or None)."""
    _check_name(key)
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"Invalid metric {key!r}: expected a scalar, got a tensor of shape {tuple(value.shape)}")
        return float(value.detach().double().cpu())
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"Invalid metric {key!r}: expected a number, str or 0-d tensor, got {type(value).__name__}")


class MetricFlusher:
    """Pending step records of one trainer, written (and checked) at each flush.

    Args:
        metrics_log: where records go.
        world_size, device: for the all-reduce under torchrun.
        flush_every: flush after this many pending records.
        on_failure: called before an error is raised (closes the trainer without saving).
        last_checkpoint: the last good checkpoint, named in the errors.
    """

    def __init__(self, metrics_log: MetricsLog, world_size: int, device: torch.device, flush_every: int,
                 on_failure: Callable[[], None], last_checkpoint: Callable[[], Path | None]) -> None:
        self.metrics_log = metrics_log
        self.world_size = world_size
        self.device = device
        self.flush_every = flush_every
        self.bar: ProgressBar | None = None
        self._pending: list[dict[str, Any]] = []
        self._on_failure = on_failure
        self._last_checkpoint = last_checkpoint

    def add(self, record: dict[str, Any]) -> bool:
        """Queue a step record; True when enough are pending that a flush is due."""
        self._pending.append(record)
        return len(self._pending) >= self.flush_every

    def flush(self, local_signal: int, collective: bool = False) -> bool:
        """Write pending records (averaged over ranks) and check them for NaN/Inf.

        Returns True when any rank received a stop signal (agreed across ranks here, at a point
        every rank reaches at the same step). ``collective`` flushes even with nothing pending, so
        that every rank joins the all-reduce.
        """
        records, self._pending = self._pending, []
        if not records and not collective:
            return False
        slots = [(i, key) for i, record in enumerate(records) for key in record if key not in RESERVED_KEYS]
        if self.world_size == 1:
            stop = local_signal > 0
            for i, key in slots:
                value = records[i][key]
                records[i][key] = float(value.item()) if isinstance(value, torch.Tensor) else value
        else:
            # One all-reduce per flush: every metric (averaged over ranks) plus the stop flag.
            values = [records[i][key] for i, key in slots]
            flat = torch.stack([v.to(self.device, torch.float64) if isinstance(v, torch.Tensor)
                                else torch.tensor(v, dtype=torch.float64, device=self.device) for v in values]
                               + [torch.tensor(float(local_signal), dtype=torch.float64, device=self.device)])
            torch.distributed.all_reduce(flat)
            host = flat.cpu().tolist()
            stop = host[-1] > 0
            for (i, key), value in zip(slots, host[:-1]):
                records[i][key] = value / self.world_size
        for record in records:
            self._write(record)
        if records and self.bar is not None:
            self.bar.set_metrics({k: v for k, v in records[-1].items() if k not in RESERVED_KEYS})
        return stop

    def _write(self, record: dict[str, Any]) -> None:
        try:
            self.metrics_log.write(record)
        except OSError as exc:
            # A log with a hole would be checkpointed as complete: stop here instead; the last
            # checkpoint and the log up to it are intact for --resume.
            self._on_failure()
            raise OSError(exc.errno, f"could not write metrics to {self.metrics_log.jsonl_path}: "
                          f"{exc.strerror}; the last checkpoint {self._last_checkpoint()} is intact") from exc
        for key, value in record.items():
            if key not in RESERVED_KEYS and not math.isfinite(value):
                self._on_failure()
                raise NonFiniteLossError(key, value, record["step"], record["epoch"], self._last_checkpoint())
