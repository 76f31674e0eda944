"""Whether a run may continue the folder it is pointed at (``--resume``), and a finished run's results.

A folder is continued only when it holds a checkpoint and its run's fingerprint (experiment,
preset, seed, config, code version; :mod:`seminal.experiments.fingerprint`) matches this run's --
unless ``--resume-anyway``, whose differences are recorded. Without ``--resume`` a folder holding
checkpoints or a finished run is refused. A finished run's checkpoints are pruned, so its stored
results are what ``--resume`` returns for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seminal.experiments.fingerprint import fingerprint_of_record
from seminal.experiments.run_record import RunRecord, load_run_record

__all__ = ["ResumeError", "has_checkpoint", "check_resume", "finished_run"]


class ResumeError(ValueError):
    """``--resume`` cannot continue this folder (no checkpoint, or different settings)."""


def has_checkpoint(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a training checkpoint (``checkpoints/*.pt`` at any depth)."""
    return out_dir.is_dir() and any(out_dir.rglob("checkpoints/*.pt"))


def _finished(out_dir: Path) -> bool:
    # A finished run's checkpoints are pruned; its results must not be overwritten either.
    try:
        return json.loads((out_dir / "run.json").read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False


def check_resume(out_dir: Path, fingerprint: dict[str, Any], *, resume: bool, resume_anyway: bool,
                 resume_missing: str, notes: list[str]) -> tuple[bool, list[str]]:
    """Decide whether this run resumes; returns (resume, settings that differ from the folder's run)."""
    if not resume:
        if has_checkpoint(out_dir) or _finished(out_dir):
            held = "the checkpoints of a run" if has_checkpoint(out_dir) else "a finished run"
            raise ResumeError(
                f"--out {str(out_dir)!r} already holds {held}; pass --resume to continue it (or show a finished "
                "run's results), or choose a new folder (the default --out always makes a new version_N folder)"
            )
        return False, []
    differences = _differences(out_dir, fingerprint)
    if differences and not resume_anyway:
        raise ResumeError(
            f"--resume: the run in {str(out_dir)!r} was started with other settings: {'; '.join(differences)}. "
            "Resume with the original settings, or pass --resume-anyway to continue with the new ones"
        )
    if not has_checkpoint(out_dir):
        if resume_missing == "fresh":
            notes.append(f"--resume: {out_dir} held no checkpoint, so this run started from scratch.")
            return False, []
        raise ResumeError(
            f"--resume: {str(out_dir)!r} holds no checkpoint (checkpoints/*.pt), so there is nothing to resume; "
            "run without --resume to start a new run"
        )
    if differences:
        notes.append("--resume-anyway: continued a run started with other settings: " + "; ".join(differences))
    return True, differences


def _differences(out_dir: Path, fingerprint: dict[str, Any]) -> list[str]:
    from seminal.training.checkpoint import fingerprint_differences

    try:
        record = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []  # the checkpoints carry the fingerprint too; the training layer checks them on load
    except (OSError, ValueError) as exc:
        raise ResumeError(f"--resume: cannot read {out_dir / 'config.json'} ({exc})") from None
    saved = fingerprint_of_record(record) if isinstance(record, dict) else None
    if saved is None:
        return []
    current = {key: value for key, value in fingerprint.items() if key in saved}
    return fingerprint_differences(saved, current)


def finished_run(out_dir: Path, wanted: dict[str, Any]) -> RunRecord | None:
    """The record of a run already finished (status ok) in ``out_dir`` with the same experiment,
    preset, seed, dataset and config, else None."""
    try:
        run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        written = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    keys = ("experiment", "preset", "seed", "dataset", "config")
    same = json.loads(json.dumps({k: wanted.get(k) for k in keys}, default=str)) == {k: written.get(k) for k in keys}
    if not isinstance(run, dict) or run.get("status") != "ok" or not same:
        return None
    record = load_run_record(out_dir)
    record.notes = [*record.notes, f"--resume: the run in {out_dir} had already finished; these are its stored results "
                    "(nothing was trained again)."]
    return record
