"""``seminal run EXPERIMENT``'s config options, generated from the experiment's config dataclass.

Every field becomes ``--FIELD VALUE`` (dashes for underscores) and can also be given as
``--set FIELD=VALUE``; both parse the value as the field's type
(:mod:`seminal.experiments.config_fields`). ``--help`` shows each field's type, its default (the
paper's setting), the value in every preset where it differs, and its one-line meaning.
"""

from __future__ import annotations

import argparse
from typing import Any

from seminal.experiments.config_fields import ConfigValueError, FieldInfo, config_fields, parse_assignment, parse_value

__all__ = ["add_config_options", "collect_overrides", "FIELD_PREFIX"]

#: ``args`` attribute prefix of the generated options.
FIELD_PREFIX = "config__"


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _preset_values(experiment: Any) -> dict[str, Any]:
    configs = {}
    for name in experiment.preset_names:
        if name == "full":
            continue
        try:
            configs[name] = experiment.config(name)
        except Exception:  # noqa: BLE001 - a preset that cannot be built is reported when chosen
            continue
    return configs


def add_config_options(parser: argparse.ArgumentParser, experiment: Any) -> None:
    """Add one typed option per config field of ``experiment`` to ``parser``."""
    fields = config_fields(experiment.config_cls)
    presets = _preset_values(experiment)
    taken = set(parser._option_string_actions)  # noqa: SLF001 - avoid clashing with the run options
    clashing = [info.name for info in fields if "--" + info.name.replace("_", "-") in taken]
    group = parser.add_argument_group(
        f"config fields of {experiment.id} (also --set FIELD=VALUE; default = the paper's setting)",
        f"presets: {', '.join(experiment.preset_names)}. Tuples take a,b or (a, b); dicts take key:value,key:value; "
        "none for an optional value; numbers must be finite."
        + (f" Only via --set (the name is a run option): {', '.join(clashing)}." if clashing else ""),
    )
    for info in fields:
        option = "--" + info.name.replace("_", "-")
        differing = [f"{name} {_short(getattr(cfg, info.name), 40)}" for name, cfg in presets.items()
                     if getattr(cfg, info.name) != info.default]
        text = f"{info.help or '(no description)'} [{info.type_text}; default {_short(info.default)}"
        text += ("; " + "; ".join(differing)) if differing else ""
        text += "]"
        text = text.replace("%", "%%")
        if info.name in clashing:
            continue
        group.add_argument(option, dest=FIELD_PREFIX + info.name, metavar="VALUE", default=argparse.SUPPRESS,
                           type=_typed(info, option), help=text)


def _typed(info: FieldInfo, option: str) -> Any:
    def convert(text: str) -> Any:
        try:
            return parse_value(text, info, option=option)
        except ConfigValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None

    convert.__name__ = info.type_text  # argparse names the type in some messages
    return convert


def collect_overrides(args: argparse.Namespace, experiment: Any) -> dict[str, Any]:
    """The config overrides of a parsed ``run`` command line: ``--set`` pairs, then ``--FIELD`` options."""
    fields = {info.name: info for info in config_fields(experiment.config_cls)}
    overrides: dict[str, Any] = {}
    for pair in args.overrides:
        name, value = parse_assignment(pair, fields, experiment.id)
        overrides[name] = value
    for key, value in vars(args).items():
        if key.startswith(FIELD_PREFIX):
            overrides[key[len(FIELD_PREFIX):]] = value
    return overrides
