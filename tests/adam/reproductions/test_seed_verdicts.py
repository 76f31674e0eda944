"""Seeds inside one run, and the criteria that turn per-seed curves into verdicts."""

from __future__ import annotations

import math

import pytest

from seminal.adam.reproductions import fig1, fig2, fig4
from seminal.adam.reproductions.loop import Curve
from seminal.adam.reproductions.seeds import (
    check_num_seeds,
    informational,
    run_seeds,
    seed_prefix,
)
from seminal.experiments.registry import ComparisonRow, RunContext


def test_run_seeds_yields_consecutive_seeds_with_shared_notes(tmp_path) -> None:
    import torch

    ctx = RunContext(out_dir=tmp_path, seed=4, progress=False)
    draws = {}
    for seed, seed_ctx in run_seeds(ctx, 3):
        assert seed_ctx.seed == seed and seed_ctx.out_dir == ctx.out_dir
        seed_ctx.note(f"seed {seed}")
        draws[seed] = float(torch.rand(()))
    assert list(draws) == [4, 5, 6] and len(set(draws.values())) == 3
    assert ctx.notes == ["seed 4", "seed 5", "seed 6"] and ctx.seed == 4
    assert seed_prefix(5) == "seed5-"


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_num_seeds_must_be_a_positive_int(bad) -> None:
    with pytest.raises(ValueError, match="Invalid num_seeds"):
        check_num_seeds(bad)


def test_informational_rows_never_carry_a_verdict() -> None:
    rows = [ComparisonRow("a", "p", 1.0, agrees=True, comment="c"), ComparisonRow("b", "p", 1.0, inconclusive=True)]
    out = informational(rows, "because")
    assert [r.verdict for r in out] == ["", ""] and out[0].comment == "because. c" and out[1].comment == "because"


def _curves(adam: list[float], sgd: list[float], adagrad: list[float]) -> dict[str, Curve]:
    return {m: Curve(m, 0.1, losses) for m, losses in (("adam", adam), ("sgd_nesterov", sgd), ("adagrad", adagrad))}


def _fig1_rows(curves: dict[int, dict[str, Curve]]) -> list[ComparisonRow]:
    from seminal.adam.reproductions.data import FlatMNIST

    data = FlatMNIST(*([None] * 4), description="test data", is_fallback=False)  # type: ignore[arg-type]
    return fig1._compare(fig1.Fig1Config(epochs=4), curves, data, 100, "fixed")


def test_fig1_a_bad_first_epoch_does_not_decide_faster_than_adagrad() -> None:
    # The seed 2: SGD+Nesterov's first epoch at 1.09 put its all-epoch mean above
    # AdaGrad's although it ends well below; the figure's reading is the second half.
    normal = _curves([0.6, 0.3, 0.26, 0.25], [0.7, 0.32, 0.27, 0.26], [0.6, 0.4, 0.38, 0.37])
    bad_start = _curves([0.6, 0.3, 0.26, 0.25], [1.09, 0.35, 0.27, 0.26], [0.6, 0.4, 0.38, 0.37])
    rows = _fig1_rows({0: normal, 1: normal, 2: bad_start})
    assert [r.verdict for r in rows] == ["agrees", "agrees", "agrees"]
    assert "seeds 0,1,2" in rows[0].ours


def test_fig1_a_claim_that_holds_on_some_seeds_only_is_inconclusive() -> None:
    close = _curves([0.6, 0.3, 0.26, 0.25], [0.7, 0.32, 0.27, 0.26], [0.6, 0.4, 0.38, 0.37])
    apart = _curves([0.6, 0.3, 0.26, 0.25], [0.7, 0.4, 0.34, 0.33], [0.6, 0.4, 0.38, 0.37])
    rows = _fig1_rows({0: close, 1: apart, 2: close})
    similar = rows[1]
    assert similar.verdict == "inconclusive" and "holds on 2/3 seeds" in similar.comment


def test_fig1_a_diverged_method_disagrees() -> None:
    diverged = _curves([0.6, math.nan, math.nan, math.nan], [0.7, 0.32, 0.27, 0.26], [0.6, 0.4, 0.38, 0.37])
    rows = _fig1_rows({0: diverged})
    assert rows[0].verdict == "disagrees" and rows[2].verdict == "disagrees"


def test_fig2_adam_must_be_lowest_on_every_seed() -> None:
    cfg = fig2.Fig2Config(epochs=2, methods=("adam", "rmsprop"))
    win = {"adam": Curve("adam", 1e-3, [0.5, 0.20]), "rmsprop": Curve("rmsprop", 1e-3, [0.5, 0.22])}
    lose = {"adam": Curve("adam", 1e-3, [0.5, 0.23]), "rmsprop": Curve("rmsprop", 1e-3, [0.5, 0.22])}
    rows = fig2._compare(cfg, {0: win, 1: win}, "setting")
    assert rows[0].verdict == "agrees" and rows[1].verdict == ""  # the 200-epoch level is informational here
    assert fig2._compare(cfg, {0: win, 1: lose}, "setting")[0].verdict == "inconclusive"
    assert fig2._compare(cfg, {0: lose}, "setting")[0].verdict == "disagrees"


def _fig4_cells(cfg: fig4.Fig4Config, seeds: list[int], loss) -> list[dict]:
    cells = []
    for seed in seeds:
        for b1, b2, lr, epochs in fig4._cells(cfg):
            for bc in (True, False):
                value = loss(seed, b1, b2, lr, bc)
                cells.append({"seed": seed, "beta1": b1, "beta2": b2, "log10_lr": lr, "bias_correction": bc,
                              "epochs": epochs, "diverged": not math.isfinite(value),
                              "loss_at": {str(e): value for e in cfg.report_epochs if e <= epochs}})
    return cells


def test_fig4_quick_judges_only_the_early_instability() -> None:
    cfg = fig4.quick()

    def loss(seed, b1, b2, lr, bc):  # no bias correction blows up at β2 = 0.9999, is a bit better elsewhere
        if not bc and b2 == 0.9999:
            return math.nan
        return 200.0 if bc else 198.0

    rows = fig4._compare(cfg, _fig4_cells(cfg, [0, 1, 2], loss), "test data")
    verdicts = {r.quantity.split(",")[0]: r.verdict for r in rows}
    unstable = next(r for r in rows if "β2 = 0.9999" in r.quantity)
    assert unstable.verdict == "agrees" and unstable.ours.startswith("4 [4, 4]")
    assert [r.verdict for r in rows if r is not unstable] == ["", "", ""], verdicts  # not the paper's epochs
    assert all("informational" in r.comment for r in rows if r is not unstable)


def test_fig4_paper_epochs_on_all_images_are_judged() -> None:
    cfg = fig4.laptop()

    def loss(seed, b1, b2, lr, bc):
        base = 100.0 + (0.0 if b2 >= 0.999 else 5.0)
        return base if bc else (math.inf if b2 == 0.9999 and lr >= -2 else base * 1.005)

    rows = fig4._compare(cfg, _fig4_cells(cfg, [0], loss), "test data")
    assert [r.verdict for r in rows] == ["agrees", "agrees", "agrees", "agrees"]
    assert "(of 30)" in rows[0].quantity and "(of 1)" in rows[1].quantity
    assert rows[3].quantity.startswith("lowest loss of any cell after 10 epoch(s)")  # every cell has epoch 10


def test_fig4_long_cells_train_last_and_longer() -> None:
    cfg = fig4.laptop()
    order = fig4._cells(cfg)
    assert len(order) == 30 and order[-1] == (0.9, 0.9999, -3, 100)
    assert all(epochs == 10 for *_, epochs in order[:-1])
    with pytest.raises(ValueError, match="Invalid long_cells entry"):
        fig4._validate(fig4.Fig4Config(long_cells=((0.5, 0.99, -3),)))
    with pytest.raises(ValueError, match="strictly increasing"):
        fig4._validate(fig4.Fig4Config(report_epochs=(10, 10)))
