"""The validation-Parzen monitor with keep_best, min_iterations, and the ConvGenerator variant."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seminal.experiments.registry import RunContext
from seminal.gan.checkpoint import load_generator
from seminal.gan.conv_models import ConvGenerator
from seminal.gan.models import marginal_logit
from seminal.gan.trainer import GANTrainConfig, epochs_to_run, monitor_log_likelihood, train_gan


def _cfg(**overrides) -> GANTrainConfig:
    base = {"epochs": 4, "batch_size": 20, "optimizer": "adam", "lr": 1e-3, "update": "alternating", "g_hidden": 16,
            "d_units": 8, "d_pieces": 2, "n_train": 80, "sample_every": 0, "checkpoint_every": 0}
    base.update(overrides)
    return GANTrainConfig(**base)


def _images(n: int = 120) -> torch.Tensor:
    return torch.rand(n, 784, generator=torch.Generator().manual_seed(0)) ** 2


def test_monitor_scores_every_epoch_and_keep_best_keeps_the_best_epoch(tmp_path: Path) -> None:
    images = _images()
    torch.manual_seed(0)
    cfg = _cfg(monitor_every=1, keep_best=True, monitor_samples=50, monitor_valid=40)
    outcome = train_gan(cfg, RunContext(out_dir=tmp_path, seed=0, progress=False), images[:80], valid_images=images[80:])
    scores = [row["monitor_ll"] for row in outcome.history]
    assert len(scores) == 4 and all(isinstance(s, float) for s in scores)
    best = max(range(4), key=lambda i: scores[i]) + 1
    loaded = load_generator(tmp_path)
    assert outcome.best_epoch == best == loaded.meta["selected_epoch"]
    assert loaded.meta["selected_monitor_ll"] == pytest.approx(max(scores))
    # the kept generator scores what the monitor said for its epoch
    again = monitor_log_likelihood(loaded.generator, images[80:], cfg, seed=0 + 104729)
    assert again == pytest.approx(max(scores), rel=1e-5, abs=1e-4)


def test_g_averaging_evaluates_and_saves_the_averaged_generator(tmp_path: Path) -> None:
    """With g_averaging the monitor and the generator file use θ̂ (Adam §7.2), and training is unchanged."""
    images = _images()

    def train(folder: str, **overrides):
        torch.manual_seed(0)
        cfg = _cfg(monitor_every=1, monitor_samples=50, monitor_valid=40, **overrides)
        ctx = RunContext(out_dir=tmp_path / folder, seed=0, progress=False)
        return cfg, train_gan(cfg, ctx, images[:80], valid_images=images[80:])

    cfg, averaged = train("avg", g_averaging=0.9)
    _, plain = train("plain")
    # the same trajectory up to rounding (Adam with averaging runs the one-pass kernel, plain Adam torch's fused
    # one): D, never averaged, ends where it did without averaging
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(averaged.discriminator.parameters(), plain.discriminator.parameters()))
    saved = load_generator(tmp_path / "avg").generator
    assert any(not torch.equal(a, b) for a, b in zip(saved.parameters(), plain.generator.parameters()))  # not the last θ
    # the monitor scored the averaged generator, the one saved
    again = monitor_log_likelihood(saved, images[80:], cfg, seed=104729)
    assert again == pytest.approx(averaged.history[-1]["monitor_ll"], rel=1e-5, abs=1e-4)
    assert averaged.history[-1]["monitor_ll"] != plain.history[-1]["monitor_ll"]


def test_g_averaging_is_refused_when_it_cannot_be_honoured() -> None:
    with pytest.raises(ValueError, match="Invalid g_averaging"):
        _cfg(g_averaging=1.0).validate()
    with pytest.raises(ValueError, match="Invalid g_averaging"):
        _cfg(g_averaging=True).validate()
    with pytest.raises(ValueError, match="optimizer='adam'"):
        _cfg(optimizer="sgd", lr=0.1, g_averaging=0.999).validate()


def test_keep_best_needs_a_monitor_and_the_monitor_needs_validation_images(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid keep_best"):
        _cfg(keep_best=True).validate()
    with pytest.raises(ValueError, match="Invalid valid_images"):
        train_gan(_cfg(monitor_every=1), RunContext(out_dir=tmp_path, seed=0, progress=False), _images()[:80])


def test_min_iterations_adds_epochs_on_small_data() -> None:
    assert epochs_to_run(_cfg(epochs=1, min_iterations=780), 781) == 1  # 50,000 images, m = 64
    assert epochs_to_run(_cfg(epochs=1, min_iterations=780), 46) == 17  # the fallback's 3,000 images
    # the quick preset: m = 32 gives 1,562 iterations per epoch on 50,000 images, 93 on the fallback's 3,000
    assert epochs_to_run(_cfg(epochs=1, min_iterations=3000), 1562) == 2
    assert epochs_to_run(_cfg(epochs=1, min_iterations=3000), 93) == 33
    assert epochs_to_run(_cfg(epochs=3), 10) == 3
    with pytest.raises(ValueError, match="Invalid min_iterations"):
        _cfg(min_iterations=-1).validate()


def test_conv_generator_shapes_bias_and_file_round_trip(tmp_path: Path) -> None:
    images = _images()
    torch.manual_seed(0)
    G = ConvGenerator(noise_dim=10, channels=4, output_bias=marginal_logit(images))
    with torch.no_grad():
        out = G(torch.rand(5, 10))
    assert out.shape == (5, 784) and float(out.min()) > 0 and float(out.max()) < 1
    assert torch.equal(G.pixel_bias.detach(), marginal_logit(images))
    from seminal.gan.checkpoint import save_generator

    G.eval()
    save_generator(tmp_path / "generator.pt", G, prior="uniform")
    loaded = load_generator(tmp_path)
    assert isinstance(loaded.generator, ConvGenerator) and loaded.generator.channels == 4
    z = torch.rand(3, 10)
    assert torch.equal(loaded.generator(z), G(z))


@pytest.mark.parametrize(("kwargs", "name"), [({"noise_dim": 0}, "noise_dim"), ({"channels": 0}, "channels"),
                                              ({"channels": 1.5}, "channels"), ({"output_bias": torch.zeros(3)}, "output_bias")])
def test_conv_generator_refuses_nonsense_arguments(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid {name}"):
        ConvGenerator(**kwargs)


def test_training_with_the_conv_generator_writes_a_loadable_file(tmp_path: Path) -> None:
    torch.manual_seed(0)
    cfg = _cfg(epochs=1, g_arch="conv", g_channels=4)
    train_gan(cfg, RunContext(out_dir=tmp_path, seed=0, progress=False), _images()[:80])
    assert isinstance(load_generator(tmp_path).generator, ConvGenerator)
    with pytest.raises(ValueError, match="Invalid g_arch"):
        _cfg(g_arch="resnet").validate()


def test_conv_generator_upsampling_modes_differ_and_round_trip(tmp_path: Path) -> None:
    from seminal.gan.checkpoint import save_generator

    z = torch.rand(4, 10, generator=torch.Generator().manual_seed(1))
    outputs = {}
    for mode in ("bilinear", "nearest"):
        torch.manual_seed(0)  # the same weights for both modes
        G = ConvGenerator(noise_dim=10, channels=4, upsampling=mode).eval()
        save_generator(tmp_path / mode / "generator.pt", G, prior="uniform")
        loaded = load_generator(tmp_path / mode)
        assert loaded.generator.upsampling == mode
        with torch.no_grad():
            outputs[mode] = G(z)
            assert torch.equal(loaded.generator(z), outputs[mode])
    assert ConvGenerator(noise_dim=10, channels=4).upsampling == "bilinear"
    assert not torch.allclose(outputs["bilinear"], outputs["nearest"])


def test_upsampling_modes_double_the_resolution_as_named() -> None:
    # nearest copies each feature into a 2x2 block; bilinear interpolates between features
    h = torch.randn(1, 1, 14, 14, generator=torch.Generator().manual_seed(0))
    up_b = ConvGenerator(noise_dim=10, channels=4)._upsample(h)
    up_n = ConvGenerator(noise_dim=10, channels=4, upsampling="nearest")._upsample(h)
    assert up_b.shape == up_n.shape == (1, 1, 28, 28)
    assert torch.equal(up_n[..., ::2, :], up_n[..., 1::2, :])  # nearest copies rows
    assert not torch.equal(up_b[..., ::2, :], up_b[..., 1::2, :])


def test_conv_generator_files_without_upsampling_load_as_nearest(tmp_path: Path) -> None:
    from seminal.gan.checkpoint import save_generator
    from seminal.training.checkpoint import content_checksum

    torch.manual_seed(0)
    G = ConvGenerator(noise_dim=10, channels=4, upsampling="nearest").eval()
    path = save_generator(tmp_path / "generator.pt", G, prior="uniform")
    blob = torch.load(path, weights_only=True)
    del blob["upsampling"], blob["fine_channels"], blob["content_crc32"]  # as written before the fields existed
    blob["content_crc32"] = content_checksum(blob)
    torch.save(blob, path)
    loaded = load_generator(path).generator
    assert loaded.upsampling == "nearest" and loaded.fine_channels == 0


def test_invalid_upsampling_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="Invalid upsampling"):
        ConvGenerator(noise_dim=10, channels=4, upsampling="bicubic")
    with pytest.raises(ValueError, match="Invalid g_upsampling"):
        _cfg(g_arch="conv", g_upsampling="bicubic").validate()


def test_fine_layer_adds_exactly_its_parameters_and_round_trips(tmp_path: Path) -> None:
    from seminal.gan.checkpoint import save_generator

    def count(module: torch.nn.Module) -> int:
        return sum(p.numel() for p in module.parameters())

    c, f = 4, 3
    bias = marginal_logit(_images())
    plain, fine = ConvGenerator(noise_dim=10, channels=c), ConvGenerator(noise_dim=10, channels=c, fine_channels=f, output_bias=bias)
    assert torch.equal(fine.pixel_bias.detach(), bias)  # the marginal initialisation holds with the fine layer
    # + conv 3x3 c -> f with bias, batch norm (scale, shift) on f; the output conv reads f maps instead of c
    assert count(fine) - count(plain) == (9 * c * f + f) + 2 * f + 9 * (f - c)
    with torch.no_grad():
        assert fine.eval()(torch.rand(2, 10)).shape == (2, 784)
    save_generator(tmp_path / "generator.pt", fine, prior="uniform")
    loaded = load_generator(tmp_path).generator
    assert loaded.fine_channels == f
    z = torch.rand(3, 10)
    assert torch.equal(loaded(z), fine(z))
    with pytest.raises(ValueError, match="Invalid fine_channels"):
        ConvGenerator(noise_dim=10, channels=c, fine_channels=-1)
    with pytest.raises(ValueError, match="Invalid g_fine_channels"):
        _cfg(g_arch="conv", g_fine_channels=1.5).validate()


def test_training_with_the_fine_layer_writes_a_loadable_file(tmp_path: Path) -> None:
    torch.manual_seed(0)
    train_gan(_cfg(epochs=1, g_arch="conv", g_channels=4, g_fine_channels=2),
              RunContext(out_dir=tmp_path, seed=0, progress=False), _images()[:80])
    G = load_generator(tmp_path).generator
    assert isinstance(G, ConvGenerator) and G.fine_channels == 2 and G.upsampling == "bilinear"
