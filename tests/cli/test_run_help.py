"""`seminal run X --help` lists every config field of X with its type, default and a one-line meaning."""

from __future__ import annotations

import pytest

from seminal.cli import main
from seminal.experiments.config_fields import config_fields
from seminal.experiments.registry import all_experiments


def _help(experiment_id: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", experiment_id, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_stn_table1_help_lists_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help("stn-table1", capsys)
    for info in config_fields(all_experiments_by_id()["stn-table1"].config_cls):
        assert f"--{info.name.replace('_', '-')} VALUE" in text
        assert f"[{info.type_text}; default" in text
        assert info.help and info.help.split()[0] in text
    assert "lr: initial" not in text  # meanings come without the docstring's field prefix
    assert "quick 500" in text  # preset values beside the default (iterations)


@pytest.mark.parametrize("experiment", all_experiments(), ids=lambda e: e.id)
def test_every_field_has_a_one_line_meaning(experiment) -> None:
    missing = [info.name for info in config_fields(experiment.config_cls) if not info.help]
    assert not missing, (
        f"{experiment.id}: config fields without a meaning for `seminal run {experiment.id} --help`: {missing} "
        "(add an Attributes: entry to the config's docstring, a comment on the field's line, or metadata={'help': ...})"
    )


def all_experiments_by_id() -> dict:
    return {e.id: e for e in all_experiments()}
