"""Benchmark: seminal's training loops against the plain-torch loop a user would write (not a test).

For each loop seminal ships, the same model, batch size, optimizer and data are trained three ways,
interleaved round by round so that machine load affects all three alike:

* ``plain``   -- the PyTorch-tutorial loop: ``DataLoader(TensorDataset(...), shuffle=True)``,
  ``zero_grad / forward / loss / backward / step``, ``loss.item()`` every 10 batches.
* ``seminal`` -- the loop as seminal's experiments write it: :class:`seminal.training.Trainer`
  (deterministic resumable loader, ``log_step`` with NaN checks and metric flushing, signal
  handling, progress off) with ``checkpoint_every=0``; the cost of a checkpoint is measured
  separately and amortised over the experiments' ``checkpoint_every`` (200 steps).
* ``bare``    -- seminal's loader with a bare loop: the difference to ``seminal`` is the Trainer's
  bookkeeping (logging, NaN checks, resume state), the difference to ``plain`` is the loader.

Printed per model: images/s of each, ``seminal / plain`` (target >= 1.0x), the bookkeeping cost
(target <= 3 %, checkpoint amortised) and the data pipeline's share of a seminal step (target
<= 5 %: iterating the loader alone, batches moved to the device, over the seminal step time).

Models: the seed's TutorialNet on 28x28 MNIST (batch 64, SGD 0.01 as in the tutorial), ST-CNN Aff
on 42x42 RTS (batch 256, SGD 0.01, Appendix A.4), the paper's GAN (G 1200-1200 ReLU, maxout D,
batch 100, SGD momentum 0.5, Algorithm 1 with k = 1), Adam Fig. 2's MLP (2 x 1000 ReLU, dropout,
batch 128, Adam 1e-3). Data are random tensors of the real shapes (the loop, not the data, is
measured). Usage: ``python benchmarks/bench_training_loops.py [--rounds 11] [--steps 30]
[--models tutorial,stcnn,gan,mlp] [--device cpu|cuda] [--threads N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from seminal.adam.reproductions.models import DropoutMLP
from seminal.experiments.registry import RunContext
from seminal.gan.algorithm1 import algorithm1_step
from seminal.gan.models import Discriminator, Generator
from seminal.stn.models import TutorialNet, build_table1_model
from seminal.training import Trainer

#: checkpoint_every of seminal's experiments: a checkpoint's cost is spread over this many steps.
CHECKPOINT_EVERY = 200


@dataclass
class Case:
    """One training loop: its data, its model + optimizer factory and one training step."""

    name: str
    batch_size: int
    data: TensorDataset
    build: Callable[[], tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]]
    step: Callable[[dict[str, nn.Module], dict[str, torch.optim.Optimizer], tuple[torch.Tensor, ...]], torch.Tensor]


def _classifier_case(name: str, model_fn: Callable[[], nn.Module], shape: tuple[int, ...], batch: int,
                     make_opt: Callable[[nn.Module], torch.optim.Optimizer], n: int, log_softmax_out: bool) -> Case:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.rand((n, *shape), generator=gen), torch.randint(0, 10, (n,), generator=gen))

    def build() -> tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]:
        torch.manual_seed(0)
        model = model_fn()
        return {"model": model}, {"opt": make_opt(model)}

    def step(modules: dict[str, nn.Module], opts: dict[str, torch.optim.Optimizer], batch_: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, y = batch_
        opt = opts["opt"]
        opt.zero_grad(set_to_none=True)
        out = modules["model"](x)
        loss = F.nll_loss(out, y) if log_softmax_out else F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return loss.detach()

    return Case(name, batch, data, build, step)


def _gan_case(n: int) -> Case:
    data = TensorDataset(torch.rand(n, 784, generator=torch.Generator().manual_seed(0)))

    def build() -> tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]:
        torch.manual_seed(0)
        G, D = Generator(), Discriminator()
        return ({"G": G, "D": D}, {"G": torch.optim.SGD(G.parameters(), lr=0.1, momentum=0.5),
                                   "D": torch.optim.SGD(D.parameters(), lr=0.1, momentum=0.5)})

    def step(modules: dict[str, nn.Module], opts: dict[str, torch.optim.Optimizer], batch_: tuple[torch.Tensor, ...]) -> torch.Tensor:
        (x,) = batch_
        G = modules["G"]
        stats = algorithm1_step(G, modules["D"], opts["G"], opts["D"], next_real=lambda: x,
                                sample_noise=lambda m: torch.rand(m, 100, device=x.device) * 2 - 1)
        return torch.tensor(stats.d_loss)

    return Case("GAN (G 1200-1200, maxout D), k=1", 100, data, build, step)


def build_cases(names: list[str]) -> list[Case]:
    sgd = lambda lr: (lambda m: torch.optim.SGD(m.parameters(), lr=lr))  # noqa: E731
    factories: dict[str, Callable[[], Case]] = {
        "tutorial": lambda: _classifier_case("tutorial (TutorialNet, MNIST 28x28)", TutorialNet, (1, 28, 28), 64,
                                             sgd(0.01), 64 * 40, log_softmax_out=True),
        "stcnn": lambda: _classifier_case("ST-CNN Aff (RTS 42x42)",
                                          lambda: build_table1_model("ST-CNN Aff", (42, 42), pool_st_output=True),
                                          (1, 42, 42), 256, sgd(0.01), 256 * 12, log_softmax_out=False),
        "gan": lambda: _gan_case(100 * 40),
        "mlp": lambda: _classifier_case("Adam Fig. 2 MLP (2x1000, dropout)", DropoutMLP, (784,), 128,
                                        lambda m: torch.optim.Adam(m.parameters(), lr=1e-3), 128 * 40,
                                        log_softmax_out=False),
    }
    unknown = sorted(set(names) - set(factories))
    if unknown:
        raise SystemExit(f"--models: unknown {unknown} (expected some of {sorted(factories)})")
    return [factories[name]() for name in names]


def _timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def plain_loop(case: Case, steps: int, device: torch.device) -> float:
    modules, opts = case.build()
    for module in modules.values():
        module.to(device).train()
    loader = DataLoader(case.data, batch_size=case.batch_size, shuffle=True)

    def run() -> None:
        for index, batch in enumerate(loader):
            if index == steps:
                break
            loss = case.step(modules, opts, tuple(t.to(device) for t in batch))
            if index % 10 == 0:
                loss.item()

    return _timed(run)


def bare_loop(case: Case, steps: int, device: torch.device, out: Path) -> float:
    modules, opts = case.build()
    trainer = Trainer(RunContext(out_dir=out, device=device, progress=False), modules=modules, optimizers=opts,
                      name="bare", checkpoint_every=0)
    loader = trainer.loader(case.data, batch_size=case.batch_size, shuffle=True)
    for module in modules.values():
        module.train()

    def run() -> None:
        for index, batch in enumerate(loader.iter_epoch(0, 0)):
            if index == steps:
                break
            loss = case.step(modules, opts, tuple(batch))
            if index % 10 == 0:
                loss.item()

    seconds = _timed(run)
    trainer.close()
    return seconds


def seminal_loop(case: Case, steps: int, device: torch.device, out: Path) -> tuple[float, float]:
    """Seconds for ``steps`` steps, and seconds for one checkpoint of the trained state."""
    modules, opts = case.build()
    trainer = Trainer(RunContext(out_dir=out, device=device, progress=False), modules=modules, optimizers=opts,
                      name="seminal", checkpoint_every=0)
    loader = trainer.loader(case.data, batch_size=case.batch_size, shuffle=True)
    wrapped = {name: trainer.module(name) for name in modules}
    for module in wrapped.values():
        module.train()

    def run() -> None:
        for epoch in trainer.epochs(1):
            for batch in trainer.batches(loader, epoch):
                trainer.log_step(loss=case.step(wrapped, opts, tuple(batch)))
                if trainer.step == steps:
                    break
            break

    seconds = _timed(run)
    checkpoint_seconds = _timed(trainer.close)  # the logged steps are unsaved: close() writes one checkpoint
    return seconds, checkpoint_seconds


def loader_only(case: Case, steps: int, device: torch.device, out: Path) -> float:
    modules, opts = case.build()
    trainer = Trainer(RunContext(out_dir=out, device=device, progress=False), modules=modules, optimizers=opts,
                      name="loader", checkpoint_every=0)
    loader = trainer.loader(case.data, batch_size=case.batch_size, shuffle=True)

    def run() -> None:
        for index, _ in enumerate(loader.iter_epoch(0, 0)):
            if index + 1 == steps:
                break

    seconds = _timed(run)
    trainer.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 5 rounds x 20 steps left medians that moved by 10-20 % between runs on a 2-vCPU machine, more
    # than the differences measured; 11 x 30 settle them (about 5 minutes on 2 cores).
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds per model (median reported)")
    parser.add_argument("--steps", type=int, default=30, help="training steps timed per loop and round")
    parser.add_argument("--models", default="tutorial,stcnn,gan,mlp", help="comma-separated subset")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.rounds} rounds x {args.steps} steps; medians; img/s = images per second")
    header = (f"{'loop':40s} {'plain':>9s} {'seminal':>9s} {'bare':>9s} {'seminal/plain':>14s} "
              f"{'bookkeeping':>12s} {'data share':>11s}")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for case in build_cases(args.models.split(",")):
            times: dict[str, list[float]] = {"plain": [], "seminal": [], "bare": [], "loader": [], "ckpt": []}
            for r in range(args.rounds + 1):  # round 0 warms up (allocator, kernels, lazy imports)
                plain = plain_loop(case, args.steps, device)
                sem, ckpt = seminal_loop(case, args.steps, device, root / f"s{r}")
                bare = bare_loop(case, args.steps, device, root / f"b{r}")
                load = loader_only(case, args.steps, device, root / f"l{r}")
                if r:
                    for key, value in zip(times, (plain, sem, bare, load, ckpt)):
                        times[key].append(value)
            med = {key: statistics.median(values) for key, values in times.items()}
            img = {key: args.steps * case.batch_size / med[key] for key in ("plain", "seminal", "bare")}
            amortised = med["seminal"] + med["ckpt"] * args.steps / CHECKPOINT_EVERY
            bookkeeping = amortised / med["bare"] - 1.0
            data_share = med["loader"] / med["seminal"]
            print(f"{case.name:40s} {img['plain']:9.0f} {img['seminal']:9.0f} {img['bare']:9.0f} "
                  f"{med['plain'] / amortised:13.2f}x {bookkeeping:+11.1%} {data_share:10.1%}")
    print(f"targets: seminal/plain >= 1.00x; bookkeeping <= +3.0% (checkpoint every {CHECKPOINT_EVERY} steps "
          "amortised); data share <= 5.0%")


if __name__ == "__main__":
    main()
