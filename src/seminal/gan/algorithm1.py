"""One iteration of Algorithm 1: k discriminator steps, then one generator step.

Algorithm 1 (paper)::

    for k steps:
        sample m noise vectors z and m examples x
        update D by ASCENDING  (1/m) Σ [log D(x) + log(1 - D(G(z)))]
    sample m fresh noise vectors z
    update G by DESCENDING (1/m) Σ log(1 - D(G(z)))      (or the §3 non-saturating loss)

``update="alternating"`` is the paper's Algorithm 1 as written (G is stepped against the D that was
just updated). ``update="simultaneous"`` is what the authors' released code did: D's and G's
gradients are both computed from the same minibatch and the same samples G(z), then both
networks are stepped; it requires k = 1.

Under torchrun (G and D wrapped in DistributedDataParallel by :class:`seminal.training.Trainer`)
the alternating update synchronises through DDP's backward hooks. The simultaneous update takes
its two gradients with ``torch.autograd.grad``, which those hooks never see, so it averages them
over the ranks itself (:func:`_average_over_ranks`, the mean DDP would take); otherwise every
rank would silently train its own GAN.

The function is stateless: all randomness comes from ``next_real`` and ``sample_noise``, so the
caller decides the RNG (the trainer uses torch's global RNG, which its checkpoints save).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from seminal.gan.losses import GENERATOR_LOSSES, discriminator_loss, generator_loss, value_function

__all__ = ["StepStats", "algorithm1_step", "discriminator_step", "generator_step", "UPDATE_MODES"]

#: How D and G updates are ordered.
UPDATE_MODES: tuple[str, ...] = ("alternating", "simultaneous")


@dataclass(frozen=True)
class StepStats:
    """What one iteration measured (floats, means over the minibatch).

    Attributes:
        d_loss: the loss D descended on its last step (-V/2 by default, see ``halve_d_loss``).
        g_loss: the loss G descended.
        value: V(D, G) of eq. 1 on D's last minibatch.
        d_real: mean D(x) on D's last data minibatch.
        d_fake: mean D(G(z)) on D's last noise minibatch.
        d_steps: how many discriminator updates were made (k).
    """

    d_loss: float
    g_loss: float
    value: float
    d_real: float
    d_fake: float
    d_steps: int


def _average_over_ranks(module: nn.Module, grads: tuple[torch.Tensor | None, ...]) -> tuple[torch.Tensor | None, ...]:
    """The gradients averaged over all ranks when ``module`` is DDP-wrapped (as DDP's hooks would)."""
    from torch.nn.parallel import DistributedDataParallel

    if not isinstance(module, DistributedDataParallel):
        return grads
    import torch.distributed as dist

    world = dist.get_world_size()
    if world == 1:
        return grads
    if any(g is None for g in grads):
        # a parameter without gradient on this rank may have one on another: no common shape to reduce
        raise RuntimeError(
            "update='simultaneous' under DistributedDataParallel needs a gradient for every parameter "
            "(a parameter was unused in this step); use update='alternating'"
        )
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    return tuple(chunk.view_as(g) for chunk, g in zip(flat.split([g.numel() for g in grads]), grads))


def _set_grads(params: list[nn.Parameter], grads: tuple[torch.Tensor | None, ...]) -> None:
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.detach()


def algorithm1_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    next_real: Callable[[], torch.Tensor],
    sample_noise: Callable[[int], torch.Tensor],
    *,
    k: int = 1,
    g_loss: str = "non_saturating",
    update: str = "alternating",
    halve_d_loss: bool = True,
) -> StepStats:
    """Run one iteration of Algorithm 1 and return its statistics.

    Args:
        G, D: generator (noise -> images) and discriminator (images -> logits).
        opt_G, opt_D: their optimizers (momentum SGD in the paper, Adam in the modern recipe).
        next_real: returns the next minibatch of m data examples; called k times.
        sample_noise: ``sample_noise(m)`` returns m noise vectors z ~ p_z.
        k: discriminator steps per generator step (paper: 1).
        g_loss: "non_saturating" (§3, authors' code) or "saturating" (Algorithm 1 as printed).
        update: "alternating" (Algorithm 1) or "simultaneous" (authors' code; needs k = 1).
        halve_d_loss: D descends -V/2 (authors' code) instead of -V; see :func:`discriminator_loss`.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"Invalid k: {k!r} (expected an int >= 1 discriminator steps)")
    if g_loss not in GENERATOR_LOSSES:
        raise ValueError(f"Invalid g_loss: {g_loss!r} (expected one of {GENERATOR_LOSSES})")
    if update not in UPDATE_MODES:
        raise ValueError(f"Invalid update: {update!r} (expected one of {UPDATE_MODES})")
    if update == "simultaneous" and k != 1:
        raise ValueError(f"Invalid k: {k} with update='simultaneous' (the authors' simultaneous update needs k = 1)")

    if update == "simultaneous":
        return _simultaneous_step(G, D, opt_G, opt_D, next_real, sample_noise, g_loss, halve_d_loss)

    d_stats: dict[str, torch.Tensor] = {}
    m = 1
    for _ in range(k):
        x = next_real()
        m = x.shape[0]
        d_stats = discriminator_step(G, D, opt_D, x, sample_noise(m), halve_d_loss=halve_d_loss)
    # Generator step on fresh noise, against the D just updated.
    loss_G = generator_step(G, D, opt_G, sample_noise(m), g_loss=g_loss)
    opt_D.zero_grad(set_to_none=True)  # drop the gradients G's backward left in D
    return StepStats(
        d_loss=float(d_stats["d_loss"]), g_loss=float(loss_G), value=float(d_stats["value"]),
        d_real=float(d_stats["d_real"]), d_fake=float(d_stats["d_fake"]), d_steps=k,
    )


def discriminator_step(
    G: nn.Module, D: nn.Module, opt_D: torch.optim.Optimizer, x: torch.Tensor, z: torch.Tensor, *, halve_d_loss: bool = True
) -> dict[str, torch.Tensor]:
    """Algorithm 1's inner step: ascend V(D, G) on data ``x`` and samples G(``z``); G is not updated.

    Returns detached 0-d tensors: d_loss, value (V), d_real (mean D(x)), d_fake (mean D(G(z))).
    """
    with torch.no_grad():  # D's step does not need G's graph
        fake = G(z)
    real_logits = D(x)
    fake_logits = D(fake)
    loss = discriminator_loss(real_logits, fake_logits, halve=halve_d_loss)
    opt_D.zero_grad(set_to_none=True)
    loss.backward()
    opt_D.step()
    real_logits, fake_logits = real_logits.detach(), fake_logits.detach()
    return {
        "d_loss": loss.detach(),
        "value": value_function(real_logits, fake_logits),
        "d_real": torch.sigmoid(real_logits).mean(),
        "d_fake": torch.sigmoid(fake_logits).mean(),
    }


def generator_step(
    G: nn.Module, D: nn.Module, opt_G: torch.optim.Optimizer, z: torch.Tensor, *, g_loss: str = "non_saturating"
) -> torch.Tensor:
    """Algorithm 1's outer step: descend the generator loss on G(``z``); only G's optimizer steps.

    D's parameters receive gradients too (the caller's next D step zeroes them). Returns the
    detached loss.
    """
    loss = generator_loss(D(G(z)), g_loss)
    opt_G.zero_grad(set_to_none=True)
    loss.backward()
    opt_G.step()
    return loss.detach()


def _simultaneous_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    next_real: Callable[[], torch.Tensor],
    sample_noise: Callable[[int], torch.Tensor],
    g_loss: str,
    halve_d_loss: bool,
) -> StepStats:
    x = next_real()
    fake = G(sample_noise(x.shape[0]))
    real_logits = D(x)
    fake_logits = D(fake)  # one forward pass (one dropout mask) feeds both losses, as in the authors' code
    loss_D = discriminator_loss(real_logits, fake_logits, halve=halve_d_loss)
    loss_G = generator_loss(fake_logits, g_loss)
    d_params = [p for p in D.parameters() if p.requires_grad]
    g_params = [p for p in G.parameters() if p.requires_grad]
    # Both gradients are taken at the same (θ_d, θ_g) before either network moves.
    d_grads = torch.autograd.grad(loss_D, d_params, retain_graph=True, allow_unused=True)
    g_grads = torch.autograd.grad(loss_G, g_params, allow_unused=True)
    # autograd.grad bypasses DDP's all-reduce hooks: synchronise explicitly
    d_grads = _average_over_ranks(D, d_grads)
    g_grads = _average_over_ranks(G, g_grads)
    _set_grads(d_params, d_grads)
    _set_grads(g_params, g_grads)
    opt_D.step()
    opt_G.step()
    return StepStats(
        d_loss=float(loss_D.detach()), g_loss=float(loss_G.detach()),
        value=float(value_function(real_logits.detach(), fake_logits.detach())),
        d_real=float(torch.sigmoid(real_logits.detach()).mean()),
        d_fake=float(torch.sigmoid(fake_logits.detach()).mean()),
        d_steps=1,
    )
