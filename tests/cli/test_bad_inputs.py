"""Every bad command line in the table ends with exit code 2 and one line naming the argument."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seminal.cli import main
from tests.cli.bad_inputs import BAD_INPUTS


_INFO = ("seminal: note:", "seminal: running")  # progress lines, not part of the error


def _fill(argv: list[str], scratch: dict[str, str]) -> list[str]:
    filled = []
    for token in argv:
        for key, value in scratch.items():
            token = token.replace("{" + key + "}", value)
        filled.append(token)
    return filled


@pytest.mark.parametrize(("argv", "names"), BAD_INPUTS, ids=[" ".join(a)[:60] for a, _ in BAD_INPUTS])
def test_bad_input_is_one_clear_line(argv: list[str], names: str, scratch: dict[str, str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    if ("cuda" in argv and torch.cuda.is_available()) or ("cuda:3" in argv and torch.cuda.device_count() > 3):
        pytest.skip("this machine has the device the case asks for")
    try:
        code = main(_fill(argv, scratch))
    except SystemExit as exit_info:
        code = exit_info.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(_INFO)]
    assert code == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert names in lines[0], lines[0]
    assert not (Path(scratch["tmp"]) / "run" / "config.json").exists(), "a refused run must not write its folder"


def test_the_table_is_large_enough() -> None:
    assert len(BAD_INPUTS) >= 40
