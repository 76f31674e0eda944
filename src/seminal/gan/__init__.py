"""Generative Adversarial Nets (Goodfellow et al., NeurIPS 2014, arXiv:1406.2661).

Components, each in its own module:

* :mod:`~seminal.gan.noise` -- the noise prior p_z (uniform ±sqrt(3) as in the authors' code, or Gaussian).
* :mod:`~seminal.gan.models` -- the paper's MNIST generator (ReLU 1200-1200, sigmoid output) and
  maxout discriminator (240x5, 240x5, dropout).
* :mod:`~seminal.gan.losses` -- V(D, G) of eq. 1 and the saturating / non-saturating generator
  losses of §3, from logits.
* :mod:`~seminal.gan.algorithm1` -- one iteration of Algorithm 1 (k D-steps, one G-step),
  alternating or simultaneous.
* :mod:`~seminal.gan.schedule` -- the authors' momentum-SGD schedule.
* :mod:`~seminal.gan.trainer` -- the epoch loop on :class:`seminal.training.Trainer`.
* :mod:`~seminal.gan.parzen` -- the Parzen-window log-likelihood protocol of Table 1.
* :mod:`~seminal.gan.classifier`, :mod:`~seminal.gan.frechet` -- a metric Parzen cannot be
  fooled by: Fréchet distance in an MNIST classifier's features, classifier score, class histogram.
* :mod:`~seminal.gan.toy1d` -- the 1-D densities of Figure 1 and §4's Proposition 1 / Theorem 1.
* :mod:`~seminal.gan.checkpoint`, :mod:`~seminal.gan.sample_cli` -- the generator file and ``seminal sample``.
"""

from seminal.gan.algorithm1 import StepStats, algorithm1_step
from seminal.gan.losses import (
    discriminator_loss,
    generator_loss,
    generator_loss_non_saturating,
    generator_loss_saturating,
    value_function,
)
from seminal.gan.models import Discriminator, Generator, Maxout, marginal_logit
from seminal.gan.noise import PRIORS, sample_noise
from seminal.gan.parzen import (
    SIGMA_GRID,
    ParzenResult,
    parzen_evaluate,
    parzen_log_density,
    parzen_log_density_grid,
    parzen_log_density_reference,
    select_sigma,
)

__all__ = [
    "PRIORS",
    "SIGMA_GRID",
    "Discriminator",
    "Generator",
    "Maxout",
    "ParzenResult",
    "StepStats",
    "algorithm1_step",
    "discriminator_loss",
    "generator_loss",
    "generator_loss_non_saturating",
    "generator_loss_saturating",
    "marginal_logit",
    "parzen_evaluate",
    "parzen_log_density",
    "parzen_log_density_grid",
    "parzen_log_density_reference",
    "sample_noise",
    "select_sigma",
    "value_function",
]
