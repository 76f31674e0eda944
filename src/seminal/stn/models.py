"""Classifiers of the paper's distorted-MNIST experiments (§4.1, Table 1) and the seed's network.

Table 1 models (Appendix A.4, read from secondary sources, spec sheet): ReLU networks with 3 weight layers in the
classifier and a softmax output (we return logits; the loss applies the softmax):

* ``FCN``: flatten -> FC h -> FC h -> FC 10.
* ``CNN``: conv c@9×9 -> max-pool 2 -> conv c@7×7 -> max-pool 2 -> FC 10.
* ``ST-FCN <T>`` / ``ST-CNN <T>``: a :class:`~seminal.stn.transformer.SpatialTransformer` with
  transform ``T`` in Aff / Proj / TPS (FCN or CNN localisation net) in front of the FCN / CNN.
  For RTS and TC the ST output is average-pooled 2× before the classifier.

The widths ``h`` / ``c`` are chosen by :func:`build_table1_model` so that every model of one
dataset has about the same number of learnable parameters (``param_budget``, paper ≈ 400k);
:func:`table1_parameter_counts` lists them (also printed in ``docs/papers/stn.md``).

Deviations: the convolutions of the classifier CNN are "same"-padded (the appendix does not say;
without padding a 21×21 pooled RTS image vanishes after the second conv), the localisation
CNN is unpadded, and the 2× downsampling is an average pool.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from seminal.stn.localization import cnn_localization, fcn_localization, tutorial_localization, wide_localization
from seminal.stn.transformer import SpatialTransformer

__all__ = [
    "TutorialNet",
    "ChainedAffineTransformers",
    "FCN",
    "CNN",
    "STClassifier",
    "TABLE1_MODELS",
    "TRANSFORM_BY_SUFFIX",
    "build_table1_model",
    "count_parameters",
    "table1_parameter_counts",
]

TABLE1_MODELS: tuple[str, ...] = (
    "FCN",
    "CNN",
    "ST-FCN Aff",
    "ST-FCN Proj",
    "ST-FCN TPS",
    "ST-CNN Aff",
    "ST-CNN Proj",
    "ST-CNN TPS",
)
TRANSFORM_BY_SUFFIX: dict[str, str] = {"Aff": "affine", "Proj": "projective", "TPS": "tps"}


def count_parameters(module: nn.Module) -> int:
    """Number of learnable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class ChainedAffineTransformers(nn.Module):
    """Affine-family spatial transformers in series (§3.4), seen as one transformer.

    Each warps the previous one's output; ``forward_with_theta`` returns the last output and
    the composed map ``A_1 ∘ A_2 ∘ …`` (final output -> input, flattened ``(N, 6)``), so that
    :meth:`affine_matrix` of it is the whole transform, as for a single
    :class:`~seminal.stn.transformer.SpatialTransformer`. Every sampling step interpolates
    again (the paper's series STs do too).
    """

    def __init__(self, *transformers: SpatialTransformer) -> None:
        super().__init__()
        if not transformers or not all(isinstance(t, SpatialTransformer) for t in transformers):
            raise TypeError("Invalid transformers: expected one or more SpatialTransformer modules")
        bad = [t.transform for t in transformers if t.transform not in ("affine", "attention", "similarity")]
        if bad:
            raise ValueError(f"Invalid transformers: {bad} (expected affine, attention or similarity transforms)")
        self.transformers = nn.ModuleList(transformers)

    def forward_with_theta(self, input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, total = input, None
        for transformer in self.transformers:
            out, theta = transformer.forward_with_theta(out)
            a = transformer.affine_matrix(theta)
            # The later map acts on the earlier one's output coordinates: total ∘ a.
            total = a if total is None else torch.cat((total[:, :, :2] @ a[:, :, :2], total[:, :, :2] @ a[:, :, 2:] + total[:, :, 2:]), 2)
        assert total is not None
        return out, total.flatten(1)

    def affine_matrix(self, theta: torch.Tensor) -> torch.Tensor:
        """The composed map ``(N, 6)`` from :meth:`forward_with_theta` as ``(N, 2, 3)``."""
        if theta.dim() != 2 or theta.shape[1] != 6:
            raise ValueError(f"Invalid theta shape: {tuple(theta.shape)} (expected (N, 6), the composed affine map)")
        return theta.view(-1, 2, 3)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self.forward_with_theta(input)[0]


class TutorialNet(nn.Module):
    """The seed notes' network (the PyTorch STN tutorial), working: an affine ST then a small CNN.

    ST: :func:`~seminal.stn.localization.tutorial_localization` + regression FC(32 -> 6), identity
    init; output 28×28 whatever the input size. Classifier: conv10@5 -> max-pool -> ReLU ->
    conv20@5 -> Dropout2d -> max-pool -> ReLU -> FC 320 -> 50 -> ReLU -> dropout -> FC 50 -> 10 ->
    log-softmax. 27,360 parameters at 28×28 (5,520 in the ST). Fixes to the notes' copy: ``__init__``,
    ``xs.view``, ``F.relu``, ``self.fc1/fc2``, ``F.log_softmax``, closing brackets, and an explicit
    ``align_corners`` (ours, False) instead of torch's warning default. ``transform`` picks the
    ST's transform (the tutorial's: ``"affine"``; ``"similarity"`` is our constrained variant);
    ``localization`` its localisation net (the tutorial's, or our wider
    :func:`~seminal.stn.localization.wide_localization`, ``"wide"`` with a 2× downsampled input,
    ``"wide-full"`` without); ``transformers`` > 1 chains that many such STs
    (:class:`ChainedAffineTransformers`; ours), each with its own localisation net.
    """

    def __init__(
        self,
        in_channels: int = 1,
        input_size: tuple[int, int] = (28, 28),
        transform: str = "affine",
        localization: str = "tutorial",
        transformers: int = 1,
    ) -> None:
        super().__init__()
        if localization not in ("tutorial", "wide", "wide-full"):
            raise ValueError(f"Invalid localization: {localization!r} (expected 'tutorial', 'wide' or 'wide-full')")
        if not isinstance(transformers, int) or isinstance(transformers, bool) or transformers < 1:
            raise ValueError(f"Invalid transformers: {transformers!r} (expected an int >= 1)")

        def one(size: tuple[int, int]) -> SpatialTransformer:
            if localization == "tutorial":
                loc, features = tutorial_localization(in_channels, size)
            else:
                loc, features = wide_localization(in_channels, size, downsample=localization == "wide")
            return SpatialTransformer(loc, features, transform, output_size=(28, 28))

        # Later transformers see the first one's 28×28 output.
        chain = [one(input_size)] + [one((28, 28)) for _ in range(transformers - 1)]
        self.stn: SpatialTransformer | ChainedAffineTransformers = chain[0] if transformers == 1 else ChainedAffineTransformers(*chain)
        self.conv1 = nn.Conv2d(in_channels, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def transform(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(V, θ)``: the ST output and its affine θ ``(N, 6)``."""
        return self.stn.forward_with_theta(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


class FCN(nn.Module):
    """flatten -> FC ``hidden`` -> ReLU -> FC ``hidden`` -> ReLU -> FC ``num_classes`` (logits)."""

    def __init__(self, in_features: int, hidden: int, num_classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNN(nn.Module):
    """conv ``channels``@9×9 -> ReLU -> max-pool 2 -> conv ``channels``@7×7 -> ReLU -> max-pool 2 -> FC (logits)."""

    def __init__(self, in_channels: int, input_size: tuple[int, int], channels: int, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, channels, kernel_size=9, padding=4),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, kernel_size=7, padding=3),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = channels * (input_size[0] // 2 // 2) * (input_size[1] // 2 // 2)
        self.classifier = nn.Linear(flat, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class STClassifier(nn.Module):
    """A spatial transformer, an optional 2× average pool, then a classifier (logits)."""

    def __init__(self, transformer: SpatialTransformer, classifier: nn.Module, pool: bool = False) -> None:
        super().__init__()
        self.transformer = transformer
        self.pool = nn.AvgPool2d(2) if pool else nn.Identity()
        self.classifier = classifier

    def transform(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(V, θ)``: the ST output (before pooling) and θ."""
        return self.transformer.forward_with_theta(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        warped = self.transformer(x)
        return self.classifier(self.pool(warped))


def _closest_width(build: Callable[[int], nn.Module], budget: int, extra: int) -> nn.Module:
    """The classifier whose width makes ``extra + params`` closest to ``budget`` (params grow with width)."""
    lo, hi = 1, 1
    while count_parameters(build(hi)) + extra < budget and hi < 1 << 14:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count_parameters(build(mid)) + extra < budget:
            lo = mid
        else:
            hi = mid
    candidates = [build(lo), build(hi)]
    return min(candidates, key=lambda m: abs(count_parameters(m) + extra - budget))


def build_table1_model(
    name: str,
    input_size: tuple[int, int],
    *,
    pool_st_output: bool = False,
    param_budget: int = 400_000,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Module:
    """Build one Table 1 model (``name`` in :data:`TABLE1_MODELS`) for ``input_size`` images.

    Args:
        name: e.g. ``"CNN"`` or ``"ST-CNN Aff"``.
        input_size: ``(H, W)`` of the distorted images (28 for R/P/E, 42 for RTS, 60 for TC).
        pool_st_output: average-pool the ST output 2× before the classifier (paper: RTS and TC).
        param_budget: target number of learnable parameters for the whole model (paper ≈ 400k);
            the classifier width is chosen to come closest.
    """
    if name not in TABLE1_MODELS:
        raise ValueError(f"Invalid model name: {name!r} (expected one of {TABLE1_MODELS})")
    if not isinstance(param_budget, int) or param_budget < 1000:
        raise ValueError(f"Invalid param_budget: {param_budget!r} (expected an int >= 1000)")
    height, width = input_size
    if name in ("FCN", "CNN"):
        transformer = None
        cls_size = (height, width)
    else:
        family, suffix = name.split(" ")
        if family == "ST-FCN":
            localization, features = fcn_localization(in_channels, (height, width))
        else:
            localization, features = cnn_localization(in_channels, (height, width))
        transformer = SpatialTransformer(localization, features, TRANSFORM_BY_SUFFIX[suffix])
        cls_size = (height // 2, width // 2) if pool_st_output else (height, width)
    uses_cnn = name == "CNN" or name.startswith("ST-CNN")
    if uses_cnn:
        build = lambda c: CNN(in_channels, cls_size, c, num_classes)  # noqa: E731
    else:
        build = lambda h: FCN(in_channels * cls_size[0] * cls_size[1], h, num_classes)  # noqa: E731
    extra = 0 if transformer is None else count_parameters(transformer)
    classifier = _closest_width(build, param_budget, extra)
    if transformer is None:
        return classifier
    return STClassifier(transformer, classifier, pool=pool_st_output)


def table1_parameter_counts(
    input_size: tuple[int, int], pool_st_output: bool = False, param_budget: int = 400_000
) -> dict[str, int]:
    """``{model name: learnable parameters}`` for every Table 1 model at this input size."""
    return {
        name: count_parameters(build_table1_model(name, input_size, pool_st_output=pool_st_output, param_budget=param_budget))
        for name in TABLE1_MODELS
    }
