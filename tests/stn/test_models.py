"""Models: the seed tutorial network and Table 1's FCN/CNN/ST-FCN/ST-CNN with matched parameters."""

from __future__ import annotations

import pytest
import torch

from seminal.stn.models import (
    TABLE1_MODELS,
    STClassifier,
    TutorialNet,
    build_table1_model,
    count_parameters,
    table1_parameter_counts,
)


def test_tutorial_net_is_the_seed_network() -> None:
    net = TutorialNet()
    # Layer shapes of the seed code (provenance: shared/seed/notes.md, the PyTorch tutorial).
    assert net.stn.localization[0][0].weight.shape == (8, 1, 7, 7)
    assert net.stn.localization[0][3].weight.shape == (10, 8, 5, 5)
    assert net.stn.localization[1].weight.shape == (32, 90)
    assert net.stn.regression.weight.shape == (6, 32)
    assert net.fc1.weight.shape == (50, 320) and net.fc2.weight.shape == (10, 50)
    assert count_parameters(net) == 27_360
    out = net.eval()(torch.rand(4, 1, 28, 28))
    assert out.shape == (4, 10)
    assert torch.allclose(out.exp().sum(1), torch.ones(4), atol=1e-5)  # log-softmax
    wide = TutorialNet(1, (42, 42))  # other input sizes: the localisation FC is resized, ST output stays 28×28
    assert wide.stn.localization[1].weight.shape == (32, 490)
    assert wide(torch.rand(2, 1, 42, 42)).shape == (2, 10)


@pytest.mark.parametrize(("size", "pool"), [((28, 28), False), ((42, 42), True)])
def test_table1_models_have_matched_parameter_counts(size, pool) -> None:
    counts = table1_parameter_counts(size, pool, param_budget=400_000)
    assert set(counts) == set(TABLE1_MODELS)
    for name, count in counts.items():
        assert abs(count - 400_000) < 0.02 * 400_000, (name, count)


@pytest.mark.parametrize("name", TABLE1_MODELS)
def test_table1_models_run_and_start_as_their_classifier(name: str) -> None:
    model = build_table1_model(name, (42, 42), pool_st_output=True, param_budget=20_000).eval()
    x = torch.rand(2, 1, 42, 42)
    logits = model(x)
    assert logits.shape == (2, 10)
    if isinstance(model, STClassifier):
        warped, theta = model.transform(x)
        assert torch.allclose(warped, x, atol=1e-5)  # identity-initialised ST


def test_bad_model_name_and_budget() -> None:
    with pytest.raises(ValueError, match=r"Invalid model name: 'ST-CNN Sim'"):
        build_table1_model("ST-CNN Sim", (28, 28))
    with pytest.raises(ValueError, match=r"Invalid param_budget: 10"):
        build_table1_model("CNN", (28, 28), param_budget=10)


@pytest.mark.parametrize("localization", ["tutorial", "wide", "wide-full"])
def test_tutorial_net_localisations_start_as_the_identity(localization: str) -> None:
    net = TutorialNet(1, (42, 42), transform="similarity", localization=localization).eval()
    x = torch.rand(2, 1, 42, 42)
    warped, theta = net.transform(x)
    assert warped.shape == (2, 1, 28, 28) and theta.shape == (2, 4) and torch.all(theta == 0)
    assert net(x).shape == (2, 10)


def test_tutorial_net_bad_localisation() -> None:
    with pytest.raises(ValueError, match=r"Invalid localization: 'huge'"):
        TutorialNet(localization="huge")


def test_chained_transformers_compose_their_maps() -> None:
    import math

    from seminal.stn.models import ChainedAffineTransformers

    net = TutorialNet(1, (42, 42), transform="similarity", localization="wide", transformers=2).eval()
    assert isinstance(net.stn, ChainedAffineTransformers) and len(net.stn.transformers) == 2
    first, second = net.stn.transformers
    with torch.no_grad():  # fixed θs: rotate 20° then 30° (radians), zoom ln 1.1 then 0, shift then none
        first.regression.bias.copy_(torch.tensor([math.radians(20), math.log(1.1), 0.1, -0.2]))
        second.regression.bias.copy_(torch.tensor([math.radians(30), 0.0, 0.0, 0.0]))
    x = torch.rand(3, 1, 42, 42)
    out, theta = net.transform(x)
    composed = net.stn.affine_matrix(theta).double()
    a1 = first.affine_matrix(first.regression.bias.expand(3, 4)).double()
    a2 = second.affine_matrix(second.regression.bias.expand(3, 4)).double()
    # Output point q -> the first output's point a2 q -> the input's point a1(a2 q).
    q = torch.tensor([0.3, -0.5, 1.0], dtype=torch.float64)
    expected = (a1[:, :, :2] @ (a2 @ q).unsqueeze(-1)).squeeze(-1) + a1[:, :, 2]
    assert torch.allclose(composed @ q, expected, atol=1e-6)
    from seminal.stn.reproductions.canonical import polar_angle_deg, zoom

    assert torch.allclose(polar_angle_deg(composed[:, :, :2]), torch.full((3,), 50.0, dtype=torch.float64), atol=1e-4)
    assert torch.allclose(zoom(composed[:, :, :2]), torch.full((3,), 1.1, dtype=torch.float64), atol=1e-5)
    assert out.shape == (3, 1, 28, 28) and net(x).shape == (3, 10)


def test_chained_transformers_refuse_bad_counts_and_transforms() -> None:
    from seminal.stn.localization import tutorial_localization
    from seminal.stn.models import ChainedAffineTransformers
    from seminal.stn.transformer import SpatialTransformer

    with pytest.raises(ValueError, match=r"Invalid transformers: 0"):
        TutorialNet(transformers=0)
    with pytest.raises(ValueError, match=r"Invalid transformers: \['projective'\]"):
        ChainedAffineTransformers(SpatialTransformer(*tutorial_localization(), "projective"))
    with pytest.raises(TypeError, match="Invalid transformers"):
        ChainedAffineTransformers(torch.nn.Identity())
