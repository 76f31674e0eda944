"""Optional native (C++) kernels: compiled on first use with the system compiler, loaded with ctypes.

Some hot loops are cheaper as one hand-written pass over memory than as a chain of torch ops
(each op reads and writes whole tensors). Such a kernel lives as a C++ source file next to the
Python module that uses it, exports plain ``extern "C"`` functions over raw pointers, and is
built here -- no torch headers, so a build takes about a second.

Robustness (a user's machine may have no compiler):

* :func:`load` compiles ``<source>.cpp`` with ``$CXX`` (default ``g++``) into a per-user cache
  (``$SEMINAL_CACHE_DIR`` or ``~/.cache/seminal``), keyed by a hash of the source, the shared
  header (``native_split.hpp``) and the flags, so the build happens once per machine.
  ``-O3 -march=native`` is tried first, then plain ``-O3`` (see ``_FLAG_SETS``).
* Threads: a kernel splits its work with ``split_range`` (``native_split.hpp``). It is built with
  ``-fopenmp`` only where that shares torch's own OpenMP runtime: Linux, with GNU ``libgomp.so.1``
  already loaded by torch (the loader then reuses it, so the kernel runs on torch's intra-op
  threads; a second runtime beside torch's is a known source of trouble). Elsewhere it is built
  without OpenMP and :func:`run_split` splits the work across Python threads (ctypes releases the
  GIL). Callers go through :func:`split_work`, which takes the right route for the built kernel
  (and the Python-thread one in a forked child, where GNU OpenMP's pool does not survive).
* If no build succeeds, or ``SEMINAL_NO_NATIVE=1`` is set, :func:`load` returns ``None`` (one
  warning per kernel) and every caller falls back to its pure-torch path, which computes the
  same function. :func:`available` says which path a kernel takes.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
import warnings
from pathlib import Path
from typing import Any

import torch

__all__ = ["load", "bind", "available", "cache_dir", "run_split", "split_work", "splits_itself", "DISABLE_ENV", "DTYPE_SUFFIX", "C_INT64", "C_POINTER"]

#: Set to ``1`` to never build or load native kernels (the pure-torch paths are used).
DISABLE_ENV = "SEMINAL_NO_NATIVE"
#: Each kernel is built for these element types, its C name ending in the suffix (``kernel_f32``).
DTYPE_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
#: The ctypes of the kernels' two kinds of argument: counts/sizes and raw data pointers.
C_INT64, C_POINTER = ctypes.c_int64, ctypes.c_void_p

# -fno-trapping-math lets the compiler turn float compares into vector blends, -fno-math-errno
# lets it vectorise sqrt (no kernel here relies on floating point traps or errno). On the AVX-512 machine measured (AMD EPYC), 256-bit vectors
# and scalar loads instead of vector gather instructions made the warp kernel 1.3-1.5x faster;
# those two are GCC/x86 options, so elsewhere the build falls through to the next set.
_GCC_X86_TUNING = ("-mprefer-vector-width=256", "-mtune-ctrl=^use_gather_2parts,^use_gather_4parts,^use_gather")
# -fopenmp-simd honours `#pragma omp simd` (vectorised reductions) without an OpenMP runtime.
_BASE_FLAG_SETS: tuple[tuple[str, ...], ...] = (
    ("-O3", "-march=native", *_GCC_X86_TUNING, "-fno-trapping-math", "-fno-math-errno"),
    ("-O3", "-march=native", "-fno-trapping-math", "-fno-math-errno"),
    ("-O3", "-fno-trapping-math", "-fno-math-errno"),
)
_OPENMP_FLAG = "-fopenmp"
_FLAG_SETS: tuple[tuple[str, ...], ...] = tuple(flags + (_OPENMP_FLAG,) for flags in _BASE_FLAG_SETS) + tuple(
    flags + ("-fopenmp-simd",) for flags in _BASE_FLAG_SETS
)
#: The folder of the headers the kernels include (native_split.hpp).
_INCLUDE_DIR = Path(__file__).parent
#: The OpenMP runtime a kernel built with -fopenmp may share: the one GCC's torch builds load.
_SHARED_OPENMP_RUNTIME = "libgomp.so.1"
_loaded: dict[str, ctypes.CDLL | None] = {}
_bound: dict[Any, dict[str, Any] | None] = {}
_splits: dict[Any, bool] = {}
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
#: Set in a forked child: GNU OpenMP's thread pool does not survive fork (a parallel region there
#: hangs, torch's own ops included), so kernels split across Python threads instead.
_forked = False


def _after_fork_in_child() -> None:
    # A forked child inherits the executor but not its threads: it would wait forever.
    global _pool, _forked
    _pool, _forked = None, True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def run_split(total: int, parts: int, call: Callable[[int, int], None]) -> None:
    """``call(begin, end)`` over ``[0, total)`` cut into ``parts`` equal pieces, run on a shared
    thread pool (a native call through ctypes releases the GIL, so the pieces run in parallel)."""
    parts = max(1, min(parts, total))
    if parts == 1:
        call(0, total)
        return
    global _pool
    with _lock:
        if _pool is None or _pool._max_workers < parts:
            _pool = ThreadPoolExecutor(max_workers=parts, thread_name_prefix="seminal-native")
        pool = _pool
    bounds = [total * k // parts for k in range(parts + 1)]
    for future in [pool.submit(call, lo, hi) for lo, hi in zip(bounds, bounds[1:])]:
        future.result()


def splits_itself(source: str | os.PathLike[str]) -> bool:
    """Whether the built kernel in ``source`` splits its work over OpenMP threads itself
    (``seminal_splits_itself()`` in ``native_split.hpp``); False without a build. Answered once
    per process and source: kernels ask on every call, and :func:`load` resolves the path."""
    if source not in _splits:
        library = load(source)
        splits = getattr(library, "seminal_splits_itself", None) if library is not None else None
        _splits[source] = splits is not None and bool(splits())
    return _splits[source]


def split_work(source: str | os.PathLike[str], total: int, parts: int, call: Callable[[int, int, int], None]) -> None:
    """``call(begin, end, threads)`` over ``[0, total)`` in ``parts`` pieces, for a kernel of ``source``:
    one call with ``threads=parts`` where the kernel splits itself (:func:`splits_itself`), else
    :func:`run_split` across Python threads, each piece with ``threads=1`` (so in a forked child too)."""
    parts = max(1, min(parts, total))
    if parts == 1 or (splits_itself(source) and not _forked):
        call(0, total, parts)
    else:
        run_split(total, parts, lambda lo, hi: call(lo, hi, 1))


def cache_dir() -> Path:
    """Where built kernels are kept: ``$SEMINAL_CACHE_DIR/native`` or ``~/.cache/seminal/native``."""
    root = os.environ.get("SEMINAL_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "seminal")
    return Path(root) / "native"


def _cpu_flags() -> str:
    """The CPU's feature list (Linux), or '' where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return ""


def _openmp_runtimes() -> set[str] | None:
    """Paths of the OpenMP runtimes mapped into this process, or ``None`` where that can't be read (not Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    names = ("libgomp", "libiomp", "libomp")
    return {line.split()[-1] for line in maps.splitlines() if any(name in line.rsplit("/", 1)[-1] for name in names)}


def _can_share_openmp(runtimes: set[str] | None) -> bool:
    """Whether a -fopenmp kernel would reuse the OpenMP runtime torch loaded (``runtimes``, from
    :func:`_openmp_runtimes`), not bring a second one."""
    return bool(runtimes) and all(Path(path).name == _SHARED_OPENMP_RUNTIME for path in runtimes)  # type: ignore[union-attr]


def _build(source: Path, flags: tuple[str, ...]) -> Path:
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        raise RuntimeError(f"no C++ compiler {compiler!r} on PATH")
    # -march=native builds for this CPU: the key includes the CPU, for caches shared between machines.
    key = " ".join((compiler, *flags, platform.machine(), _cpu_flags()))
    headers = b"".join(path.read_bytes() for path in sorted(_INCLUDE_DIR.glob("*.hpp")))
    digest = hashlib.sha256(source.read_bytes() + headers + key.encode()).hexdigest()[:16]
    target = cache_dir() / f"{source.stem}-{digest}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build into a temporary name and rename: concurrent processes never load a half-written file.
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    cmd = [compiler, *flags, "-std=c++17", "-shared", "-fPIC", f"-I{_INCLUDE_DIR}", str(source), "-o", tmp]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError(f"{' '.join(cmd)} failed: {result.stderr.strip()[-500:]}")
    os.replace(tmp, target)
    return target


def load(source: str | os.PathLike[str]) -> ctypes.CDLL | None:
    """The compiled library of the C++ file ``source``, or ``None`` where it cannot be built.

    Built at most once per process (and once per machine, thanks to the on-disk cache).
    """
    path = Path(source).resolve()
    key = str(path)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        library: ctypes.CDLL | None = None
        if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
            _loaded[key] = None
            return None
        errors = []
        runtimes_before = _openmp_runtimes()
        share_openmp = _can_share_openmp(runtimes_before)
        for flags in _FLAG_SETS:
            if _OPENMP_FLAG in flags and not share_openmp:
                continue
            try:
                library = ctypes.CDLL(str(_build(path, flags)))
            except (OSError, RuntimeError) as error:
                errors.append(str(error))
                continue
            if _OPENMP_FLAG in flags and _openmp_runtimes() != runtimes_before:
                library = None  # it brought its own runtime after all: never call into it
                errors.append("the OpenMP build loaded a second OpenMP runtime")
                continue
            break
        if library is None:
            warnings.warn(
                f"seminal: could not build the native kernel {path.name} ({errors[-1]}); using the slower pure-torch path",
                RuntimeWarning,
                stacklevel=2,
            )
        _loaded[key] = library
        return library


def bind(source: str | os.PathLike[str], signatures: Mapping[str, Sequence[Any]]) -> dict[str, Any] | None:
    """The functions named in ``signatures`` (name -> ctypes argument types; they return void) of
    the compiled ``source``, ready to call; ``None`` where it cannot be built. Bound once per process."""
    if source in _bound:  # the caller's own argument: optimizers call this every step, resolve() costs syscalls
        return _bound[source]
    key = str(Path(source).resolve())
    if key not in _bound:
        library = load(source)
        functions: dict[str, Any] | None = None
        if library is not None:
            functions = {}
            for name, argtypes in signatures.items():
                function = getattr(library, name)
                function.argtypes, function.restype = list(argtypes), None
                functions[name] = function
        # None (no build) is kept too, as load() keeps it: the pure-torch path then pays no lookup either.
        _bound[key] = functions
    _bound[source] = _bound[key]
    return _bound[key]


def available(source: str | os.PathLike[str]) -> bool:
    """Whether the kernel in ``source`` is built and loaded (building it if needed)."""
    return load(source) is not None
