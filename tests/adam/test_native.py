"""The native multi-tensor one-pass kernel: splits, mixed groups, what it refuses."""

from __future__ import annotations

import pytest
import torch

from seminal.adam import AdaMax, Adam, native

from .helpers import gradient_sequence



@pytest.fixture(autouse=True)
def _native_kernel() -> None:
    # Checked when a test runs, not at import: the build then goes to the session's private cache.
    if not native.available():
        pytest.skip("native one-pass kernel not built (no C++ compiler, or SEMINAL_NO_NATIVE=1)")


def run(make, params, grads_per_step):
    opt = make(params)
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()
    return [p.detach().clone() for p in params], opt


@pytest.mark.parametrize("make", [lambda p: AdaMax(p, averaging=0.9), lambda p: Adam(p, amsgrad=True, averaging=0.9, impl="compiled")])
def test_thread_split_is_bit_identical_to_one_thread(make, monkeypatch):
    monkeypatch.setattr(native, "_MIN_ELEMENTS_PER_THREAD", 100)
    shapes = [(33, 7), (1000,), (5, 5, 5), (1,)]
    theta0 = [torch.randn(s, generator=torch.Generator().manual_seed(k)) for k, s in enumerate(shapes)]
    grads = [[torch.randn(s, generator=torch.Generator().manual_seed(100 * t + k)) for k, s in enumerate(shapes)] for t in range(4)]
    threads = torch.get_num_threads()
    results = []
    try:
        for count in (1, 3):
            torch.set_num_threads(count)
            params = [torch.nn.Parameter(t.clone()) for t in theta0]
            got, opt = run(make, params, grads)
            results.append(got + [opt.averaged_value(p) for p in params])
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(a, b) for a, b in zip(*results))


def test_mixed_group_matches_the_loop_path():
    # float32 and float64 tensors (two native calls), a strided view and a bfloat16 tensor (not
    # taken: they go on to the other paths), parameters at different steps t.
    base = torch.randn(40, 30, dtype=torch.float64)
    make_params = lambda: [  # noqa: E731
        torch.nn.Parameter(torch.randn(64, 80, generator=torch.Generator().manual_seed(1))),
        torch.nn.Parameter(base.clone()),
        torch.nn.Parameter(torch.randn(80, 64, generator=torch.Generator().manual_seed(2)).t()),
        torch.nn.Parameter(torch.randn(300, generator=torch.Generator().manual_seed(3)).to(torch.bfloat16)),
    ]
    sequences = [gradient_sequence(5, shape=tuple(p.shape), dtype=p.dtype) for p in make_params()]
    results = {}
    for impl in ("compiled", "loop"):
        params = make_params()
        opt = AdaMax(params, impl=impl, averaging=0.9)
        for t in range(5):
            for k, p in enumerate(params):
                p.grad = sequences[k][t].to(p.dtype) if (k != 1 or t >= 2) else None  # tensor 1 starts late
            opt.step()
        results[impl] = [p.detach() for p in params] + [opt.averaged_value(p) for p in params]
    for a, b in zip(results["compiled"], results["loop"]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6 if a.dtype != torch.bfloat16 else 1e-2)


def test_refuses_what_it_cannot_update_exactly():
    p32 = torch.zeros(10)
    assert native.takes(p32, torch.zeros(10), [torch.zeros(10)])
    assert not native.takes(p32.to(torch.bfloat16), torch.zeros(10, dtype=torch.bfloat16), [])
    assert not native.takes(p32, torch.zeros(10), [torch.zeros(10, dtype=torch.float64)])
    assert not native.takes(torch.zeros(4, 6).t(), torch.zeros(6, 4), [])  # gradient in another layout
    with pytest.raises(ValueError, match=r"Invalid params: dtypes"):
        native.adamax_onepass_([torch.zeros(3), torch.zeros(3, dtype=torch.float64)], [None, None], [None, None], [None, None], None, [], [0, 0])
    p = torch.zeros(3)
    with pytest.raises(ValueError, match=r"Invalid vector_index: expected 1 indices into 1 scalar vectors"):
        native.adamax_onepass_([p], [p], [p], [p], None, [torch.zeros(8, dtype=torch.float64)], [1])
