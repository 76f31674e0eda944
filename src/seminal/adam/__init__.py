"""Adam and AdaMax (Kingma & Ba, "Adam: A Method for Stochastic Optimization", arXiv:1412.6980).

* :class:`Adam` -- Algorithm 1, with the efficient-form ε̂, AMSGrad, AdamW, maximize, the
  Theorem 4.1 β1 decay and §7.2 temporal averaging as explicit options.
* :class:`AdaMax` -- Algorithm 2 (§7.1), ε-free by default, with torch/optax's ε-inside-max form.
* :func:`inverse_sqrt_schedule` -- α_t = α/sqrt(t) as a LambdaLR.
* :mod:`seminal.adam.reference` -- the float64 paper-literal oracles the fast paths are tested on.

See docs/papers/adam.md for usage, the symbol map, deviations and benchmark figures.
"""

from seminal.adam.adam import Adam
from seminal.adam.adamax import AdaMax
from seminal.adam.reference import (
    adam_reference_step,
    adam_spike_step_ratio,
    adamax_reference_step,
    adamax_worst_step_ratio,
)
from seminal.adam.schedules import inverse_sqrt_schedule

__all__ = [
    "Adam",
    "AdaMax",
    "inverse_sqrt_schedule",
    "adam_reference_step",
    "adamax_reference_step",
    "adam_spike_step_ratio",
    "adamax_worst_step_ratio",
]
