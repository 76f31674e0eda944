"""The experiment registry: unique ids, typed presets, precise errors."""

from __future__ import annotations

import dataclasses

import pytest

from seminal.experiments import registry
from tests.experiments.fake import FakeConfig, make_fake


def test_presets_and_overrides() -> None:
    exp = make_fake()
    assert exp.config("full") == FakeConfig()
    assert exp.config("quick").steps == 10 and exp.config("smoke").steps == 1
    assert exp.config("quick", {"lr": 0.5}).lr == 0.5


def test_unknown_override_and_preset_are_rejected() -> None:
    exp = make_fake()
    with pytest.raises(ValueError, match=r"unknown config field\(s\) \['nope'\] for experiment 'adam-fake'"):
        exp.config("full", {"nope": 1})
    with pytest.raises(ValueError, match="unknown preset 'fast' for experiment 'adam-fake'; expected one of full, quick, smoke"):
        exp.config("fast")


def test_register_rejects_duplicates_and_bad_entries(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", {})
    registry.register(make_fake())
    with pytest.raises(ValueError, match="'adam-fake' is already registered"):
        registry.register(make_fake())
    with pytest.raises(ValueError, match="paper must be one of"):
        registry.register(dataclasses.replace(make_fake("x-1"), paper="vae"))
    with pytest.raises(TypeError, match="config_cls must be a dataclass"):
        registry.register(dataclasses.replace(make_fake("adam-2"), config_cls=dict))


def test_unknown_experiment_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="Unknown experiment 'adam-nope'; expected one of"):
        registry.get_experiment("adam-nope")


def test_every_registered_experiment_is_complete() -> None:
    experiments = registry.all_experiments()
    assert {e.paper for e in experiments} <= set(registry.PAPERS)
    for exp in experiments:
        # <paper>-<what>, or notes-<paper>: the study notes' claims about that paper, checked
        assert exp.id.startswith(exp.paper + "-") or exp.id == f"notes-{exp.paper}", exp.id
        for preset in ("full", "quick", "smoke"):
            assert isinstance(exp.config(preset), exp.config_cls), (exp.id, preset)
        assert exp.targets, f"{exp.id} has no paper targets"
        assert all(t.source for t in exp.targets), f"{exp.id}: every target needs its source"
