"""The plain-text verdict of one run: its headline (ours vs the paper's, and the tally of verdicts).

Used by the HTML report's overview table and cards; a ``notes-<paper>`` run is summed up by its
study-notes claims (metrics ``notes_claims``) rather than by comparison rows.
"""

from __future__ import annotations

from typing import Any

from seminal.experiments.registry import ComparisonRow
from seminal.experiments.run_record import RunRecord

__all__ = ["NOT_RUN", "headline", "checked_rows", "notes_claims", "plain_number"]

#: ``ours`` of a comparison row for a paper value this run did not compute.
NOT_RUN = "not run"


def checked_rows(record: RunRecord) -> list[ComparisonRow]:
    """The comparison rows that carry a verdict."""
    return [row for row in record.comparison if row.verdict]


def plain_number(value: Any) -> str:
    """A float to 4 significant digits, anything else as str."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def notes_claims(record: RunRecord) -> list[dict[str, Any]]:
    """The study notes' claims of a notes-<paper> run (metrics ``notes_claims``), else []."""
    claims = record.metrics.get("notes_claims") if isinstance(record.metrics, dict) else None
    return [c for c in claims if isinstance(c, dict)] if isinstance(claims, list) else []


def _claims_tally(claims: list[dict[str, Any]]) -> str:
    words = ("holds", "holds approximately", "does not hold", "inconclusive")
    return ", ".join(f"{sum(c.get('verdict') == w for c in claims)} {w}" for w in words
                     if any(c.get("verdict") == w for c in claims))


def headline(record: RunRecord) -> str:
    """One line of plain text: the first checked claim, ours vs the paper's, and the verdict tally."""
    if record.status != "ok":
        return {"unavailable": "cannot run here (see below)", "failed": "failed (see below)"}.get(record.status, record.status)
    claims = notes_claims(record)
    if claims:  # the verdicts are about the notes' claims, not about reproducing a paper result
        return f"{len(claims)} claims of the study notes checked against the paper: {_claims_tally(claims)}"
    checked = checked_rows(record)
    if not checked:
        if record.protocol is not None and not record.protocol.judged:
            return "not judged (smoke or synthetic run)"
        # Still lead with a number: the first row that has both ours and a paper value.
        informative = [r for r in record.comparison if r.ours != NOT_RUN and str(r.paper).strip("—– -")]
        why = "reduced run, not judged against the paper" if record.protocol and not record.protocol.full else "no criterion checked"
        if not informative:
            return f"informational rows only ({why})"
        first = informative[0]
        return f"{first.quantity}: ours {plain_number(first.ours)} vs paper {plain_number(first.paper)} ({why})"
    first = checked[0]
    counts = {word: sum(r.verdict == verdict for r in checked)
              for verdict, word in (("agrees", "agree"), ("disagrees", "disagree"), ("inconclusive", "inconclusive"))}
    tally = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
    claims = "claim" if len(checked) == 1 else "claims"
    return f"{first.quantity}: ours {plain_number(first.ours)} vs paper {plain_number(first.paper)} ({len(checked)} {claims} checked: {tally})"
