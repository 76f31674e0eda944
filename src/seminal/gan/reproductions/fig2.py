"""gan-fig2: fair random samples with each row's nearest training image (Figure 2, MNIST panel).

Samples are the first ``rows × cols`` draws of a seeded noise stream (no selection). The outlined
rightmost column shows, for the sample just left of it, the training image nearest in pixel L2:
the paper's evidence that G does not memorise. As a number, we compare the distance from every
sample to its nearest training image with the same distance for held-out test digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seminal.gan.reproductions.common import generate, load_gan_data, obtain_generator
from seminal.gan.reproductions.table1 import quick as table1_quick
from seminal.gan.reproductions.table1 import smoke as table1_smoke
from seminal.experiments.registry import ComparisonRow, PaperTarget, RunContext, RunResult
from seminal.gan.parzen import squared_distances
from seminal.gan.plots import nearest_neighbour_figure
from seminal.gan.trainer import GANTrainConfig

__all__ = ["Fig2Config", "TARGETS", "run", "quick", "smoke", "nearest_training_images"]

TARGETS = (PaperTarget("samples are not training images", "nearest training image visibly different", "Figure 2"),)


@dataclass
class Fig2Config(GANTrainConfig):
    """The GAN recipe plus the figure's layout.

    Attributes:
        rows, cols: samples per row and rows (paper's MNIST panel: 6 rows of 5 + neighbour column).
        n_distance: samples / test images used for the nearest-neighbour distance statistic.
    """

    rows: int = 6
    cols: int = 5
    n_distance: int = 1_000


def _recipe_from(base: GANTrainConfig, **extra: int) -> Fig2Config:
    return Fig2Config(**base.recipe(), cpu_threads=base.cpu_threads, **extra)


def quick() -> Fig2Config:
    return _recipe_from(table1_quick())


def smoke() -> Fig2Config:
    return _recipe_from(table1_smoke(), n_distance=100)


def nearest_training_images(queries: torch.Tensor, train: torch.Tensor, chunk: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """(index, L2 distance) of each query's nearest image in ``train``; ``(N,)`` each."""
    q, t = queries.reshape(queries.shape[0], -1).double(), train.reshape(train.shape[0], -1).double()
    t_sq = (t * t).sum(dim=1)
    idx, dist = [], []
    for start in range(0, q.shape[0], chunk):
        d2 = squared_distances(q[start : start + chunk], t, t_sq)
        best, arg = d2.min(dim=1)
        idx.append(arg)
        dist.append(best.sqrt())
    return torch.cat(idx), torch.cat(dist)


def run(cfg: Fig2Config, ctx: RunContext) -> RunResult:
    data = load_gan_data(cfg, ctx)
    obtained = obtain_generator(cfg, ctx, data)
    n_grid = cfg.rows * cfg.cols
    samples = generate(obtained.loaded, max(n_grid, cfg.n_distance), seed=ctx.seed + 2, device=ctx.device)
    grid = samples[:n_grid].reshape(cfg.rows, cfg.cols, 784)
    nn_idx, _ = nearest_training_images(grid[:, -1], data.train)
    figure = nearest_neighbour_figure(grid.reshape(-1, 28, 28), data.train[nn_idx].reshape(-1, 28, 28), cfg.cols)
    figures = [ctx.save_figure(figure, "fig2_samples_nearest")]

    n = min(cfg.n_distance, data.test.shape[0], samples.shape[0])
    _, gen_dist = nearest_training_images(samples[:n], data.train)
    _, test_dist = nearest_training_images(data.test[:n], data.train)
    ratio = float(gen_dist.median() / test_dist.median())
    copies = float((gen_dist < 1.0).double().mean())
    comparison = [
        ComparisonRow(
            "median L2 to nearest training image: samples / real test digits", "not memorised (Fig. 2)",
            f"{ratio:.2f} ({float(gen_dist.median()):.2f} vs {float(test_dist.median()):.2f})", ratio >= 0.5, "Figure 2",
            f"{n} samples and {n} test digits; agreement = samples are at least half as far from the training set as unseen "
            "real digits are (a memorising G would give ≈ 0). A blurry, undertrained G also passes: look at the figure",
        ),
        ComparisonRow(
            "samples within L2 < 1 of a training image (near-copies)", "—", f"{100 * copies:.1f}%", None, "ours", "",
        ),
    ]
    metrics = {
        "nn_distance_ratio": ratio, "nn_distance_samples_median": float(gen_dist.median()),
        "nn_distance_test_median": float(test_dist.median()), "near_copy_fraction": copies, "n_distance": n,
        "generator_reused_from": str(obtained.reused_from) if obtained.reused_from else None,
    }
    return RunResult(metrics=metrics, comparison=comparison, figures=figures)
