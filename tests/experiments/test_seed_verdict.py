"""A claim judged on several seeds agrees only when it holds on every seed."""

import pytest

from seminal.experiments.registry import seed_verdict_row


def test_all_seeds_hold_agrees() -> None:
    row = seed_verdict_row("x", 1.0, {0: 1.0, 1: 2.0, 2: 3.0}, {0: True, 1: True, 2: True})
    assert row.agrees is True and row.verdict == "agrees"
    assert row.ours.startswith("2 [1, 3]")


def test_mixed_seeds_are_inconclusive_never_agree() -> None:
    row = seed_verdict_row("x", 1.0, {0: 1.0, 1: 2.0, 2: 3.0}, {0: True, 1: False, 2: True})
    assert row.agrees is None and row.inconclusive and row.verdict == "inconclusive"
    assert "2/3" in row.comment


def test_no_seed_holds_disagrees() -> None:
    row = seed_verdict_row("x", 1.0, {0: 1.0, 1: 2.0}, {0: False, 1: False})
    assert row.agrees is False and row.verdict == "disagrees"


def test_mismatched_seeds_refused() -> None:
    with pytest.raises(ValueError, match="same seeds"):
        seed_verdict_row("x", 1.0, {0: 1.0}, {1: True})


def test_one_seed_reads_as_its_value() -> None:
    row = seed_verdict_row("x", 1.0, {4: 0.43}, {4: True})
    assert row.ours == "0.43 (seed 4)" and row.agrees is True
