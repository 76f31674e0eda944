"""Optional native (C++) kernels: compiled on first use with the system compiler, loaded with ctypes.

Some hot loops are cheaper as one hand-written pass over memory than as a chain of torch ops
(each op reads and writes whole tensors). Such a kernel lives as a C++ source file next to the
Python module that uses it, exports plain ``extern "C"`` functions over raw pointers, and is
built here -- no torch headers, so a build takes about a second.

Robustness (a user's machine may have no compiler):

* :func:`load` compiles ``<source>.cpp`` with ``$CXX`` (default ``g++``) into a per-user cache
  (``$SEMINAL_CACHE_DIR`` or ``~/.cache/seminal``), keyed by a hash of the source and the flags,
  so the build happens once per machine. ``-O3 -march=native`` is tried first,
  then plain ``-O3`` (see ``_FLAG_SETS``). No OpenMP: a second OpenMP runtime beside torch's is a known source of
  trouble, and ctypes releases the GIL, so callers parallelise with Python threads.
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

__all__ = ["load", "bind", "available", "cache_dir", "run_split", "DISABLE_ENV", "DTYPE_SUFFIX", "C_INT64", "C_POINTER"]

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
_FLAG_SETS: tuple[tuple[str, ...], ...] = (
    ("-O3", "-march=native", *_GCC_X86_TUNING, "-fno-trapping-math", "-fno-math-errno"),
    ("-O3", "-march=native", "-fno-trapping-math", "-fno-math-errno"),
    ("-O3", "-fno-trapping-math", "-fno-math-errno"),
)
_loaded: dict[str, ctypes.CDLL | None] = {}
_bound: dict[Any, dict[str, Any] | None] = {}
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _forget_pool() -> None:
    # A forked child inherits the executor but not its threads: it would wait forever.
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


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


def _build(source: Path, flags: tuple[str, ...]) -> Path:
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        raise RuntimeError(f"no C++ compiler {compiler!r} on PATH")
    # -march=native builds for this CPU: the key includes the CPU, for caches shared between machines.
    key = " ".join((compiler, *flags, platform.machine(), _cpu_flags()))
    digest = hashlib.sha256(source.read_bytes() + key.encode()).hexdigest()[:16]
    target = cache_dir() / f"{source.stem}-{digest}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build into a temporary name and rename: concurrent processes never load a half-written file.
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    cmd = [compiler, *flags, "-std=c++17", "-shared", "-fPIC", str(source), "-o", tmp]
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
        for flags in _FLAG_SETS:
            try:
                library = ctypes.CDLL(str(_build(path, flags)))
                break
            except (OSError, RuntimeError) as error:
                errors.append(str(error))
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
