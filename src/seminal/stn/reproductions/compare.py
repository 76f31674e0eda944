"""``stn-compare``: the seed notes' "image comparison between original and STN", made measurable.

Trains one spatial-transformer classifier on a distorted set (default: the seed's tutorial
network on RTS) and writes

* ``figures/comparison_grid.png`` -- distorted test digits beside the ST outputs (the seed's figure);
* ``figures/theta_sweep.png`` -- θ's rotation and zoom as the input digit is rotated / scaled;
* metrics on how canonical the outputs are: for test digits with known distortion parameters,
  the *residual* transform (distortion ∘ ST) should vary much less than the distortion itself.
  ``rotation_spread_ratio = std(residual rotation) / std(input rotation)`` (0 = every output
  upright, 1 = the ST does nothing); likewise for the zoom (coefficient of variation) and the
  position.

Paper claim (§4.1, Fig. 3): the ST learns to output upright, centred digits. We call it reproduced
when ``rotation_spread_ratio < 0.5`` (our threshold: the ST removes at least half the spread).

Full preset: the tutorial's schedule (SGD, lr 0.01, batch 64, 20 epochs of 60k digits = 18,760
iterations). Deviation: the seed trained on plain MNIST; we train on RTS (rotated, translated,
scaled), where there is something to canonicalise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from seminal.experiments.registry import ComparisonRow, DataSource, Experiment, PaperTarget, RunContext, RunResult
from seminal.stn.reproductions.data import distorted_sets, load_source_digits
from seminal.stn.reproductions.plots import comparison_grid_figure, theta_sweep_figure
from seminal.stn.reproductions.train import TrainSettings, train_classifier
from seminal.stn.dataset import TEST_SEED
from seminal.stn.distortions import OUTPUT_SIZE, rotate_translate_scale, rotation_scale_theta
from seminal.stn.grids import affine_grid
from seminal.stn.models import TutorialNet, build_table1_model, count_parameters
from seminal.stn.sampling import sample_grid

__all__ = ["CompareConfig", "EXPERIMENT", "quick", "smoke", "run", "polar_angle_deg", "zoom"]

SOURCE = "Jaderberg et al. 2015, §4.1 and Fig. 3 (distorted MNIST ST outputs); seed notes' comparison figure"
CANONICAL_THRESHOLD = 0.5


@dataclass
class CompareConfig:
    """Defaults: the seed tutorial's schedule on RTS.

    Attributes:
        iterations: training iterations.
        batch_size: training minibatch size.
        lr: initial learning rate.
        lr_step: iterations between learning-rate drops of ÷10.
        optimizer: "sgd" or "adam".
        train_count: training digits to use; None uses every one.
        test_count: test digits to use; None uses every one.
        reduction: what this preset cuts from the setting (shown in every comparison row).
    """

    model: str = "tutorial"  # "tutorial" or an ST model of Table 1 with the affine transform ("ST-CNN Aff")
    iterations: int = 18_760
    batch_size: int = 64
    lr: float = 0.01
    lr_step: int = 10**9
    optimizer: str = "sgd"
    momentum: float = 0.5  # the tutorial's SGD momentum
    param_budget: int = 400_000  # Table 1 models only
    train_count: int | None = None
    test_count: int | None = None
    analysis_digits: int = 1000  # test digits used for the canonicalisation metrics and sweeps


def quick() -> CompareConfig:
    return CompareConfig(
        iterations=400,
        batch_size=64,
        lr=1e-3,
        optimizer="adam",
        momentum=0.0,
        train_count=10_000,
        test_count=2_000,
        analysis_digits=500,
    )


def smoke() -> CompareConfig:
    return CompareConfig(
        iterations=3,
        batch_size=32,
        lr=1e-3,
        optimizer="adam",
        momentum=0.0,
        train_count=64,
        test_count=64,
        analysis_digits=16,
    )


def polar_angle_deg(linear: torch.Tensor) -> torch.Tensor:
    """Rotation angle (degrees) of 2×2 maps ``(N, 2, 2)``: the angle of their closest rotation."""
    return torch.rad2deg(torch.atan2(linear[:, 1, 0] - linear[:, 0, 1], linear[:, 0, 0] + linear[:, 1, 1]))


def zoom(linear: torch.Tensor) -> torch.Tensor:
    """Isotropic scale ``√|det A|`` of 2×2 maps ``(N, 2, 2)``."""
    return torch.linalg.det(linear).abs().sqrt()


def _compose(outer: torch.Tensor, inner: torch.Tensor) -> torch.Tensor:
    """``outer ∘ inner`` for 2×3 affine maps ``(N, 2, 3)`` (apply ``inner`` first)."""
    linear = outer[:, :, :2] @ inner[:, :, :2]
    offset = outer[:, :, :2] @ inner[:, :, 2:] + outer[:, :, 2:]
    return torch.cat((linear, offset), dim=2)


def _build(cfg: CompareConfig, size: int) -> torch.nn.Module:
    if cfg.model == "tutorial":
        return TutorialNet(1, (size, size))
    if not (cfg.model.startswith("ST-") and cfg.model.endswith("Aff")):
        raise ValueError(f"Invalid model: {cfg.model!r} (expected 'tutorial', 'ST-FCN Aff' or 'ST-CNN Aff')")
    return build_table1_model(cfg.model, (size, size), pool_st_output=True, param_budget=cfg.param_budget)


@torch.no_grad()
def _thetas(model: torch.nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    model.eval()
    parts = [model.transform(images[i : i + 500].to(device))[1].cpu().double() for i in range(0, len(images), 500)]
    return torch.cat(parts).view(-1, 2, 3)


def run(cfg: CompareConfig, ctx: RunContext) -> RunResult:
    data = load_source_digits(ctx)
    size = OUTPUT_SIZE["RTS"]
    train_set, test_set = distorted_sets(data, "RTS", train_seed=ctx.seed, train_count=cfg.train_count, test_count=cfg.test_count)
    ctx.record_data(DataSource.from_mnist(data, train=len(train_set), test=len(test_set)))
    torch.manual_seed(ctx.seed)
    model = _build(cfg, size)
    settings = TrainSettings(cfg.iterations, cfg.batch_size, cfg.lr, cfg.lr_step, cfg.optimizer, cfg.momentum)
    out = train_classifier(ctx, model, train_set, test_set, settings, name="compare")
    model = model.to(ctx.device).eval()

    # 1. The seed's figure: distorted test digits and what the ST makes of them.
    grid_inputs = test_set.tensors[0][:32]
    with torch.no_grad():
        grid_outputs = model.transform(grid_inputs.to(ctx.device))[0].cpu()
    figures = [ctx.save_figure(comparison_grid_figure(grid_inputs, grid_outputs, f"{cfg.model} on RTS"), "comparison_grid")]

    # 2. Canonicalisation on digits with known distortion parameters (fixed generator seed).
    n = min(cfg.analysis_digits, len(data.test_images))
    gen = torch.Generator().manual_seed(TEST_SEED + 1)
    images, params = rotate_translate_scale(data.test_images[:n], gen)
    distortion = rotation_scale_theta(params["angle"], params["scale"], params["offset"], size)  # canvas -> digit
    st_theta = _thetas(model, images, ctx.device)  # ST output -> canvas
    residual = _compose(distortion, st_theta)  # ST output -> digit
    input_angle = polar_angle_deg(distortion[:, :, :2])
    rotation_ratio = float(polar_angle_deg(residual[:, :, :2]).std() / input_angle.std())
    in_zoom, res_zoom = zoom(distortion[:, :, :2]), zoom(residual[:, :, :2])
    zoom_ratio = float((res_zoom.std() / res_zoom.mean()) / (in_zoom.std() / in_zoom.mean()))
    # Where the ST output's centre lands in the digit frame (0 = centred), vs the canvas centre's.
    position_ratio = float(residual[:, :, 2].norm(dim=1).pow(2).mean().sqrt() / distortion[:, :, 2].norm(dim=1).pow(2).mean().sqrt())

    # 3. θ against a controlled rotation and scale of the same digits (centred).
    m = min(200, n)
    digits = data.test_images[:m].float().div(255.0).unsqueeze(1)
    sweeps: dict[str, dict[str, list[float]]] = {"rotation": {"input": [], "mean": [], "std": []}, "scale": {"input": [], "mean": [], "std": []}}
    zero = torch.zeros(m, 2, dtype=torch.float64)
    for angle in torch.linspace(-45.0, 45.0, 7).tolist():
        theta_in = rotation_scale_theta(torch.full((m,), angle, dtype=torch.float64), torch.ones(m, dtype=torch.float64), zero, size)
        warped = sample_grid(digits, affine_grid(theta_in.float(), (size, size)))
        rot = polar_angle_deg(_thetas(model, warped, ctx.device)[:, :, :2])
        sweeps["rotation"]["input"].append(angle)
        sweeps["rotation"]["mean"].append(float(rot.mean()))
        sweeps["rotation"]["std"].append(float(rot.std()) if m > 1 else 0.0)
    for scale in torch.linspace(0.7, 1.2, 6).tolist():
        theta_in = rotation_scale_theta(torch.zeros(m, dtype=torch.float64), torch.full((m,), scale, dtype=torch.float64), zero, size)
        warped = sample_grid(digits, affine_grid(theta_in.float(), (size, size)))
        z = zoom(_thetas(model, warped, ctx.device)[:, :, :2])
        sweeps["scale"]["input"].append(scale)
        sweeps["scale"]["mean"].append(float(z.mean()))
        sweeps["scale"]["std"].append(float(z.std()) if m > 1 else 0.0)
    figures.append(ctx.save_figure(theta_sweep_figure(sweeps), "theta_sweep"))
    rot_means = torch.tensor(sweeps["rotation"]["mean"])
    rot_slope = float(torch.linalg.lstsq(torch.stack((torch.tensor(sweeps["rotation"]["input"]), torch.ones(7)), 1), rot_means.unsqueeze(1)).solution[0])

    comparison = [
        ComparisonRow(
            "ST outputs upright: residual rotation spread / input rotation spread",
            "upright, centred digits (qualitative)",
            round(rotation_ratio, 3),
            rotation_ratio < CANONICAL_THRESHOLD,
            SOURCE,
            f"agreement = ratio < {CANONICAL_THRESHOLD} (ours); 1.0 would be no canonicalisation",
        ),
        ComparisonRow(
            "ST outputs same size: residual zoom CV / input zoom CV",
            "canonical scale (qualitative)",
            round(zoom_ratio, 3),
            None,
            SOURCE,
            "informational; see figures/theta_sweep.png",
        ),
        ComparisonRow(
            "ST outputs centred: residual offset RMS / input offset RMS",
            "centred digits (qualitative)",
            round(position_ratio, 3),
            None,
            SOURCE,
            "informational",
        ),
        ComparisonRow(
            "slope of θ rotation vs input rotation",
            "−1 for a perfect un-rotation",
            round(rot_slope, 3),
            None,
            SOURCE,
            f"from the controlled sweep (7 angles, {m} digits)",
        ),
    ]
    metrics = {
        "model": cfg.model,
        "parameters": count_parameters(model),
        "test_error": out["test_error"],
        "iterations": out["iterations"],
        "rotation_spread_ratio": rotation_ratio,
        "zoom_spread_ratio": zoom_ratio,
        "position_spread_ratio": position_ratio,
        "rotation_slope": rot_slope,
        "sweeps": sweeps,
        "analysis_digits": n,
        "data_source": data.source,
        "data_is_fallback": data.is_fallback,
        "config": dataclasses.asdict(cfg),
    }
    return RunResult(metrics=metrics, comparison=comparison, figures=figures)


EXPERIMENT = Experiment(
    id="stn-compare",
    paper="stn",
    title="Seed figure: distorted inputs beside ST outputs, and θ vs the input's rotation/scale",
    config_cls=CompareConfig,
    quick=quick,
    smoke=smoke,
    targets=(PaperTarget("ST outputs are upright, centred canonical digits", "qualitative", SOURCE),),
    run=run,
)
