"""Config values from the command line parse as their field's type; NaN and inf are refused."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

import pytest

from seminal.adam.reproductions.fig1 import Fig1Config
from seminal.experiments.config_fields import ConfigValueError, check_config, config_fields, parse_assignment

FIELDS = {info.name: info for info in config_fields(Fig1Config)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("methods=adam", ("name", ("adam",))),
        ("methods=adam,adagrad", ("name", ("adam", "adagrad"))),
        ("methods=('adam', 'adagrad')", ("name", ("adam", "adagrad"))),
        ("lrs=adam:0.2,adagrad:1", ("name", {"adam": 0.2, "adagrad": 1.0})),
        ("lrs={'adam': 0.2}", ("name", {"adam": 0.2})),
        ("epochs=1e2", ("name", 100)),
        ("train_limit=none", ("name", None)),
        ("train_limit=500", ("name", 500)),
        ("grid_search=off", ("name", False)),
        ("lr_grid=adam:[0.1, 0.2]", None),
    ],
)
def test_values_parse_as_their_types(text: str, expected: tuple | None) -> None:
    if expected is None:
        with pytest.raises(ConfigValueError, match="--set lr_grid: expected"):
            parse_assignment(text, FIELDS, "adam-fig1")
        return
    name, value = parse_assignment(text, FIELDS, "adam-fig1")
    assert value == expected[1] and type(value) is type(expected[1])


@pytest.mark.parametrize("text", ["l2=nan", "l2=inf", "l2=-inf", "lrs=adam:nan", "lrs={'adam': 1e999}", "epochs=inf"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(ConfigValueError, match=rf"--set {text.split('=')[0]}: expected"):
        parse_assignment(text, FIELDS, "adam-fig1")


def test_lrs_scalar_is_a_clear_error() -> None:
    with pytest.raises(ConfigValueError, match=r"--set lrs: expected KEY:VALUE pairs .* got '0.1'"):
        parse_assignment("lrs=0.1", FIELDS, "adam-fig1")


def test_a_config_built_in_code_is_checked_too() -> None:
    import dataclasses

    with pytest.raises(ValueError, match="config field l2: expected a finite number, got nan"):
        check_config(dataclasses.replace(Fig1Config(), l2=float("nan")))


class Prior(enum.Enum):
    GAUSSIAN = "gaussian"
    UNIFORM = "uniform"


@dataclass
class TypedConfig:
    prior: Prior = Prior.GAUSSIAN
    mode: Literal["sgd", "adam"] = "sgd"
    size: tuple[int, int] = (28, 28)
    cells: tuple[tuple[str, str], ...] | None = None


def test_enums_literals_and_fixed_tuples_parse_as_their_types() -> None:
    fields = {info.name: info for info in config_fields(TypedConfig)}
    assert parse_assignment("prior=uniform", fields, "x") == ("prior", Prior.UNIFORM)
    assert parse_assignment("mode=adam", fields, "x") == ("mode", "adam")
    assert parse_assignment("size=32,32", fields, "x") == ("size", (32, 32))
    with pytest.raises(ConfigValueError, match="--set prior: expected one of gaussian, uniform, got 'laplace'"):
        parse_assignment("prior=laplace", fields, "x")
    with pytest.raises(ConfigValueError, match="--set mode: expected one of 'sgd', 'adam'"):
        parse_assignment("mode=rmsprop", fields, "x")
    with pytest.raises(ConfigValueError, match=r"--set size: expected 2 values \(an? .*\) separated by ':'"):
        parse_assignment("size=1,2,3", fields, "x")


def test_a_list_of_pairs_parses_with_colons_inside_the_pairs() -> None:
    fields = {info.name: info for info in config_fields(TypedConfig)}
    assert parse_assignment("cells=FCN:R,CNN:RTS", fields, "x") == ("cells", (("FCN", "R"), ("CNN", "RTS")))
    assert parse_assignment("cells=FCN:R", fields, "x") == ("cells", (("FCN", "R"),))
    assert parse_assignment("size=32:28", fields, "x") == ("size", (32, 28))
    with pytest.raises(ConfigValueError, match="--set cells: expected .*e.g. a:a"):
        parse_assignment("cells=FCN:R:E", fields, "x")
