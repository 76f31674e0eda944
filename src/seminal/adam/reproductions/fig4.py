"""``adam-fig4``: Fig. 4 of Kingma & Ba (2015), §6.4 -- the effect of bias correction.

A variational auto-encoder (one hidden layer of 500 softplus units in encoder and decoder, a
50-dimensional Gaussian latent) is trained on MNIST with Adam and with the same update without
the §3 bias-correction terms ("RMSProp with momentum",
:class:`~seminal.adam.Adam` with ``bias_correction=False``) over the grid
β1 ∈ {0, 0.9}, β2 ∈ {0.99, 0.999, 0.9999}, log10 α ∈ {−5, ..., −1}, and the training loss is read
after 10 and 100 epochs. The paper's claims: without bias correction, β2 close to 1 makes
training unstable (especially early), and Adam is as good or better in every cell.

Deviations (also in docs/papers/adam-reproduction.md): Bernoulli likelihood on [0, 1] pixel
intensities, minibatch 128 and ε = 1e-8 are ours (the paper gives none of them); the loss is
each epoch's mean minibatch −ELBO in nats; quick presets read the loss after fewer epochs on a
reduced grid.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import torch

from seminal.adam import Adam
from seminal.adam.reproductions.data import load_flat_mnist
from seminal.adam.reproductions.loop import Curve, train_curve
from seminal.adam.reproductions.models import VAE
from seminal.adam.reproductions.plots import new_figure
from seminal.experiments.registry import ComparisonRow, Experiment, PaperTarget, RunContext, RunResult

__all__ = ["Fig4Config", "EXPERIMENT", "run", "cell_name"]

SOURCE = "Fig. 4, §6.4"


@dataclass
class Fig4Config:
    """Defaults are the paper's full setting; fields the paper leaves open are marked (ours).

    Attributes:
        beta1s: values of β1 to sweep.
        beta2s: values of β2 to sweep.
        log10_lrs: step sizes α to sweep, as log10(α).
        hidden: units of the VAE's hidden layer (paper: 500).
        latent: dimension of the VAE's latent code (paper: 50).
        train_limit: training images to use; None uses every one.
        synthetic: smoke preset only: random prototype digits instead of MNIST.
    """

    report_epochs: tuple[int, ...] = (10, 100)  # read the training loss after these epochs
    beta1s: tuple[float, ...] = (0.0, 0.9)
    beta2s: tuple[float, ...] = (0.99, 0.999, 0.9999)
    log10_lrs: tuple[int, ...] = (-5, -4, -3, -2, -1)
    batch_size: int = 128  # (ours)
    eps: float = 1e-8  # (ours) Algorithm 1's default, the same for both variants
    hidden: int = 500
    latent: int = 50
    train_limit: int | None = None
    synthetic: bool = False


def quick() -> Fig4Config:
    return Fig4Config(report_epochs=(1, 3), beta1s=(0.9,), beta2s=(0.99, 0.9999), log10_lrs=(-4, -3, -2),
                      train_limit=2_000)


def smoke() -> Fig4Config:
    return Fig4Config(report_epochs=(1, 2), beta1s=(0.9,), beta2s=(0.99, 0.9999), log10_lrs=(-3, -1),
                      hidden=32, latent=4, train_limit=256, synthetic=True)


def cell_name(beta1: float, beta2: float, log10_lr: int, bias_correction: bool) -> str:
    """The Trainer name (checkpoint stem) of one grid cell."""
    return f"b1-{beta1:g}_b2-{beta2:g}_lr-1e{log10_lr}_{'adam' if bias_correction else 'nobc'}"


def _validate(cfg: Fig4Config) -> None:
    if not cfg.report_epochs or any(e <= 0 for e in cfg.report_epochs):
        raise ValueError(f"Invalid report_epochs: {cfg.report_epochs} (expected positive epoch numbers)")
    for name in ("beta1s", "beta2s"):
        for beta in getattr(cfg, name):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid {name} entry: {beta} (expected 0 <= beta < 1)")
    if not cfg.log10_lrs:
        raise ValueError("Invalid log10_lrs: () (expected at least one exponent)")
    for name in ("batch_size", "hidden", "latent"):
        if getattr(cfg, name) <= 0:
            raise ValueError(f"Invalid {name}: {getattr(cfg, name)} (expected a positive int)")


def _loss(model: VAE, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    (images,) = batch[:1]
    loss = model.negative_elbo(images)
    return loss, loss.detach()


def run(cfg: Fig4Config, ctx: RunContext) -> RunResult:
    _validate(cfg)
    data = load_flat_mnist(ctx, train_limit=cfg.train_limit, test_limit=None, synthetic=cfg.synthetic)
    dataset = data.train_dataset()
    epochs = max(cfg.report_epochs)
    template = VAE(hidden=cfg.hidden, latent=cfg.latent)  # every cell starts from this initialisation

    cells: list[dict[str, Any]] = []
    for beta1 in cfg.beta1s:
        for beta2 in cfg.beta2s:
            for log10_lr in cfg.log10_lrs:
                for bias_correction in (True, False):
                    model = copy.deepcopy(template)
                    lr = 10.0 ** log10_lr
                    optimizer = Adam(model.parameters(), lr=lr, betas=(beta1, beta2), eps=cfg.eps, bias_correction=bias_correction)
                    method = "adam" if bias_correction else "no_bias_correction"
                    curve: Curve = train_curve(
                        ctx, name=cell_name(beta1, beta2, log10_lr, bias_correction), method=method, lr=lr,
                        model=model, optimizer=optimizer, dataset=dataset, epochs=epochs,
                        batch_size=cfg.batch_size, loss_fn=_loss)
                    cells.append({"beta1": beta1, "beta2": beta2, "log10_lr": log10_lr,
                                  "bias_correction": bias_correction, "diverged": curve.diverged,
                                  "loss_at": {str(e): curve.losses[e - 1] for e in cfg.report_epochs},
                                  "losses": curve.losses})

    figures = [ctx.save_figure(_figure(cfg, cells), "fig4_bias_correction")]
    metrics = {"cells": cells, "data": data.description, "train_images": len(dataset)}
    return RunResult(metrics=metrics, comparison=_compare(cfg, cells, data.description), figures=figures)


def _paired(cfg: Fig4Config, cells: list[dict[str, Any]], epoch: int) -> list[tuple[dict[str, Any], float, float]]:
    """(cell key, Adam's loss, no-bias-correction loss) per (β1, β2, α), NaN/inf -> inf."""
    def finite(value: float) -> float:
        return value if math.isfinite(value) else math.inf

    by_key = {(c["beta1"], c["beta2"], c["log10_lr"], c["bias_correction"]): c for c in cells}
    pairs = []
    for (b1, b2, lr, bc), cell in by_key.items():
        if bc:
            other = by_key[(b1, b2, lr, False)]
            pairs.append(({"beta1": b1, "beta2": b2, "log10_lr": lr},
                          finite(cell["loss_at"][str(epoch)]), finite(other["loss_at"][str(epoch)])))
    return pairs


def _compare(cfg: Fig4Config, cells: list[dict[str, Any]], data_description: str) -> list[ComparisonRow]:
    rows: list[ComparisonRow] = []
    for epoch in cfg.report_epochs:
        pairs = _paired(cfg, cells, epoch)
        # Adam "as good or better": within 1% of, or below, the no-bias-correction loss.
        good = sum(1 for _, adam, nobc in pairs if adam <= nobc * 1.01 or (math.isinf(nobc) and not math.isinf(adam)))
        rows.append(ComparisonRow(
            f"Adam ≥ no bias correction, after {epoch} epoch(s)", "in every (β1, β2, α) cell",
            f"{good}/{len(pairs)} cells", agrees=good >= 0.9 * len(pairs), source=SOURCE,
            comment=f"criterion: Adam's loss <= 1.01 x the other's (or the other diverged) in >= 90% of cells"))

    last = max(cfg.report_epochs)
    pairs = _paired(cfg, cells, last)

    def worse(beta2: float) -> tuple[int, int]:
        # Cells where dropping bias correction hurts: it diverged while Adam did not, or its loss
        # is > 10% above Adam's. Returns (such cells, of which diverged).
        hurt = [(adam, nobc) for key, adam, nobc in pairs
                if key["beta2"] == beta2 and not math.isinf(adam) and nobc > 1.10 * adam]
        return len(hurt), sum(1 for _, nobc in hurt if math.isinf(nobc))

    low, high = min(cfg.beta2s), max(cfg.beta2s)
    (bad_high, diverged_high), (bad_low, diverged_low) = worse(high), worse(low)
    rows.append(ComparisonRow(
        "no bias correction unstable for β2 near 1", f"worse or divergent at β2 = {high}",
        f"cells where it is > 10% worse or diverged (Adam did not): β2={high}: {bad_high} ({diverged_high} diverged); "
        f"β2={low}: {bad_low} ({diverged_low} diverged)",
        agrees=bad_high > bad_low if high != low else None, source=SOURCE,
        comment=(f"criterion: more such cells at β2 = {high} than at β2 = {low}, after {last} epoch(s)")))
    return rows


def _figure(cfg: Fig4Config, cells: list[dict[str, Any]]) -> Any:
    epochs = sorted(cfg.report_epochs)
    fig = new_figure(3.6 * len(cfg.beta2s), 3.0 * len(epochs))
    axes = fig.subplots(len(epochs), len(cfg.beta2s), squeeze=False)
    finite = [v for c in cells for v in c["loss_at"].values() if math.isfinite(v)]
    ceiling = 1.05 * max(finite) if finite else 1.0
    for row, epoch in enumerate(epochs):
        for col, beta2 in enumerate(cfg.beta2s):
            ax = axes[row][col]
            for beta1 in cfg.beta1s:
                for bias_correction, color in ((True, "tab:red"), (False, "tab:green")):
                    chosen = [c for c in cells if c["beta1"] == beta1 and c["beta2"] == beta2
                              and c["bias_correction"] == bias_correction]
                    xs = [c["log10_lr"] for c in chosen]
                    ys = [c["loss_at"][str(epoch)] for c in chosen]
                    label = f"{'Adam' if bias_correction else 'no bias corr.'}, β1={beta1:g}"
                    ax.plot(xs, [y if math.isfinite(y) else math.nan for y in ys], color=color,
                            linestyle="-" if beta1 == max(cfg.beta1s) else "--", marker="o", label=label)
                    bad_x = [x for x, y in zip(xs, ys) if not math.isfinite(y)]
                    ax.plot(bad_x, [ceiling] * len(bad_x), color=color, marker="x", linestyle="none")
            ax.set_title(f"β2={beta2:g}, after {epoch} epoch(s)")
            ax.set_xlabel("log10(α)")
            if col == 0:
                ax.set_ylabel("loss (−ELBO, nats)")
            ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("VAE: bias correction (red) vs none (green); x = diverged")
    return fig


TARGETS = (
    PaperTarget("Adam vs no bias correction", "Adam as good or better in every (β1, β2, α) cell", SOURCE),
    PaperTarget("no bias correction, β2 near 1", "unstable (worse or divergent), especially early", SOURCE),
)

EXPERIMENT = Experiment(
    id="adam-fig4", paper="adam",
    title="Fig. 4: VAE, Adam with vs without bias correction over β1, β2 and α",
    config_cls=Fig4Config, quick=quick, smoke=smoke, targets=TARGETS, run=run, requires="MNIST",
)
