"""The adversarial objective (eq. 1) and the generator losses of §3, from discriminator logits.

With ``a = logit D(x)``: log D = -softplus(-a) and log(1 - D) = -softplus(a). Writing every term
with softplus keeps them finite when D saturates at 0 or 1 (log(sigmoid(a)) underflows to -inf for
a < -100 in float32; softplus does not).

Paper symbols -> arguments: ``real_logits`` = logit D(x), x ~ p_data; ``fake_logits`` =
logit D(G(z)), z ~ p_z. All functions average over the minibatch (the 1/m of Algorithm 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "value_function",
    "discriminator_loss",
    "generator_loss_saturating",
    "generator_loss_non_saturating",
    "generator_loss",
    "GENERATOR_LOSSES",
]

#: Generator losses :func:`generator_loss` accepts.
GENERATOR_LOSSES: tuple[str, ...] = ("non_saturating", "saturating")


def _check_logits(name: str, logits: torch.Tensor) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"Invalid {name}: expected a torch.Tensor, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise TypeError(f"Invalid {name}: dtype {logits.dtype} (expected a floating-point tensor)")
    if logits.ndim == 2 and logits.shape[1] == 1:
        logits = logits.squeeze(1)
    if logits.ndim != 1:
        raise ValueError(f"Invalid {name}: shape {tuple(logits.shape)} (expected (m,) or (m, 1))")
    if logits.shape[0] == 0:
        raise ValueError(f"Invalid {name}: empty minibatch (expected m >= 1)")
    return logits


def value_function(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(D, G) of eq. 1: (1/m) Σ log D(x) + (1/m) Σ log(1 - D(G(z))). D ascends it.

    Always <= 0; equals -log 4 when D = 1/2 everywhere (Theorem 1's optimum).
    """
    real_logits = _check_logits("real_logits", real_logits)
    fake_logits = _check_logits("fake_logits", fake_logits)
    log_d_real = -F.softplus(-real_logits)  # log D(x)
    log_one_minus_d_fake = -F.softplus(fake_logits)  # log(1 - D(G(z)))
    return log_d_real.mean() + log_one_minus_d_fake.mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *, halve: bool = True) -> torch.Tensor:
    """The loss D descends: -V(D, G), times 1/2 when ``halve`` (the authors' code).

    Algorithm 1 ascends V; the authors' code descends 0.5 * [BCE(1, D(x)) + BCE(0, D(G(z)))],
    which is -V/2. The factor only rescales D's learning rate; ``halve=False`` gives exactly -V.
    """
    loss = -value_function(real_logits, fake_logits)
    return 0.5 * loss if halve else loss


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Algorithm 1's generator objective, DESCENDED: (1/m) Σ log(1 - D(G(z))).

    Its gradient vanishes when D confidently rejects samples (D(G(z)) -> 0), the §3 problem.
    """
    fake_logits = _check_logits("fake_logits", fake_logits)
    return (-F.softplus(fake_logits)).mean()


def generator_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """§3's alternative, DESCENDED: -(1/m) Σ log D(G(z)) = BCE(1, D(G(z))) (maximise log D(G(z)))."""
    fake_logits = _check_logits("fake_logits", fake_logits)
    return F.softplus(-fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """Dispatch on ``kind``: "non_saturating" (§3, authors' code) or "saturating" (Algorithm 1)."""
    if kind == "non_saturating":
        return generator_loss_non_saturating(fake_logits)
    if kind == "saturating":
        return generator_loss_saturating(fake_logits)
    raise ValueError(f"Invalid generator loss kind: {kind!r} (expected one of {GENERATOR_LOSSES})")
