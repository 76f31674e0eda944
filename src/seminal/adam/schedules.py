"""Step-size schedules the paper uses, as standard torch LR schedulers."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

__all__ = ["inverse_sqrt_schedule"]


def _inverse_sqrt(counter: int) -> float:
    return 1.0 / math.sqrt(counter + 1)


def inverse_sqrt_schedule(optimizer: Optimizer) -> LambdaLR:
    """α_t = α/sqrt(t) (Theorem 4.1, §6.1): call ``scheduler.step()`` after every ``optimizer.step()``.

    LambdaLR's counter is 0 before the first update, so update t uses α·1/sqrt(counter + 1) =
    α/sqrt(t). The same as ``LambdaLR(optimizer, lambda k: (k + 1) ** -0.5)``.
    """
    return LambdaLR(optimizer, _inverse_sqrt)
