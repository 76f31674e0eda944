"""``python -m seminal`` runs the command line."""

import sys

from seminal.cli import main

# Guarded: `seminal reproduce` starts worker processes with "spawn", which imports this module again.
if __name__ == "__main__":
    sys.exit(main())
