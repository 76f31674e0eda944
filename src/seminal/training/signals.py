"""SIGINT/SIGTERM become "save a checkpoint at the next step, then stop".

The handler only sets a flag (doing I/O inside a signal handler could corrupt a checkpoint being
written). The trainer looks at the flag in ``log_step``, after the batch in flight has finished,
saves, and raises :class:`~seminal.training.errors.TrainingInterrupted`. A second SIGINT while the
first is pending raises KeyboardInterrupt at once, for a user who does not want to wait.

Outside the training loop (before ``trainer.epochs()`` starts, after it ends, or after an
exception left it) nobody would look at the flag, so the signal goes to the handler that was
installed before (by default: KeyboardInterrupt for SIGINT, termination for SIGTERM).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["StopSignals"]

_HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Installs flag-setting handlers for SIGINT and SIGTERM; :meth:`restore` puts the old ones back.

    Args:
        in_loop: returns True while a training loop is running (and will look at the flag).
    """

    def __init__(self, in_loop: Callable[[], bool] = lambda: True) -> None:
        self.received: int | None = None
        self._in_loop = in_loop
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal.signal only works in the main thread; leave the defaults alone
        for signum in _HANDLED:
            self._previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self._in_loop():
            self._delegate(signum, frame)
            return
        if self.received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def _delegate(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_IGN:
            return
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:  # default action for SIGTERM: terminate, as if no handler had been installed
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
