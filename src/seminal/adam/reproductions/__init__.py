"""Reproductions of Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization" (arXiv:1412.6980).

Importing this package registers the experiments:

* ``adam-fig1``  -- Fig. 1 (left), §6.1: MNIST logistic regression, α_t = α/sqrt(t).
* ``adam-fig2``  -- Fig. 2a, §6.2: MNIST MLP 2×1000 ReLU with dropout, five optimizers.
* ``adam-fig3``  -- Fig. 3, §6.3: CIFAR-10 CNN c64-c64-c128-1000 (needs CIFAR-10 on disk).
* ``adam-fig4``  -- Fig. 4, §6.4: VAE, bias correction on/off over (β1, β2, α).
* ``adam-reddi`` -- Reddi, Kale & Kumar (2018) counterexample: Adam -> +1, AMSGrad -> −1.

Each module holds one experiment (config, presets, targets, run); models, optimizers, the shared
training loop, the grid search and the plots are small modules beside them.
"""

from seminal.adam.reproductions import fig1, fig2, fig3, fig4, reddi
from seminal.experiments.registry import register

for _experiment in (fig1.EXPERIMENT, fig2.EXPERIMENT, fig3.EXPERIMENT, fig4.EXPERIMENT, reddi.EXPERIMENT):
    register(_experiment)
from seminal.adam.reproductions import notes  # noqa: E402  (notes-adam: the study notes, checked)
register(notes.EXPERIMENT)
