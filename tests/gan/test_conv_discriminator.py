"""The ConvDiscriminator variant (d_arch="conv"): shapes, dropout placement, config, labelling."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from torch import nn

from seminal.experiments.registry import RunContext
from seminal.gan.checkpoint import load_generator
from seminal.gan.conv_models import D_ARCHS, ConvDiscriminator
from seminal.gan.models import Discriminator
from seminal.gan.trainer import GANTrainConfig, build_models, train_gan
from tests.gan.test_monitor_and_variants import _cfg, _images


def test_conv_discriminator_gives_one_logit_per_image_from_flat_or_image_input() -> None:
    torch.manual_seed(0)
    D = ConvDiscriminator(channels=4).eval()
    x = torch.rand(5, 784)
    out = D(x)
    assert out.shape == (5,) and torch.isfinite(out).all()
    assert torch.equal(D(x.view(5, 1, 28, 28)), out)
    assert D.conv1.out_channels == 4 and D.conv2.out_channels == 8 and D.output.in_features == 8 * 7 * 7
    with pytest.raises(ValueError, match="Invalid x"):
        D(torch.rand(5, 100))


def test_conv_discriminator_has_the_papers_dropout_placement() -> None:
    D = ConvDiscriminator(channels=4)
    # keep 0.8 on the input pixels, keep 0.5 before every later layer (the second conv and the output)
    assert D.input_dropout.p == pytest.approx(0.2)
    assert D.hidden_dropout1.p == pytest.approx(0.5) and D.hidden_dropout2.p == pytest.approx(0.5)
    assert [type(m) for m in D.children()] == [nn.Dropout, nn.Conv2d, nn.Dropout, nn.Conv2d, nn.Dropout, nn.Linear]
    # the input dropout acts on the pixels: with the rest of D fixed, zeroed pixels are what change the logit
    torch.manual_seed(0)
    seen = {}
    D.input_dropout.register_forward_hook(lambda m, i, o: seen.update(out=o))
    D.train()
    D(torch.ones(200, 784))
    dropped = (seen["out"] == 0).float().mean()
    assert 0.15 < float(dropped) < 0.25 and torch.allclose(seen["out"][seen["out"] != 0], torch.tensor(1.25))
    D.eval()
    x = torch.rand(3, 784)
    assert torch.equal(D(x), D(x))  # no dropout in eval mode


@pytest.mark.parametrize(("kwargs", "name"), [({"channels": 0}, "channels"), ({"channels": 2.5}, "channels"),
                                              ({"input_keep": 0.0}, "input_keep"), ({"hidden_keep": 1.5}, "hidden_keep")])
def test_conv_discriminator_refuses_nonsense_arguments(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid {name}"):
        ConvDiscriminator(**kwargs)


def test_d_arch_is_validated_and_selects_the_discriminator() -> None:
    assert D_ARCHS == ("mlp", "conv") and GANTrainConfig().d_arch == "mlp"
    with pytest.raises(ValueError, match="Invalid d_arch: 'resnet'"):
        _cfg(d_arch="resnet").validate()
    with pytest.raises(ValueError, match="Invalid d_channels"):
        _cfg(d_arch="conv", d_channels=0).validate()
    _, D = build_models(_cfg(d_arch="conv", d_channels=3, d_input_keep=0.9, d_hidden_keep=0.6), _images())
    assert isinstance(D, ConvDiscriminator) and D.channels == 3
    assert D.input_dropout.p == pytest.approx(0.1) and D.hidden_dropout2.p == pytest.approx(0.4)
    _, D = build_models(_cfg(), _images())
    assert isinstance(D, Discriminator)


def _ctx(path: Path, resume: bool = False) -> RunContext:
    torch.manual_seed(0)  # the runner seeds the global RNG before run()
    return RunContext(out_dir=path, seed=0, progress=False, resume=resume)


def test_training_with_the_conv_discriminator_resumes_exactly_and_writes_a_loadable_generator(tmp_path: Path) -> None:
    images = _images()[:80]
    conv = {"d_arch": "conv", "d_channels": 2, "g_arch": "conv", "g_channels": 4}
    straight = train_gan(_cfg(epochs=3, **conv), _ctx(tmp_path / "a"), images)
    assert isinstance(straight.discriminator, ConvDiscriminator)
    train_gan(_cfg(epochs=1, **conv), _ctx(tmp_path / "b"), images)
    resumed = train_gan(_cfg(epochs=3, **conv), _ctx(tmp_path / "b", resume=True), images)
    for a, b in zip(straight.discriminator.state_dict().values(), resumed.discriminator.state_dict().values()):
        assert torch.equal(a, b)
    assert [h["d_loss"] for h in straight.history] == [h["d_loss"] for h in resumed.history]
    loaded = load_generator(tmp_path / "b")
    z = torch.rand(2, 100)
    assert torch.equal(loaded.generator(z), straight.generator(z))


def test_a_conv_discriminator_run_is_not_labelled_comparable() -> None:
    from seminal.experiments.registry import get_experiment
    from seminal.gan.reproductions.table1 import comparability

    full = get_experiment("gan-table1").config("full")
    conv_d = dataclasses.replace(full, d_arch="conv")
    reasons = comparability(conv_d, 50_000, 1_000, 10_000, False)
    assert len(reasons) == 1 and "not the paper's networks" in reasons[0] and "d_arch='conv'" in reasons[0]
