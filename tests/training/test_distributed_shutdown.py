"""shutdown_distributed meets the other ranks at a barrier only when asked (every rank ended normally)."""

from __future__ import annotations

import pytest

import seminal.training.distributed as distributed


@pytest.mark.parametrize("synchronize", [False, True])
def test_barrier_before_teardown_only_when_synchronized(monkeypatch: pytest.MonkeyPatch, synchronize: bool) -> None:
    calls: list[str] = []
    monkeypatch.setattr(distributed, "is_distributed", lambda: True)
    monkeypatch.setattr(distributed, "barrier", lambda: calls.append("barrier"))
    monkeypatch.setattr(distributed.dist, "destroy_process_group", lambda: calls.append("destroy"))
    distributed.shutdown_distributed(synchronize=synchronize)
    assert calls == (["barrier", "destroy"] if synchronize else ["destroy"])


def test_no_process_group_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(distributed, "is_distributed", lambda: False)
    monkeypatch.setattr(distributed, "barrier", lambda: calls.append("barrier"))
    monkeypatch.setattr(distributed.dist, "destroy_process_group", lambda: calls.append("destroy"))
    distributed.shutdown_distributed(synchronize=True)
    assert calls == []


class _Cycle:
    """Stands in for a finished DDP wrapper: unreachable, but only freed by the cycle collector."""

    def __init__(self) -> None:
        self.me = self


def test_unreachable_wrappers_are_freed_before_the_process_group_is_destroyed(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import weakref

    monkeypatch.setattr(distributed, "is_distributed", lambda: True)
    alive_at_destroy: list[bool] = []
    gc.disable()  # the collector must not run on its own between here and the call
    try:
        ref = weakref.ref(_Cycle())
        assert ref() is not None
        monkeypatch.setattr(distributed.dist, "destroy_process_group", lambda: alive_at_destroy.append(ref() is not None))
        distributed.shutdown_distributed(synchronize=False)
    finally:
        gc.enable()
    assert alive_at_destroy == [False]
