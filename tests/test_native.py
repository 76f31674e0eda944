"""Optional native kernels: built once, loaded with ctypes, and a clean fallback without a compiler."""

from __future__ import annotations

import ctypes
import shutil
from pathlib import Path

import pytest

from seminal import native

SOURCE = 'extern "C" int seminal_test_add(int a, int b) { return a + b; }\n'


def write_source(directory: Path, name: str) -> Path:
    path = directory / f"{name}.cpp"
    path.write_text(SOURCE)
    return path


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")
def test_builds_once_into_the_cache_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(native.DISABLE_ENV, raising=False)
    library = native.load(write_source(tmp_path, "adder"))
    assert library is not None
    add = library.seminal_test_add
    add.argtypes, add.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    assert add(2, 40) == 42
    built = list((tmp_path / "cache" / "native").glob("adder-*.so"))
    assert len(built) == 1
    assert native.load(tmp_path / "adder.cpp") is library  # once per process


def test_no_compiler_warns_and_returns_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CXX", "no-such-compiler-seminal")
    monkeypatch.delenv(native.DISABLE_ENV, raising=False)
    with pytest.warns(RuntimeWarning, match=r"could not build the native kernel nocc\.cpp .*no C\+\+ compiler"):
        assert native.load(write_source(tmp_path, "nocc")) is None
    assert not native.available(tmp_path / "nocc.cpp")


def test_disabled_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(native.DISABLE_ENV, "1")
    assert native.load(write_source(tmp_path, "off")) is None
    assert not (tmp_path / "cache").exists()


def test_bind_without_a_build_answers_none_from_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(native.DISABLE_ENV, "1")
    source = write_source(tmp_path, "unbuilt")
    assert native.bind(source, {"seminal_test_add": [ctypes.c_int, ctypes.c_int]}) is None
    calls: list[object] = []
    monkeypatch.setattr(native, "load", lambda path: calls.append(path))  # a second lookup would call it
    assert native.bind(source, {"seminal_test_add": [ctypes.c_int, ctypes.c_int]}) is None
    assert calls == []


@pytest.mark.parametrize(("total", "parts"), [(10, 3), (2, 5), (0, 4), (7, 1)])
def test_run_split_covers_the_range_once(total: int, parts: int) -> None:
    pieces: list[tuple[int, int]] = []
    native.run_split(total, parts, lambda lo, hi: pieces.append((lo, hi)))
    pieces.sort()
    assert pieces[0][0] == 0 and pieces[-1][1] == total
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    assert len(pieces) == max(1, min(parts, total))


def test_a_forked_child_gets_a_fresh_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    native.run_split(8, 2, lambda lo, hi: None)  # the pool exists now
    assert native._pool is not None
    monkeypatch.setattr(native, "_forked", False)  # restored after the test
    native._after_fork_in_child()  # what os.register_at_fork runs in a child
    assert native._pool is None and native._forked
    pieces: list[tuple[int, int]] = []
    native.run_split(8, 2, lambda lo, hi: pieces.append((lo, hi)))
    assert sorted(pieces) == [(0, 4), (4, 8)]


@pytest.mark.parametrize("splits_itself", [True, False])
def test_split_work_takes_the_route_of_the_built_kernel(monkeypatch: pytest.MonkeyPatch, splits_itself: bool) -> None:
    monkeypatch.setattr(native, "splits_itself", lambda source: splits_itself)
    calls: list[tuple[int, int, int]] = []
    native.split_work("kernel.cpp", 10, 2, lambda lo, hi, threads: calls.append((lo, hi, threads)))
    # Splitting itself: one call, told how many threads; else one call per piece, each single-threaded.
    assert sorted(calls) == ([(0, 10, 2)] if splits_itself else [(0, 5, 1), (5, 10, 1)])


SPLIT_SOURCE = """#include "native_split.hpp"
extern "C" void seminal_test_fill(int64_t total, int64_t parts, int64_t* out) {
  split_range(total, parts, [&](int64_t lo, int64_t hi) { for (int64_t i = lo; i < hi; ++i) out[i] = i; });
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")
def test_split_range_fills_every_piece_and_shares_torchs_openmp_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(native.DISABLE_ENV, raising=False)
    source = tmp_path / "fill.cpp"
    source.write_text(SPLIT_SOURCE)
    before = native._openmp_runtimes()
    shareable = native._can_share_openmp(before)
    library = native.load(source)
    assert library is not None
    # Built with OpenMP exactly where that reuses torch's runtime; never a second runtime.
    assert native.splits_itself(source) == shareable
    assert native._openmp_runtimes() == before
    fill = library.seminal_test_fill
    fill.argtypes, fill.restype = [native.C_INT64, native.C_INT64, native.C_POINTER], None
    for total, parts in [(10, 3), (2, 5), (7, 1), (1000, 2)]:
        out = (ctypes.c_int64 * total)(*([-1] * total))
        fill(total, parts, out)
        assert list(out) == list(range(total))


def test_a_forked_child_splits_on_python_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenMP's pool does not survive fork: even a kernel that splits itself is split from Python there.
    monkeypatch.setattr(native, "splits_itself", lambda source: True)
    monkeypatch.setattr(native, "_forked", True)
    calls: list[tuple[int, int, int]] = []
    native.split_work("kernel.cpp", 10, 2, lambda lo, hi, threads: calls.append((lo, hi, threads)))
    assert sorted(calls) == [(0, 5, 1), (5, 10, 1)]


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")
def test_a_header_change_rebuilds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    # The cache key covers the shared header too: an edited header never loads a stale build.
    monkeypatch.setattr(native, "_INCLUDE_DIR", tmp_path)
    source = tmp_path / "uses_header.cpp"
    source.write_text('#include "answer.hpp"\nextern "C" int seminal_test_answer() { return ANSWER; }\n')
    answers = []
    for value in (41, 42):
        (tmp_path / "answer.hpp").write_text(f"#define ANSWER {value}\n")
        built = native._build(source, ("-O1",))
        answer = ctypes.CDLL(str(built)).seminal_test_answer
        answer.restype = ctypes.c_int
        answers.append((built, answer()))
    assert answers[0][0] != answers[1][0] and [a for _, a in answers] == [41, 42]
