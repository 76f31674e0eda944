"""``python -m seminal`` runs the command line."""

import sys

from seminal.cli import main

sys.exit(main())
