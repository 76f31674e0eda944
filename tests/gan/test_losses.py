"""Eq. 1's V(D, G) and §3's generator losses: values against float64 formulas, signs, gradients."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.gan.losses import (
    discriminator_loss,
    generator_loss,
    generator_loss_non_saturating,
    generator_loss_saturating,
    value_function,
)


def _d(logits: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(logits.double())


def test_value_function_matches_eq1_written_with_probabilities() -> None:
    real, fake = torch.randn(64, dtype=torch.float64), torch.randn(32, dtype=torch.float64)
    expected = torch.log(_d(real)).mean() + torch.log(1 - _d(fake)).mean()
    assert torch.allclose(value_function(real, fake), expected, atol=1e-12)


def test_value_is_minus_log4_when_d_is_one_half_everywhere() -> None:
    zeros = torch.zeros(10)
    assert float(value_function(zeros, zeros)) == pytest.approx(-math.log(4.0), abs=1e-6)
    assert float(discriminator_loss(zeros, zeros)) == pytest.approx(0.5 * math.log(4.0), abs=1e-6)
    assert float(discriminator_loss(zeros, zeros, halve=False)) == pytest.approx(math.log(4.0), abs=1e-6)


def test_generator_losses_match_their_formulas() -> None:
    fake = torch.randn(50, dtype=torch.float64)
    assert torch.allclose(generator_loss_saturating(fake), torch.log(1 - _d(fake)).mean(), atol=1e-12)
    assert torch.allclose(generator_loss_non_saturating(fake), -torch.log(_d(fake)).mean(), atol=1e-12)
    assert torch.equal(generator_loss(fake, "saturating"), generator_loss_saturating(fake))
    assert torch.equal(generator_loss(fake), generator_loss_non_saturating(fake))


def test_losses_stay_finite_when_d_saturates() -> None:
    big = torch.tensor([200.0, -200.0])  # sigmoid rounds to exactly 1 / 0 in float32
    for value in (value_function(big, big), generator_loss_saturating(big), generator_loss_non_saturating(big)):
        assert torch.isfinite(value)
    assert float(generator_loss_non_saturating(torch.tensor([-200.0]))) == pytest.approx(200.0)


def test_discriminator_descent_raises_d_on_data_and_lowers_it_on_samples() -> None:
    real = torch.zeros(4, requires_grad=True)
    fake = torch.zeros(4, requires_grad=True)
    discriminator_loss(real, fake).backward()
    assert (real.grad < 0).all()  # descending: real logits go up
    assert (fake.grad > 0).all()  # fake logits go down


def test_both_generator_losses_push_d_of_samples_up_and_non_saturating_is_stronger_early() -> None:
    # Early in training D rejects samples confidently: D(G(z)) = sigmoid(-6) ≈ 0.0025.
    grads = {}
    for kind in ("saturating", "non_saturating"):
        fake = torch.full((8,), -6.0, requires_grad=True)
        generator_loss(fake, kind).backward()
        assert (fake.grad < 0).all()  # descending raises D(G(z)) for both
        grads[kind] = float(fake.grad.abs().mean())
    # §3: log(1 - D) saturates: its gradient is D(G(z)) / m, the other's is (1 - D(G(z))) / m
    d = 1.0 / (1.0 + math.exp(6.0))
    assert grads["non_saturating"] / grads["saturating"] == pytest.approx((1 - d) / d, rel=1e-4)
    assert grads["non_saturating"] > 100 * grads["saturating"]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: value_function(torch.zeros(3, 2), torch.zeros(3)), ValueError, r"Invalid real_logits: shape \(3, 2\) \(expected \(m,\) or \(m, 1\)\)"),
        (lambda: value_function(torch.zeros(3), torch.zeros(0)), ValueError, r"Invalid fake_logits: empty minibatch"),
        (lambda: generator_loss_saturating(torch.zeros(3, dtype=torch.long)), TypeError, r"Invalid fake_logits: dtype torch.int64"),
        (lambda: generator_loss(torch.zeros(3), "wasserstein"), ValueError, r"Invalid generator loss kind: 'wasserstein'"),
        (lambda: discriminator_loss([0.0], torch.zeros(1)), TypeError, r"Invalid real_logits: expected a torch.Tensor, got list"),
    ],
)
def test_bad_inputs_are_named(call, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_column_logits_are_accepted() -> None:
    a = torch.randn(5, 1)
    assert torch.equal(generator_loss(a), generator_loss(a.squeeze(1)))
