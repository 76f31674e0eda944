"""The optimizers under the import path torch users look for (``seminal.optim.Adam``).

They live with their paper in :mod:`seminal.adam`; this package only re-exports them.
"""

from seminal.adam import (
    AdaMax,
    Adam,
    adam_reference_step,
    adam_spike_step_ratio,
    adamax_reference_step,
    adamax_worst_step_ratio,
    inverse_sqrt_schedule,
)

__all__ = [
    "Adam",
    "AdaMax",
    "inverse_sqrt_schedule",
    "adam_reference_step",
    "adamax_reference_step",
    "adam_spike_step_ratio",
    "adamax_worst_step_ratio",
]
