"""Fault trials for seminal.training: how many interruptions and damaged files lose nothing.

    python benchmarks/reliability.py [--trials N] [--seed S] [--kinds step-kill,time-kill,failed-write,corrupt]

Each trial injects one fault into a small training run (tests/training/tiny_train.py: dropout,
Adam, an LR schedule, noise from a generator kept in trainer.state, 4 epochs of 13 batches,
a checkpoint every 5 steps) and checks the outcome against an uninterrupted reference run:

* step-kill     SIGKILL right after a random step (a forked child), then --resume.
* time-kill     SIGKILL at a random moment of a separate process (it may land inside a
                checkpoint write, a metrics write or between them), then --resume.
* failed-write  a checkpoint write fails at a random step: torch.save writes part of the file and
                raises ENOSPC, or fsync fails with EIO, or the final rename fails; the run must stop
                with CheckpointError, keep the previous checkpoint, and --resume once the fault is gone.
* corrupt       a random byte range of a good checkpoint is flipped / zeroed / cut off / replaced
                by random bytes; load_checkpoint must raise CheckpointError naming the file, or
                return exactly the original contents (damage in bytes nobody reads).

"Survived" means nothing was lost: after resuming, the metrics files are byte-identical and the
final checkpoint (weights, optimizer, schedulers, RNG states, history) is bit-identical to the
reference; for corrupt files, no damaged data was ever returned. Results are printed as a table;
the baseline is the uninterrupted run measured in the same invocation.
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

import seminal.io  # noqa: E402
import seminal.training.checkpoint as checkpoint_module  # noqa: E402
from seminal.training import CheckpointError, load_checkpoint  # noqa: E402
from seminal.training.checkpoint import checkpoint_path  # noqa: E402
from tests.training import tiny_train  # noqa: E402
from tests.training.helpers import assert_same_run, assert_same_value  # noqa: E402

CONFIG = tiny_train.TinyConfig(epochs=4, samples=200, batch_size=16, checkpoint_every=5)
TOTAL_STEPS = CONFIG.epochs * -(-CONFIG.samples // CONFIG.batch_size)
SCRIPT = REPO / "tests" / "training" / "tiny_train.py"
CLI_ARGS = ["--epochs", str(CONFIG.epochs), "--samples", str(CONFIG.samples), "--batch-size", str(CONFIG.batch_size),
            "--checkpoint-every", str(CONFIG.checkpoint_every)]


def _same(reference: Path, out: Path) -> tuple[bool, str]:
    try:
        assert_same_run(reference, out)
    except AssertionError as exc:
        return False, f"differs from the uninterrupted run: {exc}"
    return True, ""


def trial_step_kill(rng: random.Random, work: Path, reference: Path) -> tuple[bool, str]:
    step = rng.randint(1, TOTAL_STEPS)
    result = subprocess.run([sys.executable, str(SCRIPT), str(work), "--fork-kills", str(step), *CLI_ARGS],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return False, f"step {step}: kill did not happen: {result.stderr[-300:]}"
    out = work / f"kill{step}"
    tiny_train.train(out, CONFIG, resume=True)
    ok, why = _same(reference, out)
    return ok, f"killed after step {step}" + (f": {why}" if why else "")


def trial_time_kill(rng: random.Random, work: Path, reference: Path, train_seconds: list[float]) -> tuple[bool | None, str]:
    out = work / "run"
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(out), *CLI_ARGS],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "tiny.metrics.jsonl"
    while not log.exists() and proc.poll() is None:  # wait until training has started
        time.sleep(0.01)
    started = time.perf_counter()
    delay = rng.uniform(0.0, 0.9 * train_seconds[0])
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    if not killed:
        # The machine got faster than the estimate: aim earlier from now on.
        train_seconds[0] = min(train_seconds[0], time.perf_counter() - started)
        return None, f"finished before the kill at {delay:.2f} s (no fault injected; retried)"
    tiny_train.train(out, CONFIG, resume=True)
    ok, why = _same(reference, out)
    return ok, f"SIGKILL {delay:.2f} s into training" + (f": {why}" if why else "")


def _failing_write(kind: str, step: int) -> tuple[object, str, Callable[..., object]]:
    """(module, attribute, replacement) that makes the checkpoint write of ``step`` fail."""
    real_save, real_fsync, real_replace = torch.save, os.fsync, os.replace
    current = {"step": None}

    def save(obj: object, f: object, *args: object, **kwargs: object) -> None:
        current["step"] = obj.get("progress", {}).get("step") if isinstance(obj, dict) else None
        if kind == "enospc" and current["step"] == step:
            buf = io.BytesIO()
            real_save(obj, buf)
            with open(f, "wb") as fh:  # type: ignore[arg-type]
                fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_save(obj, f, *args, **kwargs)

    def fsync(fd: int) -> None:
        if kind == "eio-fsync" and current["step"] == step:
            current["step"] = None
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    def replace(src: object, dst: object) -> None:
        if kind == "rename" and current["step"] == step and str(dst).endswith("tiny.pt"):
            current["step"] = None
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst)  # type: ignore[arg-type]

    return save, fsync, replace  # type: ignore[return-value]


def trial_failed_write(rng: random.Random, work: Path, reference: Path) -> tuple[bool, str]:
    kind = rng.choice(["enospc", "eio-fsync", "rename"])
    checkpoint_steps = [s for s in range(CONFIG.checkpoint_every, TOTAL_STEPS, CONFIG.checkpoint_every)]
    step = rng.choice(checkpoint_steps[1:])
    out = work / "run"
    save, fsync, replace = _failing_write(kind, step)
    originals = (checkpoint_module.torch.save, seminal.io.os.fsync, seminal.io.os.replace)
    checkpoint_module.torch.save, seminal.io.os.fsync, seminal.io.os.replace = save, fsync, replace  # type: ignore[assignment]
    try:
        try:
            tiny_train.train(out, CONFIG)
            return False, f"{kind} at step {step}: the failed write went unnoticed"
        except CheckpointError as exc:
            message = str(exc)
    finally:
        checkpoint_module.torch.save, seminal.io.os.fsync, seminal.io.os.replace = originals  # type: ignore[assignment]
    try:
        kept = load_checkpoint(checkpoint_path(out, "tiny"))
    except CheckpointError as exc:
        return False, f"{kind} at step {step}: previous checkpoint lost: {exc}"
    if kept["progress"]["step"] >= step:
        return False, f"{kind} at step {step}: the checkpoint on disk claims step {kept['progress']['step']}"
    if list((out / "checkpoints").glob(".*.tmp")):
        return False, f"{kind} at step {step}: temporary file left behind"
    tiny_train.train(out, CONFIG, resume=True)
    ok, why = _same(reference, out)
    return ok, f"{kind} at step {step} ({message.split(': ', 1)[1][:40]}...)" + (f": {why}" if why else "")


def trial_corrupt(rng: random.Random, work: Path, reference: Path) -> tuple[bool, str]:
    source = checkpoint_path(reference, "tiny")
    data = bytearray(source.read_bytes())
    kind = rng.choice(["flip", "zero", "truncate", "random-block", "flip-one-bit"])
    start = rng.randrange(len(data))
    length = rng.randint(1, 256)
    if kind == "flip":
        for i in range(start, min(start + length, len(data))):
            data[i] ^= 0xFF
    elif kind == "flip-one-bit":
        data[start] ^= 1 << rng.randrange(8)
    elif kind == "zero":
        data[start: start + length] = bytes(min(length, len(data) - start))
    elif kind == "truncate":
        del data[start:]
    else:
        data[start: start + length] = bytes(rng.randrange(256) for _ in range(min(length, len(data) - start)))
    damaged = work / "damaged.pt"
    damaged.write_bytes(bytes(data))
    what = f"{kind} at byte {start}/{source.stat().st_size}"
    try:
        loaded = load_checkpoint(damaged)
    except CheckpointError as exc:
        if str(damaged) not in str(exc):
            return False, f"{what}: error does not name the file: {exc}"
        return True, f"{what}: detected ({str(exc).split(': ', 1)[1][:50]})"
    except Exception as exc:  # noqa: BLE001 - anything but CheckpointError is a failure of the trial
        return False, f"{what}: unexpected {type(exc).__name__}: {exc}"
    try:
        assert_same_value(load_checkpoint(source), loaded)
    except AssertionError as exc:
        return False, f"{what}: damaged data loaded silently ({exc})"
    return True, f"{what}: harmless (the damaged bytes are never read)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="trials per kind (default 10); a time-kill trial whose process finished before the kill is not counted and is retried")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default="step-kill,time-kill,failed-write,corrupt")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every trial")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="seminal-reliability-"))
    try:
        reference = root / "reference"
        started = time.perf_counter()
        tiny_train.train(reference, CONFIG)
        reference_seconds = time.perf_counter() - started
        # Training time of a separate process (imports excluded), for choosing time-kill moments.
        probe = root / "probe"
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(SCRIPT), str(probe), *CLI_ARGS],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not (probe / "tiny.metrics.jsonl").exists() and proc.poll() is None:
            time.sleep(0.01)
        training_started = time.perf_counter()
        proc.wait()
        train_seconds = max(time.perf_counter() - training_started, 0.1)
        estimate = [train_seconds]  # shrinks when a time-kill trial finishes before its kill
        print(f"reference run (the baseline of the time column): {TOTAL_STEPS} steps, {reference_seconds:.2f} s in-process; "
              f"{train_seconds:.2f} s of training in a subprocess ({training_started - started:.1f} s start-up)")

        # A trial returns (survived, detail); survived None = no fault was injected (not counted).
        trials: dict[str, Callable[[random.Random, Path], tuple[bool | None, str]]] = {
            "step-kill": lambda r, w: trial_step_kill(r, w, reference),
            "time-kill": lambda r, w: trial_time_kill(r, w, reference, estimate),
            "failed-write": lambda r, w: trial_failed_write(r, w, reference),
            "corrupt": lambda r, w: trial_corrupt(r, w, reference),
        }
        rows = []
        for kind in kinds:
            if kind not in trials:
                parser.error(f"unknown kind {kind!r}; expected some of {sorted(trials)}")
            survived = injected = 0
            failures = []
            started = time.perf_counter()
            index = 0
            while injected < args.trials and index < 3 * args.trials:  # retries only for time-kill misses
                index += 1
                work = root / f"{kind}-{index}"
                work.mkdir()
                ok, detail = trials[kind](rng, work)
                if ok is not None:
                    injected += 1
                    survived += ok
                    if not ok:
                        failures.append(detail)
                if args.verbose:
                    mark = "skip" if ok is None else "ok  " if ok else "LOST"
                    print(f"  {kind:12s} #{index:<3d} {mark} {detail}", flush=True)
                shutil.rmtree(work, ignore_errors=True)
            rows.append((kind, injected, survived, (time.perf_counter() - started) / max(index, 1), failures))

        print()
        print(f"{'fault':14s} {'trials':>6s} {'survived':>9s} {'lost':>5s} {'ratio':>6s} {'time/trial':>11s}")
        for kind, total, survived, seconds, _ in rows:
            ratio = f"{survived / total:6.2f}" if total else "   n/a"
            print(f"{kind:14s} {total:6d} {survived:9d} {total - survived:5d} {ratio} "
                  f"{seconds / max(reference_seconds, 1e-9):8.1f} x ref")
        all_total = sum(r[1] for r in rows)
        all_survived = sum(r[2] for r in rows)
        print(f"{'all':14s} {all_total:6d} {all_survived:9d} {all_total - all_survived:5d} "
              f"{all_survived / max(all_total, 1):6.2f}")
        for kind, _, _, _, failures in rows:
            for failure in failures:
                print(f"LOST {kind}: {failure}")
        return 0 if all_survived == all_total else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
