"""Fréchet distance, classifier score and class histogram against closed forms."""

from __future__ import annotations



import pytest
import torch

from seminal.gan.frechet import class_histogram, classifier_score, feature_statistics, frechet_distance


def test_identical_gaussians_are_at_distance_zero() -> None:
    feats = torch.randn(500, 6, generator=torch.Generator().manual_seed(0))
    mu, cov = feature_statistics(feats)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-9)


def test_one_dimensional_closed_form() -> None:
    # W2² between N(m1, s1²) and N(m2, s2²) = (m1 - m2)² + (s1 - s2)²
    d = frechet_distance(torch.tensor([1.0]), torch.tensor([[4.0]]), torch.tensor([-0.5]), torch.tensor([[0.25]]))
    assert d == pytest.approx(1.5**2 + (2.0 - 0.5) ** 2, abs=1e-10)


def test_commuting_covariances_closed_form() -> None:
    # diagonal covariances: Σ (sqrt(a_i) - sqrt(b_i))² + ‖μ1 - μ2‖²
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 0.25])
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    expected = float(((a.sqrt() - b.sqrt()) ** 2).sum() + ((mu1 - mu2) ** 2).sum())
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(expected, abs=1e-9)


def test_general_covariances_match_the_eigen_formula_and_are_symmetric() -> None:
    gen = torch.Generator().manual_seed(1)
    A, B = torch.randn(5, 5, generator=gen, dtype=torch.float64), torch.randn(5, 5, generator=gen, dtype=torch.float64)
    c1, c2 = A @ A.T + 0.1 * torch.eye(5, dtype=torch.float64), B @ B.T + 0.1 * torch.eye(5, dtype=torch.float64)
    mu = torch.zeros(5, dtype=torch.float64)
    # Tr sqrt(c1 c2) = Σ sqrt(eigenvalues of c1 c2) (real, non-negative for SPD c1, c2)
    trace_sqrt = torch.linalg.eigvals(c1 @ c2).real.clamp_min(0).sqrt().sum()
    expected = float(torch.trace(c1) + torch.trace(c2) - 2 * trace_sqrt)
    assert frechet_distance(mu, c1, mu, c2) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(mu, c1, mu, c2) == pytest.approx(frechet_distance(mu, c2, mu, c1), rel=1e-8)


def test_classifier_score_bounds() -> None:
    one_hot = torch.eye(10).repeat(5, 1)  # confident and every class equally often: the maximum
    assert classifier_score(one_hot) == pytest.approx(10.0, rel=1e-6)
    same_class = torch.zeros(50, 10)
    same_class[:, 3] = 1.0  # a collapsed generator: the minimum
    assert classifier_score(same_class) == pytest.approx(1.0, rel=1e-6)
    uncertain = torch.full((50, 10), 0.1)
    assert classifier_score(uncertain) == pytest.approx(1.0, rel=1e-6)
    half = torch.zeros(40, 10)
    half[:20, 0], half[20:, 1] = 1.0, 1.0
    assert classifier_score(half) == pytest.approx(2.0, rel=1e-6)


def test_class_histogram_counts() -> None:
    assert class_histogram(torch.tensor([0, 3, 3, 9])).tolist() == [1, 0, 0, 2, 0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: feature_statistics(torch.randn(1, 4)), r"Invalid features: shape \(1, 4\) \(expected \(N, F\) with N >= 2\)"),
        (lambda: frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(4), torch.eye(4)), r"Invalid means"),
        (lambda: frechet_distance(torch.zeros(3), torch.eye(2), torch.zeros(3), torch.eye(3)), r"Invalid covariances"),
        (lambda: classifier_score(torch.zeros(0, 10)), r"Invalid probabilities"),
        (lambda: class_histogram(torch.zeros(2, 2)), r"Invalid predictions"),
    ],
)
def test_bad_inputs_are_named(call, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()


