"""Training the MNIST GAN: Algorithm 1 inside :class:`seminal.training.Trainer`'s epoch loop.

:class:`GANTrainConfig` holds every knob of the recipe; its defaults are the authors' released
configuration (momentum SGD, simultaneous updates, non-saturating G loss, batch 100, k = 1).
``optimizer="adam"`` with ``lr=2e-4, adam_beta1=0.5`` gives the common modern recipe
(through seminal's own :class:`seminal.adam.Adam`).

Data flow: each loader batch holds ``k × batch_size`` training images = one Algorithm-1 iteration
(k discriminator minibatches of m = ``batch_size``), so the Trainer's deterministic, resumable
batch order also fixes Algorithm 1's minibatches. Noise is drawn from torch's global RNG, whose
state the Trainer checkpoints, so a resumed run continues exactly.

Logged per step: d_loss, g_loss, V, D(x), D(G(z)); per epoch: their means, lr, momentum and
images/s, and (``monitor_every``) a cheap validation Parzen log-likelihood ``monitor_ll``, as the
authors' training script monitored. With ``keep_best`` the generator file holds the generator of
the epoch with the best ``monitor_ll`` (the authors' script saved the latest model instead; see
docs/papers/gan.md for why seminal selects). A sample grid of 100 fixed noise vectors is saved every ``sample_every`` epochs and at
the end (``figures/samples_epoch_XXXX.png``), and the generator file (:mod:`seminal.gan.checkpoint`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import TensorDataset

from seminal.gan.algorithm1 import UPDATE_MODES, algorithm1_step
from seminal.gan.checkpoint import GENERATOR_FILE, save_generator
from seminal.gan.losses import GENERATOR_LOSSES
from seminal.gan.conv_models import D_ARCHS, UPSAMPLING_MODES, ConvDiscriminator, ConvGenerator
from seminal.gan.models import Discriminator, Generator, marginal_logit
from seminal.gan.noise import PRIORS, sample_noise
from seminal.gan.schedule import AuthorsSchedule
from seminal.training.distributed import barrier

__all__ = ["GANTrainConfig", "GANTrainOutcome", "build_models", "build_optimizers", "train_gan", "monitor_log_likelihood",
           "OPTIMIZERS", "G_ARCHS", "D_ARCHS"]

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")

#: Generator architectures: the paper's MLP, or the named convolutional variant (:mod:`seminal.gan.conv_models`).
G_ARCHS: tuple[str, ...] = ("mlp", "conv")

_STEP_KEYS = ("d_loss", "g_loss", "value", "d_real", "d_fake")

#: Fields that change how fast, not what, is trained.
_NOT_RECIPE = frozenset({"cpu_threads"})


@dataclass
class GANTrainConfig:
    """The GAN recipe. Defaults = the authors' MNIST configuration (see docs/papers/gan.md).

    Attributes:
        epochs: passes over the training images (not stated in the paper; 300 passes the end of
            the momentum ramp at epoch 250).
        min_iterations: if > 0, train more epochs when ``epochs`` gives fewer Algorithm-1
            iterations than this (a budget that holds on small data such as the offline fallback).
        batch_size: m of Algorithm 1 (100).
        k: discriminator steps per generator step (1).
        update: "simultaneous" (authors' code) or "alternating" (Algorithm 1 as printed).
        g_loss: "non_saturating" (§3, authors' code) or "saturating" (Algorithm 1).
        optimizer: "sgd" (momentum SGD with the authors' schedule) or "adam".
        lr: initial learning rate (sgd: 0.1; the Adam recipe: 2e-4).
        lr_decay, min_lr: sgd only: lr divided by ``lr_decay`` after every update, floor ``min_lr``.
        momentum_start, momentum_final, momentum_saturate_epoch: sgd only: the linear momentum ramp.
        adam_beta1, adam_beta2: adam only (recipe: 0.5, 0.999).
        adam_lr_decay: adam only: lr divided by this after every update, floor ``min_lr`` (1.0 = a
            constant rate; not the authors', whose decay is ``lr_decay`` of their momentum SGD).
        g_averaging: adam only: β of the Adam paper's temporal averaging (Kingma & Ba §7.2) of G's
            parameters, θ̄ <- β·θ̄ + (1-β)·θ after every G update, kept by seminal's Adam
            (``averaging=β``). The monitor, the sample grids, ``keep_best`` and the generator file
            all use the bias-corrected average θ̂ = θ̄/(1-β^t); None = off (the GAN paper has none).
            Batch-norm statistics (the conv G) are not averaged. Not the GAN paper's.
        noise_dim, prior: z's dimension and p_z ("uniform" ±sqrt(3) or "gaussian").
        g_arch: "mlp" (the paper's G) or "conv" (:class:`~seminal.gan.conv_models.ConvGenerator`,
            a named deviation used by the quick preset).
        g_hidden, g_layers: MLP generator ReLU width and depth (1200, 2).
        g_channels: conv generator only: width c of its 14x14 layer.
        g_upsampling: conv generator only: "bilinear" or "nearest" upsampling (see
            :mod:`seminal.gan.conv_models`).
        g_fine_channels: conv generator only: width of its extra 3x3 layer at 28x28 (0 = none).
        d_arch: "mlp" (the paper's maxout D) or "conv"
            (:class:`~seminal.gan.conv_models.ConvDiscriminator`, a named deviation with the
            paper's dropout placement).
        d_units, d_layers, d_pieces: maxout D only: width, depth and pieces (240, 2, 5).
        d_channels: conv D only: maps c of its first convolution (the second has 2c).
        d_input_keep, d_hidden_keep: dropout keep probabilities (0.8, 0.5).
        g_init_range, d_init_range: uniform weight init ranges (0.05, 0.005).
        n_train: the first ``n_train`` training images train the GAN (50,000).
        n_valid: the next ``n_valid`` images are the validation set (10,000).
        sample_every: save a fixed-noise sample grid every this many epochs (0 = only at the end).
        checkpoint_every: Trainer checkpoint period in steps.
        monitor_every: every this many epochs, score G by a validation Parzen log-likelihood
            (``monitor_ll``: ``monitor_samples`` samples, the best σ of the grid on the first
            ``monitor_valid`` validation images); 0 = off. The authors monitored such a number.
        monitor_samples, monitor_valid: sizes of that cheap estimate.
        keep_best: the generator file keeps the generator with the best ``monitor_ll`` (needs
            ``monitor_every`` > 0) instead of the last one.
        cpu_threads: torch CPU threads while training on the CPU (0 = leave torch's setting, which
            ``seminal reproduce`` sets to each parallel worker's share of the cores). Pinning more
            threads than a worker's share oversubscribes the cores: OpenMP threads spin-wait on a
            busy 2-core machine (measured 0.32 s CPU per iteration with 2 threads vs 0.04 s with 1).
            Not part of the recipe's fingerprint.
    """

    epochs: int = 300
    min_iterations: int = 0
    batch_size: int = 100
    k: int = 1
    update: str = "simultaneous"
    g_loss: str = "non_saturating"
    optimizer: str = "sgd"
    lr: float = 0.1
    lr_decay: float = 1.000004
    min_lr: float = 1e-6
    momentum_start: float = 0.5
    momentum_final: float = 0.7
    momentum_saturate_epoch: int = 250
    adam_beta1: float = 0.5
    adam_beta2: float = 0.999
    adam_lr_decay: float = 1.0
    g_averaging: float | None = None
    noise_dim: int = 100
    prior: str = "uniform"
    g_arch: str = "mlp"
    g_hidden: int = 1200
    g_layers: int = 2
    g_channels: int = 32
    g_upsampling: str = "bilinear"
    g_fine_channels: int = 0
    d_arch: str = "mlp"
    d_channels: int = 32
    d_units: int = 240
    d_layers: int = 2
    d_pieces: int = 5
    d_input_keep: float = 0.8
    d_hidden_keep: float = 0.5
    g_init_range: float = 0.05
    d_init_range: float = 0.005
    n_train: int = 50_000
    n_valid: int = 10_000
    sample_every: int = 25
    checkpoint_every: int = 1000
    monitor_every: int = 0
    monitor_samples: int = 1000
    monitor_valid: int = 1000
    keep_best: bool = False
    cpu_threads: int = 0

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if self.update not in UPDATE_MODES:
            raise ValueError(f"Invalid update: {self.update!r} (expected one of {UPDATE_MODES})")
        if self.g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"Invalid g_loss: {self.g_loss!r} (expected one of {GENERATOR_LOSSES})")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Invalid optimizer: {self.optimizer!r} (expected one of {OPTIMIZERS})")
        if self.g_arch not in G_ARCHS:
            raise ValueError(f"Invalid g_arch: {self.g_arch!r} (expected one of {G_ARCHS})")
        if self.d_arch not in D_ARCHS:
            raise ValueError(f"Invalid d_arch: {self.d_arch!r} (expected one of {D_ARCHS})")
        if self.g_upsampling not in UPSAMPLING_MODES:
            raise ValueError(f"Invalid g_upsampling: {self.g_upsampling!r} (expected one of {UPSAMPLING_MODES})")
        if self.prior not in PRIORS:
            raise ValueError(f"Invalid prior: {self.prior!r} (expected one of {PRIORS})")
        for name in ("epochs", "batch_size", "k", "noise_dim", "g_hidden", "g_layers", "g_channels", "d_channels", "d_units", "d_layers",
                     "d_pieces", "n_train", "monitor_samples", "monitor_valid"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Invalid {name}: {value!r} (expected an int >= 1)")
        if not isinstance(self.g_fine_channels, int) or isinstance(self.g_fine_channels, bool) or self.g_fine_channels < 0:
            raise ValueError(f"Invalid g_fine_channels: {self.g_fine_channels!r} (expected an int >= 0)")
        if self.update == "simultaneous" and self.k != 1:
            raise ValueError(f"Invalid k: {self.k} with update='simultaneous' (expected k = 1)")
        if not self.lr > 0:
            raise ValueError(f"Invalid lr: {self.lr} (expected lr > 0)")
        if not self.adam_lr_decay >= 1.0:
            raise ValueError(f"Invalid adam_lr_decay: {self.adam_lr_decay} (expected >= 1)")
        if self.g_averaging is not None:
            if isinstance(self.g_averaging, bool) or not isinstance(self.g_averaging, (int, float)) or not 0.0 < self.g_averaging < 1.0:
                raise ValueError(f"Invalid g_averaging: {self.g_averaging!r} (expected None or 0 < β < 1, e.g. 0.999)")
            if self.optimizer != "adam":
                raise ValueError(f"Invalid g_averaging: {self.g_averaging!r} with optimizer={self.optimizer!r} "
                                 "(temporal averaging is kept by seminal's Adam: expected optimizer='adam' or g_averaging=None)")
        if not isinstance(self.min_iterations, int) or isinstance(self.min_iterations, bool) or self.min_iterations < 0:
            raise ValueError(f"Invalid min_iterations: {self.min_iterations!r} (expected an int >= 0)")
        if not isinstance(self.monitor_every, int) or isinstance(self.monitor_every, bool) or self.monitor_every < 0:
            raise ValueError(f"Invalid monitor_every: {self.monitor_every!r} (expected an int >= 0)")
        if self.keep_best and self.monitor_every == 0:
            raise ValueError("Invalid keep_best: True with monitor_every = 0 (expected a monitor to select by)")
        if not isinstance(self.cpu_threads, int) or self.cpu_threads < 0:
            raise ValueError(f"Invalid cpu_threads: {self.cpu_threads!r} (expected an int >= 0)")

    def recipe(self) -> dict[str, Any]:
        """The fields that determine the trained generator (all of GANTrainConfig's)."""
        return {f.name: getattr(self, f.name) for f in fields(GANTrainConfig) if f.name not in _NOT_RECIPE}


@dataclass
class GANTrainOutcome:
    """What :func:`train_gan` returns."""

    generator: Generator | ConvGenerator
    discriminator: Discriminator | ConvDiscriminator
    history: list[dict[str, Any]]
    generator_path: Path
    images_per_second: float
    best_epoch: int | None = None  # keep_best: the epoch (from 1) whose generator was kept
    train_seconds: float = float("nan")  # wall seconds inside the training loops (this process)


def build_models(
    cfg: GANTrainConfig, train_images: torch.Tensor
) -> tuple[Generator | ConvGenerator, Discriminator | ConvDiscriminator]:
    """G with its output bias at the training marginals, and D, both on the CPU."""
    G: Generator | ConvGenerator
    if cfg.g_arch == "conv":
        G = ConvGenerator(noise_dim=cfg.noise_dim, channels=cfg.g_channels, output_bias=marginal_logit(train_images),
                          upsampling=cfg.g_upsampling, fine_channels=cfg.g_fine_channels)
    else:
        G = Generator(
            noise_dim=cfg.noise_dim, hidden=(cfg.g_hidden,) * cfg.g_layers, data_dim=784,
            init_range=cfg.g_init_range, output_bias=marginal_logit(train_images),
        )
    D: Discriminator | ConvDiscriminator
    if cfg.d_arch == "conv":
        D = ConvDiscriminator(channels=cfg.d_channels, input_keep=cfg.d_input_keep, hidden_keep=cfg.d_hidden_keep)
    else:
        D = Discriminator(
            data_dim=784, units=(cfg.d_units,) * cfg.d_layers, pieces=cfg.d_pieces,
            input_keep=cfg.d_input_keep, hidden_keep=cfg.d_hidden_keep, init_range=cfg.d_init_range,
        )
    return G, D


def build_optimizers(
    cfg: GANTrainConfig, G: torch.nn.Module, D: torch.nn.Module
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer, AuthorsSchedule | None]:
    """(opt_G, opt_D, schedule): momentum SGD + :class:`AuthorsSchedule`, or seminal's Adam (with
    the same per-update decay, no momentum, when ``adam_lr_decay`` > 1)."""
    if cfg.optimizer == "sgd":
        opt_G = torch.optim.SGD(G.parameters(), lr=cfg.lr, momentum=cfg.momentum_start)
        opt_D = torch.optim.SGD(D.parameters(), lr=cfg.lr, momentum=cfg.momentum_start)
        schedule = AuthorsSchedule(
            [opt_G, opt_D], lr=cfg.lr, decay=cfg.lr_decay, min_lr=cfg.min_lr,
            momentum_start=cfg.momentum_start, momentum_final=cfg.momentum_final,
            saturate_epoch=cfg.momentum_saturate_epoch,
        )
        return opt_G, opt_D, schedule
    from seminal.adam import Adam

    betas = (cfg.adam_beta1, cfg.adam_beta2)
    opt_G = Adam(G.parameters(), lr=cfg.lr, betas=betas, averaging=cfg.g_averaging)
    opt_D = Adam(D.parameters(), lr=cfg.lr, betas=betas)
    # The same per-update exponential decay, without momentum (Adam's groups have no "momentum").
    schedule = None if cfg.adam_lr_decay == 1.0 else AuthorsSchedule(
        [opt_G, opt_D], lr=cfg.lr, decay=cfg.adam_lr_decay, min_lr=cfg.min_lr)
    return opt_G, opt_D, schedule


def _save_grid(ctx: Any, G: torch.nn.Module, noise: torch.Tensor, epoch: int) -> Path:
    from seminal.gan.plots import sample_grid_figure

    with torch.no_grad():
        images = G(noise.to(next(G.parameters()).device)).cpu()
    fig = sample_grid_figure(images.reshape(-1, 28, 28), nrow=10, title=f"fixed-noise samples, epoch {epoch + 1}")
    return ctx.save_figure(fig, f"samples_epoch_{epoch + 1:04d}")


def train_gan(
    cfg: GANTrainConfig,
    ctx: Any,
    train_images: torch.Tensor,
    *,
    name: str = "gan",
    meta: dict[str, Any] | None = None,
    valid_images: torch.Tensor | None = None,
) -> GANTrainOutcome:
    """Train G and D on ``train_images`` (float in [0, 1], ``(N, 784)``) with Algorithm 1.

    ``valid_images`` (needed when ``cfg.monitor_every`` > 0) are scored by the monitor.

    Writes ``<ctx.out_dir>/generator.pt`` (see :mod:`seminal.gan.checkpoint`) with ``meta`` and the
    history, sample grids under ``figures/``, and the Trainer's checkpoints and metrics.
    """
    cfg.validate()
    threads = torch.get_num_threads()
    on_cpu = getattr(getattr(ctx, "device", None), "type", "cpu") == "cpu"
    if cfg.cpu_threads > 0 and on_cpu:
        torch.set_num_threads(cfg.cpu_threads)
    try:
        return _train_gan(cfg, ctx, train_images, name=name, meta=meta, valid_images=valid_images)
    finally:
        torch.set_num_threads(threads)


def _train_gan(
    cfg: GANTrainConfig, ctx: Any, train_images: torch.Tensor, *, name: str, meta: dict[str, Any] | None,
    valid_images: torch.Tensor | None,
) -> GANTrainOutcome:
    from seminal.training import Trainer

    train_images = train_images.reshape(train_images.shape[0], -1).float()
    if train_images.shape[0] < cfg.batch_size * cfg.k:
        raise ValueError(
            f"Invalid n_train: {train_images.shape[0]} images (expected at least k * batch_size = {cfg.batch_size * cfg.k})"
        )
    if cfg.monitor_every > 0 and (valid_images is None or valid_images.shape[0] < 2):
        raise ValueError("Invalid valid_images: monitor_every > 0 needs at least 2 validation images")
    G, D = build_models(cfg, train_images)
    opt_G, opt_D, schedule = build_optimizers(cfg, G, D)
    trainer = Trainer(
        ctx, modules={"G": G, "D": D}, optimizers={"G": opt_G, "D": opt_D},
        schedulers={"authors": schedule} if schedule is not None else None,
        name=name, checkpoint_every=cfg.checkpoint_every,
    )
    G = trainer.module("G")
    D = trainer.module("D")
    state = trainer.state
    if "fixed_noise" not in state:
        # Its own generator: drawing the grid's noise must not move the global RNG stream.
        state["fixed_noise"] = sample_noise(100, cfg.noise_dim, cfg.prior, generator=torch.Generator().manual_seed(ctx.seed + 7919))
    state.setdefault("epoch_sums", {key: 0.0 for key in _STEP_KEYS})
    state.setdefault("epoch_steps", 0)
    state.setdefault("train_seconds", 0.0)
    state.setdefault("train_images", 0)
    loader = trainer.loader(TensorDataset(train_images), batch_size=cfg.batch_size * cfg.k, shuffle=True, drop_last=True)

    n_epochs = epochs_to_run(cfg, len(loader))
    for epoch in trainer.epochs(n_epochs):
        if schedule is not None:
            schedule.set_epoch(epoch)
        G.train()
        D.train()
        started = time.perf_counter()
        for batch in trainer.batches(loader, epoch):
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            # k minibatches of m (of m / world_size per process under torchrun: the loader's batch is global)
            minibatches = iter(x.chunk(cfg.k))
            device = x.device
            stats = algorithm1_step(
                G, D, opt_G, opt_D,
                next_real=lambda: next(minibatches),
                sample_noise=lambda m: sample_noise(m, cfg.noise_dim, cfg.prior, device=device),
                k=cfg.k, g_loss=cfg.g_loss, update=cfg.update,
            )
            if schedule is not None:
                schedule.step()
            for key in _STEP_KEYS:
                state["epoch_sums"][key] += getattr(stats, key)
            state["epoch_steps"] += 1
            state["train_images"] += int(x.shape[0])
            trainer.log_step(loss=stats.d_loss, g_loss=stats.g_loss, d_real=stats.d_real, d_fake=stats.d_fake)
        state["train_seconds"] += time.perf_counter() - started
        steps = max(1, state["epoch_steps"])
        epoch_metrics = {key: state["epoch_sums"][key] / steps for key in _STEP_KEYS}
        epoch_metrics["lr"] = float(opt_G.param_groups[0]["lr"])
        if schedule is not None and cfg.optimizer == "sgd":
            epoch_metrics["momentum"] = schedule.momentum
        state["epoch_sums"] = {key: 0.0 for key in _STEP_KEYS}
        state["epoch_steps"] = 0
        if cfg.monitor_every > 0 and ((epoch + 1) % cfg.monitor_every == 0 or epoch == n_epochs - 1):
            assert valid_images is not None
            with _evaluated_weights(opt_G, cfg):
                score = monitor_log_likelihood(trainer.unwrap("G"), valid_images[: cfg.monitor_valid], cfg, seed=ctx.seed + 104729)
                best = state.get("best")
                if cfg.keep_best and (best is None or score > best["monitor_ll"]):
                    g_state = {k: v.detach().cpu().clone() for k, v in trainer.unwrap("G").state_dict().items()}
                    state["best"] = {"monitor_ll": score, "epoch": epoch + 1, "state_dict": g_state}
            epoch_metrics["monitor_ll"] = score
        last = epoch == n_epochs - 1
        if trainer.is_main and (last or (cfg.sample_every > 0 and (epoch + 1) % cfg.sample_every == 0)):
            # before log_epoch, whose checkpoint marks the epoch done: a crash here redoes the grid
            with _evaluated_weights(opt_G, cfg):
                _save_grid(ctx, trainer.unwrap("G").eval(), state["fixed_noise"], epoch)
        trainer.log_epoch(**epoch_metrics)
    history = [dict(h) for h in trainer.history]
    images_per_second = state["train_images"] / state["train_seconds"] if state["train_seconds"] > 0 else float("nan")
    trainer.close()

    generator = trainer.unwrap("G").eval()
    best = state.get("best") if cfg.keep_best else None
    if best is not None:
        generator.load_state_dict(best["state_dict"])
    elif cfg.g_averaging is not None:  # the generator evaluated is the averaged one (§7.2), as keep_best's is
        with _evaluated_weights(opt_G, cfg):
            averaged = {k: v.detach().clone() for k, v in generator.state_dict().items()}
        generator.load_state_dict(averaged)
    path = Path(ctx.out_dir) / GENERATOR_FILE
    if trainer.is_main:
        full_meta = {**(meta or {}), "epochs": n_epochs, "iterations": n_epochs * len(loader), "history": _jsonable(history),
                     "images_per_second": float(images_per_second), "train_seconds": float(state["train_seconds"])}
        if best is not None:
            full_meta.update(selected_epoch=int(best["epoch"]), selected_monitor_ll=float(best["monitor_ll"]))
        save_generator(path, generator, prior=cfg.prior, meta=full_meta)
    barrier()  # under torchrun the other ranks may read generator.pt next
    return GANTrainOutcome(generator, trainer.unwrap("D"), history, path, float(images_per_second),
                           int(best["epoch"]) if best is not None else None, float(state["train_seconds"]))


def _evaluated_weights(opt_G: torch.optim.Optimizer, cfg: GANTrainConfig) -> contextlib.AbstractContextManager[Any]:
    """G's parameters as evaluated: the temporal average θ̂ while inside (``g_averaging``), else as they are."""
    if cfg.g_averaging is None:
        return contextlib.nullcontext()
    return opt_G.averaged_parameters()  # type: ignore[attr-defined]


def epochs_to_run(cfg: GANTrainConfig, batches_per_epoch: int) -> int:
    """``cfg.epochs``, or more when needed for at least ``cfg.min_iterations`` Algorithm-1 iterations."""
    if cfg.min_iterations <= 0:
        return cfg.epochs
    return max(cfg.epochs, -(-cfg.min_iterations // max(1, batches_per_epoch)))


@torch.no_grad()
def monitor_log_likelihood(G: torch.nn.Module, valid_images: torch.Tensor, cfg: GANTrainConfig, *, seed: int) -> float:
    """The cheap validation Parzen score: ``cfg.monitor_samples`` samples of G (own seeded noise,
    the global RNG is not touched), best mean log-likelihood over the σ grid on ``valid_images``.

    Both σ and the score come from the same validation images, so it is optimistic; it only ranks
    epochs of one run (the reported Table-1 number uses σ from validation and the test set).
    """
    from seminal.gan.parzen import SIGMA_GRID, select_sigma

    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    z = sample_noise(cfg.monitor_samples, cfg.noise_dim, cfg.prior, generator=torch.Generator().manual_seed(seed))
    samples = torch.cat([G(chunk.to(device)).cpu() for chunk in z.split(1000)])
    G.train(was_training)
    _, means = select_sigma(valid_images.reshape(valid_images.shape[0], -1).float().cpu(), samples, SIGMA_GRID)
    return float(means.max())


def _jsonable(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in history:
        out.append({k: (float(v) if isinstance(v, (int, float)) or hasattr(v, "item") else str(v)) for k, v in row.items()})
    return out
