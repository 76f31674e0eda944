"""The GAN figures' axes say what they plot."""

from __future__ import annotations

from seminal.gan.plots import training_curves_figure


def test_training_curves_put_ticks_on_whole_epochs_only() -> None:
    history = [{"d_real": 0.6, "d_fake": 0.4, "d_loss": 0.6, "g_loss": 1.0 - 0.01 * e} for e in range(3)]
    fig = training_curves_figure(history)
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
