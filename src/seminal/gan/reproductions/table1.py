"""gan-table1: train the MNIST GAN and evaluate it with Table 1's Parzen-window protocol, beside
a metric Parzen cannot be fooled by (Fréchet distance in an MNIST classifier's features,
classifier score, class histogram).

Full preset = the authors' recipe and the exact protocol (10,000 samples, σ on 1,000 validation
images, 10,000 test images). Quick = a short Adam run on at most the available data with a reduced
protocol, labelled as such in every row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.figure import Figure

from seminal.gan.reproductions.common import generate, load_gan_data, obtain_generator
from seminal.experiments.registry import ComparisonRow, PaperTarget, RunContext, RunResult
from seminal.gan.classifier import load_or_train_classifier
from seminal.gan.frechet import evaluate_sample_quality
from seminal.gan.parzen import SIGMA_GRID, parzen_evaluate
from seminal.gan.plots import sample_grid_figure, training_curves_figure
from seminal.gan.trainer import GANTrainConfig

__all__ = ["Table1Config", "TARGETS", "run", "quick", "smoke"]

#: Table 1, MNIST column (nats; ± standard error).
TABLE1_MNIST: dict[str, tuple[float, float]] = {
    "DBN": (138.0, 2.0),
    "Stacked CAE": (121.0, 1.6),
    "Deep GSN": (214.0, 1.1),
    "Adversarial nets": (225.0, 2.0),
}

TARGETS = (
    PaperTarget("Parzen log-likelihood, adversarial nets, MNIST", 225.0, "Table 1 (± 2)", "nats"),
    PaperTarget("Parzen log-likelihood, Deep GSN, MNIST", 214.0, "Table 1 (± 1.1)", "nats"),
    PaperTarget("Parzen log-likelihood, DBN, MNIST", 138.0, "Table 1 (± 2)", "nats"),
    PaperTarget("Parzen log-likelihood, Stacked CAE, MNIST", 121.0, "Table 1 (± 1.6)", "nats"),
)


@dataclass
class Table1Config(GANTrainConfig):
    """The GAN recipe (see :class:`GANTrainConfig`) plus the evaluation protocol.

    Attributes:
        parzen_samples: generated samples the Parzen window is fitted to (10,000).
        parzen_valid: validation images σ is chosen on (1,000).
        parzen_test: test images the log-likelihood is reported on (10,000 = the whole test set).
        quality_samples: samples for Fréchet distance / classifier score (10,000; capped at the
            number of test images, so generated and real sets have the same size).
        classifier_epochs: training epochs of the feature classifier (cached).
    """

    parzen_samples: int = 10_000
    parzen_valid: int = 1_000
    parzen_test: int = 10_000
    quality_samples: int = 10_000
    classifier_epochs: int = 3


def quick() -> Table1Config:
    """Reduced: minutes on 2 CPU cores, on at most 10,000 images, with a reduced Parzen protocol.

    Deviations from the authors' recipe (measured on the offline fallback's train/validation
    split, see docs/papers/gan.md "Why the quick GAN collapsed"):

    * Adam(2e-4, betas (0.5, 0.999)) instead of momentum SGD; simultaneous updates, k = 1 (as the
      authors' code).
    * Narrower networks: G 100 -> ReLU 256 -> ReLU 256 -> sigmoid 784, D maxout 64 x 3 pieces
      twice (paper: 1200-1200 and 240 x 5).
    * G weights ~ U(+-0.2) instead of U(+-0.05): with 256-wide layers the authors' range makes G
      nearly constant in z at the start (output-logit std across z 0.02, vs 0.10 for the 1200-wide
      paper G), and it collapsed to 2-3 digit classes; 0.2 restores a z-dependent start.
    * 80 epochs (2,400 Algorithm-1 iterations on the fallback's 3,000 training images).
    * Trains with one CPU thread (``cpu_threads=1``; speed only, see :class:`GANTrainConfig`).
    """
    return Table1Config(
        epochs=80, optimizer="adam", lr=2e-4, update="simultaneous", g_hidden=256, g_init_range=0.2,
        d_units=64, d_pieces=3, n_train=10_000, n_valid=1_000, sample_every=20, checkpoint_every=500, cpu_threads=1,
        parzen_samples=3_000, parzen_valid=300, parzen_test=1_000, quality_samples=1_000, classifier_epochs=5,
    )


def smoke() -> Table1Config:
    return Table1Config(
        epochs=2, batch_size=50, optimizer="adam", lr=2e-4, update="alternating", g_hidden=32, d_units=16,
        d_pieces=2, n_train=200, n_valid=100, sample_every=1, checkpoint_every=2,
        parzen_samples=100, parzen_valid=50, parzen_test=100, quality_samples=100, classifier_epochs=1,
    )


def _is_full_protocol(cfg: Table1Config, n_valid: int, n_test: int, is_fallback: bool) -> bool:
    return cfg.parzen_samples >= 10_000 and n_valid >= 1_000 and n_test >= 10_000 and not is_fallback


def _sigma_figure(sigmas: tuple[float, ...], means: tuple[float, ...], chosen: float) -> Any:
    fig = Figure(figsize=(4.5, 3.2))
    ax = fig.subplots()
    ax.semilogx(sigmas, means, "o-")
    ax.axvline(chosen, color="r", lw=0.8, label=f"chosen σ = {chosen:.3f}")
    ax.set_xlabel("σ")
    ax.set_ylabel("mean validation log-likelihood (nats)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _histogram_figure(hist: list[int], real_hist: list[int]) -> Any:
    fig = Figure(figsize=(4.5, 3.0))
    ax = fig.subplots()
    classes = list(range(len(hist)))
    ax.bar([c - 0.2 for c in classes], hist, width=0.4, label="generated")
    ax.bar([c + 0.2 for c in classes], real_hist, width=0.4, label="test images")
    ax.set_xticks(classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("count")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def run(cfg: Table1Config, ctx: RunContext) -> RunResult:
    data = load_gan_data(cfg, ctx)
    obtained = obtain_generator(cfg, ctx, data)
    figures = []
    if obtained.history:
        figures.append(ctx.save_figure(training_curves_figure(obtained.history), "training_curves"))

    samples = generate(obtained.loaded, cfg.parzen_samples, seed=ctx.seed + 1, device=ctx.device)
    valid = data.valid[: cfg.parzen_valid]
    test = data.test[: cfg.parzen_test]
    parzen = parzen_evaluate(samples, valid, test, SIGMA_GRID)
    # Reference, not in the paper: the same protocol with real training images as the "samples".
    real_ref = data.train[torch.randperm(data.train.shape[0], generator=torch.Generator().manual_seed(ctx.seed))[: cfg.parzen_samples]]
    parzen_real = parzen_evaluate(real_ref, valid, test, SIGMA_GRID)
    figures.append(ctx.save_figure(_sigma_figure(parzen.sigmas, parzen.validation_means, parzen.sigma), "parzen_sigma"))
    figures.append(ctx.save_figure(sample_grid_figure(samples[:100].reshape(-1, 28, 28), 10, "random samples"), "samples"))

    net, info = load_or_train_classifier(
        data.train, data.train_labels, data.test, data.test_labels,
        dataset=data.dataset, source=data.source, epochs=cfg.classifier_epochs, seed=0,
    )
    n_quality = min(cfg.quality_samples, data.test.shape[0])
    quality = evaluate_sample_quality(net, samples[:n_quality] if n_quality <= samples.shape[0]
                                      else generate(obtained.loaded, n_quality, ctx.seed + 2), data.train, data.test[:n_quality])
    figures.append(ctx.save_figure(_histogram_figure(quality.histogram, quality.histogram_real), "class_histogram"))

    full = _is_full_protocol(cfg, parzen.n_validation, parzen.n_test, data.is_fallback)
    protocol = (f"{parzen.n_samples} samples, σ chosen on {parzen.n_validation} validation images, "
                f"{parzen.n_test} test images")
    reduced = "" if full else f"REDUCED protocol ({protocol}; paper: 10,000 / 1,000 / 10,000 on full MNIST) -- not comparable"
    if data.is_fallback:
        reduced += "; trained on the 5,000-digit offline fallback"
    paper_mean, paper_se = TABLE1_MNIST["Adversarial nets"]
    tolerance = 2.0 * math.hypot(paper_se, parzen.stderr)
    comparison = [
        ComparisonRow(
            "Parzen log-likelihood, adversarial nets (nats)", f"{paper_mean:.0f} ± {paper_se:g}",
            f"{parzen.mean:.1f} ± {parzen.stderr:.1f} (σ = {parzen.sigma:.3f})",
            (abs(parzen.mean - paper_mean) <= tolerance) if full else None, "Table 1",
            (f"agreement = within 2 combined standard errors ({tolerance:.1f} nats); {protocol}" if full else reduced),
        ),
        ComparisonRow(
            "Table 1 ranking: adversarial nets above Deep GSN / DBN / Stacked CAE", "225 > 214 > 138 > 121",
            f"{parzen.mean:.1f} vs 214 / 138 / 121", (parzen.mean > TABLE1_MNIST["Deep GSN"][0]) if full else None,
            "Table 1", "the other rows are the paper's numbers for other models (not re-run here)" + (f"; {reduced}" if reduced else ""),
        ),
        ComparisonRow(
            "Parzen log-likelihood of real training images (not a model)", "—",
            f"{parzen_real.mean:.1f} ± {parzen_real.stderr:.1f} (σ = {parzen_real.sigma:.3f})", None, "ours",
            "the same protocol with real training digits (disjoint from validation and test) as the kernel centres: "
            "the scale a perfect sampler would reach",
        ),
        ComparisonRow(
            "Fréchet distance in MNIST-classifier features (lower is better)", "— (not in paper)",
            f"{quality.frechet:.2f} (real test images: {quality.frechet_real:.2f})", None, "ours",
            f"{quality.n_samples} samples vs training-set statistics; classifier test accuracy {info.test_accuracy:.3f}",
        ),
        ComparisonRow(
            "Classifier score exp(E KL(p(y given x) ‖ p(y))) (max 10)", "— (not in paper)",
            f"{quality.classifier_score:.2f} (real test images: {quality.classifier_score_real:.2f})", None, "ours", "",
        ),
        ComparisonRow(
            "Classes covered (≥ 1/4 of a uniform share)", "— (not in paper)", f"{quality.modes_covered}/10", None, "ours",
            f"predicted-class histogram of samples: {quality.histogram}",
        ),
    ]
    metrics: dict[str, Any] = {
        "parzen_mean": parzen.mean, "parzen_stderr": parzen.stderr, "parzen_sigma": parzen.sigma,
        "parzen_validation_means": list(parzen.validation_means), "parzen_sigmas": list(parzen.sigmas),
        "parzen_n_samples": parzen.n_samples, "parzen_n_validation": parzen.n_validation, "parzen_n_test": parzen.n_test,
        "parzen_full_protocol": full,
        "parzen_real_train_mean": parzen_real.mean, "parzen_real_train_stderr": parzen_real.stderr,
        "frechet": quality.frechet, "frechet_real": quality.frechet_real,
        "classifier_score": quality.classifier_score, "classifier_score_real": quality.classifier_score_real,
        "class_histogram": quality.histogram, "modes_covered": quality.modes_covered, "quality_n_samples": quality.n_samples,
        "classifier_test_accuracy": info.test_accuracy, "classifier_cached": info.cached,
        "train_images_per_second": obtained.images_per_second,
        "generator_reused_from": str(obtained.reused_from) if obtained.reused_from else None,
        "n_train": int(data.train.shape[0]), "data_source": data.source, "data_is_fallback": data.is_fallback,
        "split": data.split_note,
    }
    if obtained.history:
        last = obtained.history[-1]
        metrics.update({f"final_{k}": float(last[k]) for k in ("d_real", "d_fake", "d_loss", "g_loss") if k in last})
    return RunResult(metrics=metrics, comparison=comparison, figures=figures)
