"""Metrics as they happen: JSON lines (live), a CSV view, optional TensorBoard.

``<out_dir>/<name>.metrics.jsonl`` gets one line per ``log_step``/``log_epoch`` record, flushed
to the file at least once a second, so ``tail -f`` works while training runs. Appending is the one write in seminal
that does not go through a temp file + rename (rewriting the whole log per step would be
quadratic); instead every checkpoint records the log's byte length after an fsync, and
``--resume`` cuts the log back to that length (atomically), dropping the records of steps that
will be redone and any half-written last line. The resumed log is therefore byte-identical to an
uninterrupted run's. Records hold no wall-clock times for the same reason.

``<out_dir>/<name>.metrics.csv`` is regenerated from the JSON lines (atomically) at every epoch
end and when the trainer closes; its columns are the union of all metric names.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

from seminal.io import atomic_write_bytes, atomic_write_text

__all__ = ["MetricsLog", "read_metrics"]

_FIXED_COLUMNS = ("kind", "epoch", "step", "batch")
#: Records reach the file at most this many seconds after they are logged (and at every checkpoint).
FLUSH_SECONDS = 1.0


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a ``.metrics.jsonl`` file (an incomplete last line is ignored)."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            records.append(json.loads(line))
    return records


class MetricsLog:
    """Writes one run's metric records; a no-op on non-main ranks (``enabled=False``)."""

    def __init__(self, out_dir: Path, name: str, enabled: bool = True, tensorboard: bool = False) -> None:
        self.jsonl_path = Path(out_dir) / f"{name}.metrics.jsonl"
        self.csv_path = Path(out_dir) / f"{name}.metrics.csv"
        self.enabled = enabled
        self._fh: io.BufferedWriter | None = None
        self._last_flush = 0.0
        self._records_written = 0
        self._csv_records = -1  # records in the CSV view when it was last written
        self._tb: Any = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as exc:
                raise ImportError(
                    "TensorBoard logging was requested but the tensorboard package is missing: "
                    "pip install 'seminal[tensorboard]'"
                ) from exc
            self._tb = SummaryWriter(log_dir=str(Path(out_dir) / "tensorboard" / name))

    def open(self, keep_bytes: int | None) -> None:
        """Start the log: empty (``keep_bytes=None``) or cut back to ``keep_bytes`` for a resume."""
        if not self.enabled:
            return
        self.jsonl_path.parent.mkdir(parents=True, exist_ok=True)
        if keep_bytes is None or keep_bytes == 0:
            atomic_write_bytes(self.jsonl_path, b"")
        else:
            data = self.jsonl_path.read_bytes() if self.jsonl_path.exists() else b""
            if len(data) < keep_bytes:
                warnings.warn(
                    f"{self.jsonl_path} has {len(data)} bytes but the checkpoint recorded {keep_bytes}; "
                    "some metric records written before the interruption are missing",
                    RuntimeWarning,
                    stacklevel=3,
                )
            atomic_write_bytes(self.jsonl_path, data[:keep_bytes])
        self._fh = open(self.jsonl_path, "ab")  # noqa: SIM115 - kept open for the run

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled or self._fh is None:
            return
        self._fh.write((json.dumps(record) + "\n").encode("utf-8"))
        self._records_written += 1
        now = time.monotonic()
        if now - self._last_flush > FLUSH_SECONDS:  # readable while training, without a syscall per line
            self._fh.flush()
            self._last_flush = now
        if self._tb is not None:
            step = int(record.get("step", 0))
            prefix = record.get("kind", "step")
            for key, value in record.items():
                if key not in _FIXED_COLUMNS and isinstance(value, (int, float)) and math.isfinite(value):
                    self._tb.add_scalar(f"{prefix}/{key}", value, step)

    def sync(self) -> int:
        """fsync the log and return its length in bytes (recorded in the checkpoint)."""
        if not self.enabled or self._fh is None:
            return 0
        self._fh.flush()
        os.fsync(self._fh.fileno())
        if self._tb is not None:
            self._tb.flush()
        return self._fh.tell()

    def write_csv(self) -> None:
        """Regenerate the CSV view from the JSON lines (atomic)."""
        if not self.enabled or self._fh is None or self._csv_records == self._records_written:
            return
        self._fh.flush()
        self._csv_records = self._records_written
        records = read_metrics(self.jsonl_path)
        columns = list(_FIXED_COLUMNS)
        for record in records:
            for key in record:
                if key not in columns:
                    columns.append(key)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(record)
        atomic_write_text(self.csv_path, buf.getvalue())

    def close(self) -> None:
        if self._fh is not None:
            try:
                self.write_csv()
            finally:
                self._fh.close()
                self._fh = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None
