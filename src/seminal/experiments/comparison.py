"""Ours beside the paper's: a value the paper reports (:class:`PaperTarget`), one row of an
ours-vs-paper table with its verdict (:class:`ComparisonRow`), and a row judged over several seeds
(:func:`seed_verdict_row`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PaperTarget", "ComparisonRow", "seed_verdict_row"]


@dataclass(frozen=True)
class PaperTarget:
    """One value the paper reports, with where it comes from.

    ``value`` is a number or a short claim in words (the Adam paper has curves, not tables).
    """

    name: str
    value: float | str
    source: str
    unit: str = ""


@dataclass(frozen=True)
class ComparisonRow:
    """One line of an ours-vs-paper table.

    ``agrees`` is True/False when a criterion was checked, None when the row is informational.
    ``inconclusive`` marks a checked criterion whose outcome differs between seeds (``agrees`` is
    then None): it is reported as "inconclusive", never as agreement.
    ``comment`` says why we agree or not (the criterion, the measured gap); what the run reduced
    is not repeated here: the runner derives it once per run (:mod:`seminal.experiments.protocol`).
    ``reduced`` is set by the runner on the checked rows of a run that is not the paper's full
    protocol: the verdict then reads "agrees (reduced run)".
    """

    quantity: str
    paper: float | str
    ours: float | str
    agrees: bool | None = None
    source: str = ""
    comment: str = ""
    inconclusive: bool = False
    reduced: bool = False

    @property
    def verdict(self) -> str:
        """"agrees", "disagrees", "inconclusive" or "" (informational row)."""
        if self.inconclusive:
            return "inconclusive"
        return {True: "agrees", False: "disagrees", None: ""}[self.agrees]

    @property
    def label(self) -> str:
        """The verdict as reports print it: "agrees (reduced run)" when the run was reduced."""
        verdict = self.verdict
        return f"{verdict} (reduced run)" if verdict and self.reduced else verdict


def seed_verdict_row(
    quantity: str,
    paper: float | str,
    per_seed_values: dict[int, float],
    per_seed_agrees: dict[int, bool],
    *,
    source: str = "",
    criterion: str = "",
    fmt: str = "{:.4g}",
) -> ComparisonRow:
    """One row judged on several seeds: ours is "median [min, max] over seeds s1,s2,..." (one seed: its value).

    The row agrees only when the criterion holds on every seed, disagrees when it fails on every
    seed, and is *inconclusive* otherwise -- a claim that holds for one seed and not another is
    never reported as agreement.
    """
    if not per_seed_values or set(per_seed_values) != set(per_seed_agrees):
        raise ValueError("per_seed_values and per_seed_agrees must be non-empty and cover the same seeds")
    values = sorted(per_seed_values.values())
    n = len(values)
    median = values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])
    seeds = ",".join(str(s) for s in sorted(per_seed_values))
    if n == 1:
        ours = f"{fmt.format(values[0])} (seed {seeds})"
    else:
        ours = f"{fmt.format(median)} [{fmt.format(values[0])}, {fmt.format(values[-1])}] (median [range], seeds {seeds})"
    held = sum(bool(v) for v in per_seed_agrees.values())
    if held == n:
        agrees, inconclusive = True, False
    elif held == 0:
        agrees, inconclusive = False, False
    else:
        agrees, inconclusive = None, True
    comment = f"{criterion}; holds on {held}/{n} seeds" if criterion else f"holds on {held}/{n} seeds"
    return ComparisonRow(quantity, paper, ours, agrees, source, comment, inconclusive)
