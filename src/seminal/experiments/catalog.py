"""A static table of the registered experiments, so ``seminal list`` starts without torch.

Registering an experiment means importing its paper's package, which imports torch (seconds).
``seminal list``, ``seminal --help`` and the "unknown experiment" error only need ids, papers and
titles, so they read this table instead. ``tests/experiments/test_catalog.py`` checks that it
matches the registry exactly: add a row here when you register an experiment.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CatalogEntry", "CATALOG", "catalog_ids"]


class CatalogEntry(NamedTuple):
    id: str
    paper: str
    title: str
    in_quick_reproduce: bool


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry("adam-fig1", "adam", "Fig. 1 (left): MNIST logistic regression, Adam vs SGD+Nesterov vs AdaGrad (α/sqrt(t))", True),
    CatalogEntry("adam-fig2", "adam", "Fig. 2a: MNIST MLP 2x1000 ReLU + dropout, Adam vs AdaGrad, RMSProp, SGD+Nesterov, AdaDelta", True),
    CatalogEntry("adam-fig3", "adam", "Fig. 3: CIFAR-10 CNN c64-c64-c128-1000, whitened input + dropout, Adam vs AdaGrad vs SGD+Nesterov", False),
    CatalogEntry("adam-fig4", "adam", "Fig. 4: VAE, Adam with vs without bias correction over β1, β2 and α", True),
    CatalogEntry("adam-reddi", "adam", "Reddi et al. counterexample: f_t = 1010x every 101st step else −10x on [−1, 1]; Adam -> +1, AMSGrad -> −1", True),
    CatalogEntry("notes-adam", "adam", "The study notes' claims about Adam, checked: moment sums, step bound, 'variance', novelty vs RMSProp/AdaGrad", True),
    CatalogEntry("stn-compare", "stn", "Canonical-form figure: distorted inputs, ST outputs and originals; uprightness measured", True),
    CatalogEntry("stn-table1", "stn", "Table 1: distorted MNIST (R, RTS, P, E, TC) test error, FCN/CNN vs ST-FCN/ST-CNN", True),
    CatalogEntry("notes-stn", "stn", "The study notes' claims about STNs, checked: rotation robustness, affine-only, identity start, sampler, placement", True),
    CatalogEntry("gan-fig1", "gan", "1-D illustration: p_data, p_g and D through training; D -> D* then 1/2 (Figure 1, Prop. 1, Thm. 1)", True),
    CatalogEntry("gan-fig2", "gan", "MNIST samples with the nearest training image (Figure 2)", True),
    CatalogEntry("gan-fig3", "gan", "Linear interpolation in z space (Figure 3)", True),
    CatalogEntry("gan-table1", "gan", "MNIST GAN: Parzen-window log-likelihood (Table 1) beside Fréchet distance / classifier score", True),
    CatalogEntry("notes-gan", "gan", "The study notes' claims about GANs, checked: the losses, Proposition 1, Theorem 1 and its Lagrangian", True),
)


def catalog_ids() -> list[str]:
    return [entry.id for entry in CATALOG]
