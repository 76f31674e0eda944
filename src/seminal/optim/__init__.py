"""The optimizers under the import path torch users look for (``seminal.optim.Adam``).

They live with their paper in :mod:`seminal.adam`; this package re-exports its public names.
"""

from seminal.adam import *  # noqa: F403  (the re-export is the whole point of this package)
from seminal.adam import __all__  # noqa: F401
