"""The authors' schedule: lr 0.1 / 1.000004^t (floor 1e-6), momentum 0.5 -> 0.7 by epoch 250."""

from __future__ import annotations

import pytest
import torch

from seminal.gan.schedule import AuthorsSchedule


def _opt() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0, momentum=0.1)


def test_learning_rate_decays_per_update_with_a_floor() -> None:
    opt = _opt()
    schedule = AuthorsSchedule([opt])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    for _ in range(1000):
        schedule.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 1.000004**1000, rel=1e-12)
    schedule.updates = 10**8  # 0.1 / 1.000004^1e8 underflows far below the floor
    schedule.step()
    assert opt.param_groups[0]["lr"] == 1e-6


def test_momentum_ramps_linearly_from_epoch_1_to_250_then_stays() -> None:
    opt = _opt()
    schedule = AuthorsSchedule([opt])
    expected = {0: 0.5, 249: 0.7, 400: 0.7, 124: 0.5 + 0.2 * 124 / 249}  # our epoch e = the authors' e + 1
    for epoch, momentum in expected.items():
        schedule.set_epoch(epoch)
        assert opt.param_groups[0]["momentum"] == pytest.approx(momentum)


def test_state_dict_round_trip_restores_lr_and_momentum() -> None:
    a, b = _opt(), _opt()
    s = AuthorsSchedule([a])
    s.set_epoch(100)
    for _ in range(7):
        s.step()
    t = AuthorsSchedule([b])
    t.load_state_dict(s.state_dict())
    assert b.param_groups[0]["lr"] == a.param_groups[0]["lr"]
    assert b.param_groups[0]["momentum"] == a.param_groups[0]["momentum"]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"lr": 0.0}, r"Invalid lr: 0.0 \(expected lr > 0\)"), ({"decay": 0.9}, r"Invalid decay: 0.9 \(expected decay >= 1\)")],
)
def test_bad_arguments_are_named(kwargs: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        AuthorsSchedule([_opt()], **kwargs)


def test_adam_gets_the_per_update_decay_without_momentum_when_asked() -> None:
    from seminal.gan.trainer import GANTrainConfig, build_optimizers

    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    _, _, none = build_optimizers(GANTrainConfig(optimizer="adam", lr=1e-3), G, D)
    assert none is None  # the default: a constant rate
    opt_G, opt_D, schedule = build_optimizers(GANTrainConfig(optimizer="adam", lr=1e-3, adam_lr_decay=1.01), G, D)
    for _ in range(10):
        schedule.step()
    for opt in (opt_G, opt_D):
        assert opt.param_groups[0]["lr"] == pytest.approx(1e-3 / 1.01**10) and "momentum" not in opt.param_groups[0]
    with pytest.raises(ValueError, match="Invalid adam_lr_decay"):
        GANTrainConfig(optimizer="adam", adam_lr_decay=0.99).validate()
