"""notes-gan: every claim's verdict and key number on the smoke preset (seed 0).

Closed forms (provenance: the GAN paper §3, §4.1; shared/papers/gan.md): D*_G = a/(a + b), min C = −log 4,
the notes' multipliers at the optimum λ = μ = −log 2, per-sample generator gradients D (saturating) and
1 − D (non-saturating) with respect to D's logit.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from seminal.experiments.registry import get_experiment
from seminal.experiments.runner import run_experiment
from seminal.gan.reproductions import notes

VERDICTS = [
    "does not hold",  # G is trained with a log-likelihood loss
    "does not hold",  # max log D(G(z)) == min log(1 − D(G(z)))
    "does not hold",  # D's min log D(G(z)) == max log(1 − D(G(z)))
    "holds",  # Proposition 1 (notes' "Theorem 1")
    "holds",  # Theorem 1 (notes' "Theorem 2")
    "holds approximately",  # the notes' Lagrangian argument
]


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("notes-gan")
    return run_experiment(get_experiment("notes-gan"), out_dir=out, preset="smoke", seed=0, device="cpu", progress=False)


def test_verdicts_and_figures(record) -> None:
    assert [c["verdict"] for c in record.metrics["notes_claims"]] == VERDICTS
    assert sorted(Path(f).stem for f in record.figures) == ["gan_discriminator", "gan_theorem"]
    texts = " ".join(c["detail"] for c in record.metrics["notes_claims"])
    assert "Proposition 1, not Theorem 1" in texts and "the paper's Theorem 1" in texts


def test_loss_example(record) -> None:
    losses = record.metrics["loss_example"]
    assert losses["max_by_hand_gap"] < 1e-12  # seminal.gan.losses == the formulas of eq. 1 and §3
    assert losses["loss_d"] == pytest.approx(0.2680, abs=1e-4)
    assert losses["loss_g_saturating"] == pytest.approx(-0.0721, abs=1e-4)
    assert losses["loss_g_non_saturating"] == pytest.approx(2.6848, abs=1e-4)
    assert losses["grad_norm_non_saturating"] > 1.0
    assert losses["grad_norm_saturating_blind_d"] == 0.0 and losses["grad_norm_non_saturating_blind_d"] == 0.0


def test_generator_gradients_closed_form() -> None:
    d = np.array([1e-6, 1e-3, 0.5, 0.9])
    grads = notes.generator_gradients(d)
    assert grads["saturating"] == pytest.approx(d, rel=1e-6)
    assert grads["non_saturating"] == pytest.approx(1.0 - d, rel=1e-6)


def test_optimal_discriminator(record) -> None:
    prop1 = record.metrics["optimal_discriminator"]
    assert prop1["max_gap"] < 1e-9 and prop1["a0_maximiser_at_0"] and prop1["b0_maximiser_at_1"]
    assert record.metrics["change_of_variables"]["gap_in_se"] < 4.0
    objectives = notes.discriminator_objectives(0.3, 0.7)
    assert objectives["paper_argmax"] == pytest.approx(0.3, abs=1e-4)
    assert objectives["notes_argmax"] == objectives["y"][0]  # no interior maximiser: the grid's edge
    assert objectives["notes_max_finer"] > objectives["notes_max"]  # and it keeps growing as y -> 0


def test_discrete_theorem(record) -> None:
    thm = record.metrics["theorem"]
    assert thm["max_pg_gap"] < 1e-9 and thm["max_value_gap"] < 1e-12
    assert thm["lambda"] == pytest.approx([-math.log(2)] * 10, abs=1e-9)
    assert thm["mu"] == pytest.approx([-math.log(2)] * 10, abs=1e-9)
    assert thm["min_convexity_gap"] > 0.0 and thm["max_jsd_identity_gap"] < 1e-12
    assert thm["joint_a_equals_b_max_gap"] < 1e-12
    assert min(thm["initial_values"]) > -math.log(4) + 1e-3  # the starts were away from the optimum


def test_criterion_minimum() -> None:
    p = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    assert float(notes.virtual_training_criterion(p, p)) == pytest.approx(-math.log(4), abs=1e-15)
    q = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    assert float(notes.virtual_training_criterion(p, q)) > -math.log(4)


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="Invalid support"):
        notes._validate(notes.NotesGANConfig(support=1))
