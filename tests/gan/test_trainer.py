"""train_gan on seminal.training.Trainer: files, logged quantities, and exact resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seminal.experiments.registry import RunContext
from seminal.gan.checkpoint import load_generator
from seminal.gan.trainer import GANTrainConfig, build_models, build_optimizers, train_gan


def _cfg(**overrides) -> GANTrainConfig:
    base = dict(epochs=2, batch_size=20, optimizer="adam", lr=2e-4, update="alternating", g_hidden=16, d_units=8,
                d_pieces=2, n_train=80, sample_every=1, checkpoint_every=3)
    base.update(overrides)
    return GANTrainConfig(**base)


def _images() -> torch.Tensor:
    return torch.rand(80, 784, generator=torch.Generator().manual_seed(0)) ** 2


def _ctx(path: Path, resume: bool = False) -> RunContext:
    torch.manual_seed(0)  # the runner seeds the global RNG before run()
    return RunContext(out_dir=path, seed=0, progress=False, resume=resume)


def test_training_writes_generator_history_and_sample_grids(tmp_path: Path) -> None:
    outcome = train_gan(_cfg(), _ctx(tmp_path), _images(), meta={"fingerprint": "f"})
    assert len(outcome.history) == 2
    for key in ("d_loss", "g_loss", "value", "d_real", "d_fake", "lr"):
        assert key in outcome.history[-1]
    assert 0 < outcome.history[-1]["d_real"] < 1
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["samples_epoch_0001.png", "samples_epoch_0002.png"]
    loaded = load_generator(tmp_path / "generator.pt")
    assert loaded.meta["fingerprint"] == "f" and len(loaded.meta["history"]) == 2
    z = torch.randn(2, 100)
    assert torch.equal(loaded.generator(z), outcome.generator(z))


def test_k_batches_per_iteration_and_the_authors_sgd_schedule(tmp_path: Path) -> None:
    # k = 2: each loader batch holds 2 minibatches of 20 -> 80 / 40 = 2 iterations per epoch
    outcome = train_gan(_cfg(k=2, optimizer="sgd", lr=0.1, epochs=1), _ctx(tmp_path), _images())
    assert outcome.history[-1]["step"] == 2
    assert outcome.history[-1]["lr"] == pytest.approx(0.1 / 1.000004**2)
    assert outcome.history[-1]["momentum"] == pytest.approx(0.5)


def test_resume_continues_exactly(tmp_path: Path) -> None:
    straight = train_gan(_cfg(epochs=3), _ctx(tmp_path / "a"), _images())
    train_gan(_cfg(epochs=1), _ctx(tmp_path / "b"), _images())
    resumed = train_gan(_cfg(epochs=3), _ctx(tmp_path / "b", resume=True), _images())
    for a, b in zip(straight.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b)
    assert [h["d_loss"] for h in straight.history] == [h["d_loss"] for h in resumed.history]


def test_optimizers_follow_the_recipe() -> None:
    G, D = build_models(_cfg(), _images())
    opt_g, opt_d, schedule = build_optimizers(GANTrainConfig(), G, D)
    assert isinstance(opt_g, torch.optim.SGD) and schedule is not None
    assert opt_g.param_groups[0]["momentum"] == 0.5 and opt_d.param_groups[0]["lr"] == 0.1
    from seminal.adam import Adam

    opt_g, _, schedule = build_optimizers(_cfg(), G, D)
    assert isinstance(opt_g, Adam) and schedule is None
    assert opt_g.param_groups[0]["betas"] == (0.5, 0.999) and opt_g.param_groups[0]["lr"] == 2e-4


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"update": "simultaneous", "k": 2}, r"Invalid k: 2 with update='simultaneous' \(expected k = 1\)"),
        ({"optimizer": "rmsprop"}, r"Invalid optimizer: 'rmsprop' \(expected one of \('sgd', 'adam'\)\)"),
        ({"batch_size": 0}, r"Invalid batch_size: 0"),
        ({"prior": "cauchy"}, r"Invalid prior: 'cauchy'"),
        ({"batch_size": 100}, r"Invalid n_train: 80 images \(expected at least k \* batch_size = 100\)"),
    ],
)
def test_bad_configs_are_named(tmp_path: Path, overrides: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        train_gan(_cfg(**overrides), _ctx(tmp_path), _images())


def test_cpu_threads_apply_during_training_only_and_are_not_part_of_the_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import seminal.gan.trainer as trainer_module

    seen: list[int] = []
    real_step = trainer_module.algorithm1_step

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_step(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "algorithm1_step", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train_gan(_cfg(epochs=1, cpu_threads=1, sample_every=0), _ctx(tmp_path), _images())
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {1}
    assert after == 2
    assert _cfg(cpu_threads=1).recipe() == _cfg().recipe()
    with pytest.raises(ValueError, match=r"Invalid cpu_threads: -1 \(expected an int >= 0\)"):
        _cfg(cpu_threads=-1).validate()
