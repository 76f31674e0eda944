"""The paper's MNIST networks: sizes, initialisation, maxout, dropout, output bias."""

from __future__ import annotations

import pytest
import torch

from seminal.gan.models import Discriminator, Generator, Maxout, marginal_logit


def test_paper_sizes_and_parameter_counts() -> None:
    G, D = Generator(), Discriminator()
    # G: 100->1200->1200->784; D: maxout 784->240x5, 240->240x5, 240->1
    assert sum(p.numel() for p in G.parameters()) == (100 * 1200 + 1200) + (1200 * 1200 + 1200) + (1200 * 784 + 784)
    assert sum(p.numel() for p in D.parameters()) == (784 * 1200 + 1200) + (240 * 1200 + 1200) + (240 + 1)
    with torch.no_grad():
        x = G(torch.randn(7, 100))
    assert x.shape == (7, 784) and float(x.min()) > 0 and float(x.max()) < 1  # sigmoid output
    assert D(x).shape == (7,)
    assert D(x.reshape(7, 1, 28, 28)).shape == (7,)


def test_initial_weights_follow_the_configuration() -> None:
    torch.manual_seed(0)
    G, D = Generator(), Discriminator()
    for layer in (G.hidden_layers[0], G.hidden_layers[2], G.output):
        assert float(layer.weight.detach().abs().max()) <= 0.05 and float(layer.weight.detach().abs().max()) > 0.049
    for layer in (D.features[1].linear, D.features[3].linear, D.output):
        assert float(layer.weight.detach().abs().max()) <= 0.005 and float(layer.weight.detach().abs().max()) > 0.0049
        assert float(layer.bias.detach().abs().max()) == 0.0


def test_marginal_logit_bias_makes_g_start_at_the_mean_image() -> None:
    images = torch.rand(500, 28, 28) ** 3
    images[:, 0, 0] = 0.0  # a pixel that is always 0 -> clipped to 1e-7, finite logit
    bias = marginal_logit(images)
    assert torch.isfinite(bias).all()
    assert torch.allclose(torch.sigmoid(bias.double())[0], torch.tensor(1e-7, dtype=torch.float64), rtol=1e-3)
    G = Generator(init_range=0.0, output_bias=bias)  # zero weights: output = sigmoid(bias)
    mean = images.reshape(500, -1).mean(0)
    assert torch.allclose(G(torch.randn(3, 100))[0, 1:], mean[1:], atol=1e-5)


def test_maxout_is_the_max_over_pieces_of_a_linear_map() -> None:
    layer = Maxout(6, units=4, pieces=3)
    x = torch.randn(5, 6)
    pre = layer.linear(x).reshape(5, 4, 3)
    expected = torch.stack([pre[:, u, :].max(dim=1).values for u in range(4)], dim=1)
    assert torch.equal(layer(x), expected)


def test_dropout_follows_the_configuration_in_training_and_is_off_in_eval() -> None:
    D = Discriminator()
    drops = [m for m in D.modules() if isinstance(m, torch.nn.Dropout)]
    assert [d.p for d in drops] == pytest.approx([0.2, 0.5, 0.5])  # keep 0.8 on pixels, 0.5 above
    x = torch.rand(4, 784)
    D.eval()
    assert torch.equal(D(x), D(x))
    D.train()
    torch.manual_seed(0)
    a = D(x)
    assert not torch.equal(a, D(x))


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: Generator(hidden=()), r"Invalid hidden: \(\) \(expected a non-empty sequence of positive ints\)"),
        (lambda: Discriminator(units=(240, 0)), r"Invalid units: \(240, 0\)"),
        (lambda: Discriminator(input_keep=0.0), r"Invalid input_keep: 0.0 \(expected 0 < keep <= 1\)"),
        (lambda: Generator()(torch.randn(2, 99)), r"Invalid z: shape \(2, 99\) \(expected \(B, 100\)\)"),
        (lambda: Discriminator()(torch.randn(2, 783)), r"Invalid x: 783 features per example \(expected 784\)"),
        (lambda: Generator().set_output_bias(torch.zeros(10)), r"Invalid output_bias: shape \(10,\)"),
        (lambda: marginal_logit(torch.zeros(0, 784)), r"Invalid images: shape \(0, 784\)"),
    ],
)
def test_bad_sizes_and_inputs_are_named(build, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        build()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"noise_dim": 0}, "noise_dim"),
        ({"noise_dim": -3}, "noise_dim"),
        ({"noise_dim": 2.5}, "noise_dim"),
        ({"noise_dim": True}, "noise_dim"),
        ({"data_dim": 0}, "data_dim"),
        ({"hidden": ()}, "hidden"),
        ({"hidden": (0, 5)}, "hidden"),
        ({"hidden": 5}, "hidden"),
        ({"hidden": (2.5,)}, "hidden"),
        ({"init_range": -0.1}, "init_range"),
        ({"init_range": float("nan")}, "init_range"),
        ({"output_bias": torch.zeros(5)}, "output_bias"),
        ({"output_bias": [0.0] * 784}, "output_bias"),
        ({"output_bias": torch.full((784,), float("inf"))}, "output_bias"),
    ],
)
def test_generator_refuses_nonsense_arguments_by_name(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid {name}"):
        Generator(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"data_dim": 0}, "data_dim"),
        ({"units": (240, 0)}, "units"),
        ({"pieces": 0}, "pieces"),
        ({"pieces": 2.0}, "pieces"),
        ({"input_keep": 0.0}, "input_keep"),
        ({"hidden_keep": 1.5}, "hidden_keep"),
        ({"init_range": -1.0}, "init_range"),
    ],
)
def test_discriminator_refuses_nonsense_arguments_by_name(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid {name}"):
        Discriminator(**kwargs)
