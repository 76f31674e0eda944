"""gan-fig2: fair random samples with each row's nearest training image (Figure 2, MNIST panel).

Samples are the first ``rows × cols`` draws of a seeded noise stream (no selection). The outlined
rightmost column shows, for the sample just left of it, the training image nearest in pixel L2:
the paper's evidence that G does not memorise.

As numbers (:func:`nearest_neighbour_check`), held-out test digits are the yardstick, with
equal set sizes throughout (n samples, n test digits, n training images):

* not memorised: the median pixel distance from a sample to its nearest image of the whole
  training set is at least half that of a test digit (copies give ≈ 0);
* samples look like digits (precision-like): in the MNIST classifier's feature space, samples are
  at most 1.5x as far from their nearest training image as test digits are (noise, speckle and
  blobs are far from every digit);
* the digits are all there (recall-like): test digits are at most 1.5x as far from their nearest
  sample as from their nearest training image (a G that draws only some digits leaves the others
  far from every sample).

The check agrees only when all three hold. The old check (the pixel ratio alone, ≥ 0.5) let
speckled, mostly-one-class samples "agree" with a ratio of 1.00.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from seminal.gan.reproductions.common import generate, load_gan_data, obtain_generator
from seminal.gan.reproductions.table1 import Table1Config
from seminal.gan.reproductions.table1 import quick as table1_quick
from seminal.gan.reproductions.table1 import smoke as table1_smoke
from seminal.experiments.registry import ComparisonRow, PaperTarget, RunContext, RunResult
from seminal.gan.parzen import squared_distances
from seminal.gan.plots import nearest_neighbour_figure
from seminal.gan.trainer import GANTrainConfig

__all__ = ["Fig2Config", "TARGETS", "run", "quick", "smoke", "nearest_training_images", "NearestNeighbourCheck",
           "nearest_neighbour_check"]

#: The criteria of :func:`nearest_neighbour_check` (chosen before looking at any GAN's numbers).
MIN_PIXEL_RATIO = 0.5
MAX_FEATURE_RATIO = 1.5

TARGETS = (PaperTarget("samples are not training images", "nearest training image visibly different", "Figure 2"),)


@dataclass
class Fig2Config(GANTrainConfig):
    """The GAN recipe plus the figure's layout.

    Attributes:
        rows, cols: samples per row and rows (paper's MNIST panel: 6 rows of 5 + neighbour column).
        n_distance: samples / test images / training images used for the nearest-neighbour check.
        classifier_epochs: training epochs of the (cached) feature classifier; as gan-table1's quick.
    """

    rows: int = 6
    cols: int = 5
    n_distance: int = 1_000
    classifier_epochs: int = 3


def _recipe_from(base: Table1Config, **extra: int) -> Fig2Config:
    return Fig2Config(**base.recipe(), cpu_threads=base.cpu_threads, classifier_epochs=base.classifier_epochs, **extra)


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


@dataclass(frozen=True)
class NearestNeighbourCheck:
    """Median nearest-neighbour distances (samples S, test digits T, training subset R, |S|=|T|=|R|).

    Attributes:
        pixel_ratio: median pixel L2 S→train / T→train, the whole training set (≈ 0 for copies).
        precision_ratio: median feature distance S→R / T→R (large for non-digits).
        recall_ratio: median feature distance T→S / T→R (large when digits are missing).
    """

    pixel_ratio: float
    precision_ratio: float
    recall_ratio: float
    n: int

    @property
    def not_memorised(self) -> bool:
        return self.pixel_ratio >= MIN_PIXEL_RATIO

    @property
    def look_like_digits(self) -> bool:
        return self.precision_ratio <= MAX_FEATURE_RATIO

    @property
    def cover_the_digits(self) -> bool:
        return self.recall_ratio <= MAX_FEATURE_RATIO

    @property
    def agrees(self) -> bool:
        return self.not_memorised and self.look_like_digits and self.cover_the_digits


def _median_nn(queries: torch.Tensor, reference: torch.Tensor) -> float:
    return float(nearest_training_images(queries, reference)[1].median())


def nearest_neighbour_check(
    samples: torch.Tensor, test: torch.Tensor, train: torch.Tensor, features: Callable[[torch.Tensor], torch.Tensor], n: int
) -> NearestNeighbourCheck:
    """Compare samples with real test digits as neighbours of the training set (see module doc).

    ``features`` maps ``(N, 784)`` images to ``(N, F)`` (the MNIST classifier's feature layer);
    the first ``n`` samples, the first ``n`` test digits, all training images for the pixel ratio
    and ``n`` evenly spaced training images for the feature ratios are used.
    """
    n = min(n, samples.shape[0], test.shape[0], train.shape[0])
    if n < 2:
        raise ValueError(f"Invalid n: {n} (expected at least 2 samples, test and training images)")
    s, t = samples[:n].reshape(n, -1).float(), test[:n].reshape(n, -1).float()
    r = train[torch.linspace(0, train.shape[0] - 1, n).long()].reshape(n, -1).float()
    with torch.no_grad():
        fs, ft, fr = features(s), features(t), features(r)
    return NearestNeighbourCheck(
        pixel_ratio=_median_nn(s, train) / _median_nn(t, train),
        precision_ratio=_median_nn(fs, fr) / _median_nn(ft, fr),
        recall_ratio=_median_nn(ft, fs) / _median_nn(ft, fr),
        n=n,
    )


def run(cfg: Fig2Config, ctx: RunContext) -> RunResult:
    data = load_gan_data(cfg, ctx)
    obtained = obtain_generator(cfg, ctx, data)
    n_grid = cfg.rows * cfg.cols
    samples = generate(obtained.loaded, max(n_grid, cfg.n_distance), seed=ctx.seed + 2, device=ctx.device)
    grid = samples[:n_grid].reshape(cfg.rows, cfg.cols, 784)
    nn_idx, _ = nearest_training_images(grid[:, -1], data.train)
    figure = nearest_neighbour_figure(grid.reshape(-1, 28, 28), data.train[nn_idx].reshape(-1, 28, 28), cfg.cols)
    figures = [ctx.save_figure(figure, "fig2_samples_nearest")]

    from seminal.gan.classifier import load_or_train_classifier

    net, _ = load_or_train_classifier(data.train, data.train_labels, data.test, data.test_labels,
                                      dataset=data.dataset, source=data.source, epochs=cfg.classifier_epochs, seed=0)
    check = nearest_neighbour_check(samples, data.test, data.train, net.features, cfg.n_distance)
    _, gen_dist = nearest_training_images(samples[: check.n], data.train)
    copies = float((gen_dist < 1.0).double().mean())
    comparison = [
        ComparisonRow(
            "nearest training image: samples vs real test digits (pixel; features precision / recall)",
            "not memorised, and digits (Fig. 2)",
            f"pixel {check.pixel_ratio:.2f}; precision {check.precision_ratio:.2f}; recall {check.recall_ratio:.2f}",
            check.agrees, "Figure 2",
            f"ratios of median nearest-neighbour distances, {check.n} samples / test digits / training images; agreement = "
            f"pixel ≥ {MIN_PIXEL_RATIO} (not copies) and both feature ratios ≤ {MAX_FEATURE_RATIO} (look like digits; all "
            f"digits present). Failed: "
            + (", ".join(name for name, ok in (("memorised", check.not_memorised), ("not digit-like", check.look_like_digits),
                                                ("digits missing", check.cover_the_digits)) if not ok) or "none"),
        ),
        ComparisonRow(
            "samples within L2 < 1 of a training image (near-copies)", "—", f"{100 * copies:.1f}%", None, "ours", "",
        ),
    ]
    metrics = {
        "nn_pixel_ratio": check.pixel_ratio, "nn_precision_ratio": check.precision_ratio, "nn_recall_ratio": check.recall_ratio,
        "near_copy_fraction": copies, "n_distance": check.n,
        "generator_reused_from": str(obtained.reused_from) if obtained.reused_from else None,
    }
    return RunResult(metrics=metrics, comparison=comparison, figures=figures)
