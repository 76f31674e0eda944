"""SIGINT/SIGTERM become "save a checkpoint at the next step, then stop".

The handler only sets a flag (doing I/O inside a signal handler could corrupt a checkpoint being
written). The trainer looks at the flag in ``log_step``, after the batch in flight has finished,
saves, and raises :class:`~seminal.training.errors.TrainingInterrupted`. A second SIGINT while the
first is pending raises KeyboardInterrupt at once, for a user who does not want to wait.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

__all__ = ["StopSignals"]

_HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Installs flag-setting handlers for SIGINT and SIGTERM; :meth:`restore` puts the old ones back."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal.signal only works in the main thread; leave the defaults alone
        for signum in _HANDLED:
            self._previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
