"""Sample-quality metrics that Parzen windows cannot be fooled by.

* Fréchet distance (Heusel et al., 2017) between Gaussians fitted to classifier features of real
  and generated images:  FD = ‖μ_r - μ_g‖² + Tr(Σ_r + Σ_g - 2 (Σ_r Σ_g)^{1/2}).
  With an MNIST CNN instead of Inception (so "FID" would be a misnomer; we say "Fréchet distance").
* Classifier score (the Inception-score analogue, Salimans et al., 2016):
  exp(E_x KL(p(y|x) ‖ p(y))), between 1 and 10; high when samples are confidently classified and
  all classes occur.
* Class histogram of predicted labels: mode coverage (a collapsed G fills few classes).

Tr (Σ_r Σ_g)^{1/2} is computed as Σ sqrt(eig(Σ_r^{1/2} Σ_g Σ_r^{1/2})), a symmetric PSD matrix,
so no complex square roots or scipy are needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "feature_statistics",
    "frechet_distance",
    "classifier_score",
    "class_histogram",
    "SampleQuality",
    "evaluate_sample_quality",
]


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``(F,)`` and unbiased covariance ``(F, F)`` of ``(N, F)`` features, float64."""
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"Invalid features: shape {tuple(features.shape)} (expected (N, F) with N >= 2)")
    f = features.double()
    mu = f.mean(dim=0)
    centred = f - mu
    return mu, centred.T @ centred / (f.shape[0] - 1)


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    eigvals, eigvecs = torch.linalg.eigh(matrix)
    return (eigvecs * eigvals.clamp_min(0.0).sqrt()) @ eigvecs.T


def frechet_distance(mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2)."""
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise ValueError(f"Invalid means: shapes {tuple(mu1.shape)} and {tuple(mu2.shape)} (expected equal (F,))")
    f = mu1.shape[0]
    if cov1.shape != (f, f) or cov2.shape != (f, f):
        raise ValueError(f"Invalid covariances: {tuple(cov1.shape)}, {tuple(cov2.shape)} (expected ({f}, {f}))")
    mu1, mu2, cov1, cov2 = (t.double() for t in (mu1, mu2, cov1, cov2))
    root1 = _sqrtm_psd(cov1)
    middle = root1 @ cov2 @ root1
    trace_sqrt = torch.linalg.eigvalsh(0.5 * (middle + middle.T)).clamp_min(0.0).sqrt().sum()
    diff = mu1 - mu2
    return float(diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2.0 * trace_sqrt)


def classifier_score(probabilities: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))) for ``(N, C)`` class probabilities (rows sum to 1)."""
    if probabilities.ndim != 2 or probabilities.shape[0] == 0:
        raise ValueError(f"Invalid probabilities: shape {tuple(probabilities.shape)} (expected (N, C) with N >= 1)")
    p = probabilities.double().clamp_min(1e-12)
    marginal = p.mean(dim=0, keepdim=True)
    kl = (p * (p.log() - marginal.log())).sum(dim=1)
    return float(kl.mean().exp())


def class_histogram(predictions: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Counts of each predicted class, ``(num_classes,)`` int64."""
    if predictions.ndim != 1:
        raise ValueError(f"Invalid predictions: shape {tuple(predictions.shape)} (expected (N,))")
    return torch.bincount(predictions.long(), minlength=num_classes)


@dataclass(frozen=True)
class SampleQuality:
    """Metrics of a sample set against real reference images.

    Attributes:
        frechet: Fréchet distance of generated vs reference features (lower is better).
        frechet_real: the same distance for held-out *real* images of the same count vs the
            reference (the floor a perfect generator would reach at this sample size).
        classifier_score: of the generated samples (10 = perfect, 1 = worst).
        classifier_score_real: of real held-out images (the practical ceiling).
        histogram: predicted-class counts of the generated samples.
        histogram_real: predicted-class counts of the held-out real images used for the floor.
        modes_covered: classes holding at least 1/4 of their uniform share (N/40 samples).
        n_samples: generated samples used.
    """

    frechet: float
    frechet_real: float
    classifier_score: float
    classifier_score_real: float
    histogram: list[int]
    histogram_real: list[int]
    modes_covered: int
    n_samples: int


@torch.no_grad()
def _features_and_probs(net: nn.Module, images: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    feats, probs = [], []
    for i in range(0, images.shape[0], batch):
        x = images[i : i + batch].reshape(-1, 784).float().cpu()
        f = net.features(x)
        feats.append(f)
        probs.append(torch.softmax(net.head(f), dim=1))
    return torch.cat(feats), torch.cat(probs)


def evaluate_sample_quality(
    net: nn.Module, samples: torch.Tensor, reference: torch.Tensor, held_out_real: torch.Tensor
) -> SampleQuality:
    """Fréchet distance, classifier score and class histogram of ``samples``.

    ``reference`` (e.g. the training images) defines the real feature distribution;
    ``held_out_real`` (e.g. test images) gives the real-vs-real floor, using as many images as samples.
    """
    net.eval()
    ref_f, _ = _features_and_probs(net, reference)
    gen_f, gen_p = _features_and_probs(net, samples)
    n_real = min(held_out_real.shape[0], samples.shape[0])
    real_f, real_p = _features_and_probs(net, held_out_real[:n_real])
    mu_r, cov_r = feature_statistics(ref_f)
    hist = class_histogram(gen_p.argmax(dim=1))
    n = samples.shape[0]
    return SampleQuality(
        frechet=frechet_distance(*feature_statistics(gen_f), mu_r, cov_r),
        frechet_real=frechet_distance(*feature_statistics(real_f), mu_r, cov_r),
        classifier_score=classifier_score(gen_p),
        classifier_score_real=classifier_score(real_p),
        histogram=[int(c) for c in hist],
        histogram_real=[int(c) for c in class_histogram(real_p.argmax(dim=1))],
        modes_covered=int((hist >= n / 40.0).sum()),
        n_samples=int(n),
    )
