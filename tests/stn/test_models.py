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
