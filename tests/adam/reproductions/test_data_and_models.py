"""Data helpers, ZCA whitening and the paper's network shapes."""

from __future__ import annotations

import pytest
import torch

from seminal.adam.reproductions.cifar import apply_whitening, zca_whitening
from seminal.adam.reproductions.data import split_holdout
from seminal.adam.reproductions.models import (
    VAE,
    CifarCNN,
    DropoutMLP,
    LogisticRegression,
)
from seminal.adam.reproductions.optimizers import make_optimizer


def test_split_holdout_is_disjoint_and_fixed() -> None:
    images = torch.arange(100, dtype=torch.float32).reshape(100, 1)
    labels = torch.arange(100)
    main, held = split_holdout(images, labels, 30)
    main_ids, held_ids = set(main.tensors[1].tolist()), set(held.tensors[1].tolist())
    assert len(held_ids) == 30 and len(main_ids) == 70 and not main_ids & held_ids
    assert torch.equal(split_holdout(images, labels, 30)[1].tensors[1], held.tensors[1])


@pytest.mark.parametrize("holdout", [0, 100])
def test_split_holdout_rejects_bad_sizes(holdout: int) -> None:
    with pytest.raises(ValueError, match=r"Invalid grid_holdout"):
        split_holdout(torch.zeros(100, 1), torch.zeros(100), holdout)


def test_zca_whitening_makes_the_covariance_the_identity() -> None:
    generator = torch.Generator().manual_seed(0)
    mixing = torch.randn(12, 12, generator=generator)
    images = (torch.randn(4000, 12, generator=generator) @ mixing).reshape(4000, 3, 2, 2)
    mean, whitening = zca_whitening(images, epsilon=1e-6)
    white = apply_whitening(images, mean, whitening).reshape(4000, 12).double()
    covariance = white.T @ white / (len(white) - 1)
    assert torch.allclose(covariance, torch.eye(12, dtype=torch.float64), atol=1e-3)
    assert torch.allclose(whitening, whitening.T, atol=1e-5)  # ZCA: the symmetric whitening


def test_network_shapes_match_the_paper() -> None:
    assert LogisticRegression()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    mlp = DropoutMLP()
    assert [m.out_features for m in mlp.modules() if isinstance(m, torch.nn.Linear)] == [1000, 1000, 10]
    vae = VAE()
    logits, mean, log_var = vae(torch.rand(3, 784))
    assert logits.shape == (3, 784) and mean.shape == log_var.shape == (3, 50)
    assert any(isinstance(m, torch.nn.Softplus) for m in vae.encoder)
    assert vae.negative_elbo(torch.rand(3, 784)).ndim == 0
    cnn = CifarCNN()
    assert cnn(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    convs = [m for m in cnn.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128] and all(c.kernel_size == (5, 5) for c in convs)


def test_make_optimizer_rejects_unknown_methods_and_rates() -> None:
    params = [torch.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match=r"Invalid method entry: 'lbfgs'"):
        make_optimizer("lbfgs", params, 0.1)
    with pytest.raises(ValueError, match=r"Invalid learning rate for 'adam': 0.0"):
        make_optimizer("adam", params, 0.0)
    nesterov = make_optimizer("sgd_nesterov", params, 0.1)
    assert nesterov.param_groups[0]["nesterov"] and nesterov.param_groups[0]["momentum"] == 0.9
