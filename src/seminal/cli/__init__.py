"""The ``seminal`` command line (``seminal`` console script and ``python -m seminal``).

* :mod:`seminal.cli.main` -- ``main(argv)``: parse, dispatch, one-line errors.
* :mod:`seminal.cli.parser` -- the commands and common run options (imports no torch).
* :mod:`seminal.cli.config_options` -- ``run EXPERIMENT``'s options generated from its config dataclass.
* :mod:`seminal.cli.commands` -- what each command does; run folders (``version_N``), ``--resume``.
* :mod:`seminal.cli.sample_args` -- ``seminal sample``'s options.
* :mod:`seminal.cli.errors` -- exceptions to one line and an exit code.
"""

from seminal.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
