"""Reproductions of Jaderberg et al. (2015), "Spatial Transformer Networks" (arXiv:1506.02025).

Importing this package registers the experiments:

* ``stn-table1``  -- Table 1: distorted MNIST (R, RTS, P, E, TC) test error of FCN/CNN/ST-FCN/ST-CNN.
* ``stn-compare`` -- the seed notes' image comparison (inputs beside ST outputs) and θ vs the input.
"""

from seminal.experiments.registry import register
from seminal.stn.reproductions import compare, table1

for _experiment in (table1.EXPERIMENT, compare.EXPERIMENT):
    register(_experiment)
from seminal.stn.reproductions import notes  # noqa: E402  (notes-stn: the study notes, checked)
register(notes.EXPERIMENT)
