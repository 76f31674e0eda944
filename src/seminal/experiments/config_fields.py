"""A typed command line generated from an experiment's config dataclass.

For every field of the config dataclass this module knows its type (from the annotations), its
default (the paper's full setting) and a one-line meaning, taken from, in order:
``field(metadata={"help": ...})``, an attribute docstring (a string right below the field), a
comment on the field's line or right above it, or an ``Attributes:`` entry in the class docstring.

Values given on the command line (``--set FIELD=VALUE`` or ``--FIELD VALUE``) are parsed as the
field's type: ``tuple[str, ...]`` takes ``adam`` (one element), ``adam,sgd`` or ``("adam", "sgd")``;
``dict[str, float]`` takes ``adam:0.1,sgd:1`` or ``{"adam": 0.1}``; ``X | None`` takes ``none``;
enums take a member name or value; ``Literal[...]`` one of its values. Every float anywhere in a
config (also inside tuples and dicts) must be finite: NaN and ±inf are refused.

No torch import here: ``seminal run X --help`` is built from this module; the runner checks every
config with :func:`check_config`. The parts, one job each: :mod:`~seminal.experiments.config_help`
(each field's type, default and meaning), :mod:`~seminal.experiments.config_values` (parsing
command-line text) and :mod:`~seminal.experiments.config_checks` (no NaN/inf); this module is their
one import path.
"""

from seminal.experiments.config_checks import ConfigValueError, check_config, check_finite
from seminal.experiments.config_help import FieldInfo, config_fields
from seminal.experiments.config_values import parse_assignment, parse_value

__all__ = [
    "FieldInfo",
    "config_fields",
    "parse_value",
    "parse_assignment",
    "check_finite",
    "check_config",
    "ConfigValueError",
]
