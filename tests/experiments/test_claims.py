"""seminal.experiments.claims: verdict words, their comparison rows and the notes_claims records."""

from __future__ import annotations

import pytest

from seminal.experiments.claims import VERDICTS, Claim, claim_from_row, claims_metrics
from seminal.experiments.registry import ComparisonRow, seed_verdict_row


def _claim(verdict: str, detail: str = "why") -> Claim:
    return Claim("a claim", "§1 eq. 1", "1.0", verdict, detail, "§1", "fig")


def test_each_verdict_maps_to_its_row() -> None:
    assert _claim("holds").row().verdict == "agrees"
    assert _claim("does not hold").row().verdict == "disagrees"
    assert _claim("does not hold", "the truth").row().comment == "does not hold: the truth"
    approx = _claim("holds approximately", "gap 3 %").row()
    assert approx.agrees is None and not approx.inconclusive and approx.comment == "holds approximately (gap 3 %)"
    assert _claim("inconclusive").row().verdict == "inconclusive"


def test_bad_verdicts_are_refused() -> None:
    with pytest.raises(ValueError, match="Invalid verdict: 'agrees'"):
        _claim("agrees")
    with pytest.raises(ValueError, match="needs a detail"):
        _claim("holds approximately", "")
    with pytest.raises(ValueError, match="needs a detail"):
        _claim("does not hold", "")


def test_records_for_metrics() -> None:
    records = claims_metrics([_claim(v) for v in VERDICTS])
    assert [r["verdict"] for r in records] == list(VERDICTS)
    assert set(records[0]) == {"claim", "paper", "measured", "verdict", "detail", "figure"}


def test_claim_from_seed_rows() -> None:
    mixed = seed_verdict_row("q", "p", {0: 1.0, 1: -1.0}, {0: True, 1: False}, criterion="c")
    claim = claim_from_row(mixed, detail="d", measured_prefix="diff: ")
    assert claim.verdict == "inconclusive" and claim.measured.startswith("diff: ") and "holds on 1/2 seeds" in claim.detail
    assert claim_from_row(seed_verdict_row("q", "p", {0: 1.0}, {0: True}), detail="d").verdict == "holds"
    assert claim_from_row(seed_verdict_row("q", "p", {0: 1.0}, {0: False}), detail="d").verdict == "does not hold"
    with pytest.raises(ValueError, match="has no verdict"):
        claim_from_row(ComparisonRow("q", "p", 1.0), detail="d")
