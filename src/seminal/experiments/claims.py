"""Verdicts on claims: a statement from the study notes checked against the paper and a computation.

A :class:`Claim` is one checked statement. It becomes a :class:`~seminal.experiments.registry.ComparisonRow`
(``quantity`` = the claim in our words, ``paper`` = the paper's statement with section and
equation, ``ours`` = the measurement) and one entry of the ``notes_claims`` list in metrics.json,
from which reports render a table.

Verdicts and how they map onto a row's ``agrees``:

=====================  ===========================================================================
``holds``              ``agrees=True``
``holds approximately`` ``agrees=None``; the comment starts "holds approximately (gap ...)"
``does not hold``      ``agrees=False``; the comment gives the correct statement
``inconclusive``       ``inconclusive=True`` (a multi-seed check that held on some seeds only)
=====================  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seminal.experiments.registry import ComparisonRow

__all__ = ["VERDICTS", "Claim", "claim_from_row", "claims_metrics"]

VERDICTS: tuple[str, ...] = ("holds", "holds approximately", "does not hold", "inconclusive")


@dataclass(frozen=True)
class Claim:
    """One claim of the notes with its verdict.

    Attributes:
        claim: the claim, paraphrased (never the notes' own words).
        paper: what the paper states, with section and equation.
        measured: what our computation gave (a short string with numbers).
        verdict: one of :data:`VERDICTS`.
        detail: for "holds approximately" the size of the gap; for "does not hold" the correct
            statement; otherwise how it was checked.
        source: the paper section the check is about.
        figure: the figure that shows it (file stem), or "".
    """

    claim: str
    paper: str
    measured: str
    verdict: str
    detail: str
    source: str = ""
    figure: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Invalid verdict: {self.verdict!r} (expected one of {VERDICTS})")
        if self.verdict in ("holds approximately", "does not hold") and not self.detail:
            raise ValueError(f"verdict {self.verdict!r} needs a detail (the gap or the correct statement)")

    def row(self) -> ComparisonRow:
        """The claim as an ours-vs-paper row."""
        if self.verdict == "holds":
            return ComparisonRow(self.claim, self.paper, self.measured, True, self.source, self.detail)
        if self.verdict == "holds approximately":
            return ComparisonRow(self.claim, self.paper, self.measured, None, self.source, f"holds approximately ({self.detail})")
        if self.verdict == "does not hold":
            return ComparisonRow(self.claim, self.paper, self.measured, False, self.source, f"does not hold: {self.detail}")
        return ComparisonRow(self.claim, self.paper, self.measured, None, self.source, f"inconclusive: {self.detail}", inconclusive=True)

    def record(self) -> dict[str, Any]:
        """The metrics.json entry."""
        entry = {"claim": self.claim, "paper": self.paper, "measured": self.measured, "verdict": self.verdict,
                 "detail": self.detail}
        if self.figure:
            entry["figure"] = self.figure
        return entry


def claim_from_row(row: ComparisonRow, *, detail: str, figure: str = "", measured_prefix: str = "") -> Claim:
    """A claim judged by a (multi-seed) row, e.g. one from :func:`~seminal.experiments.registry.seed_verdict_row`.

    agrees -> "holds", disagrees -> "does not hold", inconclusive -> "inconclusive". An
    informational row (no criterion) is refused: a claim needs a verdict. ``measured_prefix`` says
    what the row's ``ours`` is (e.g. "ST minus no ST, pp: ").
    """
    verdict = {"agrees": "holds", "disagrees": "does not hold", "inconclusive": "inconclusive"}.get(row.verdict)
    if verdict is None:
        raise ValueError(f"row {row.quantity!r} has no verdict (agrees is None and it is not inconclusive)")
    detail = f"{detail}; {row.comment}" if row.comment else detail
    return Claim(row.quantity, str(row.paper), f"{measured_prefix}{row.ours}", verdict, detail, row.source, figure)


def claims_metrics(claims: list[Claim]) -> list[dict[str, Any]]:
    """The ``notes_claims`` list of metrics.json."""
    return [c.record() for c in claims]
