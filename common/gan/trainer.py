"""The iteration loop shared by the image translators (SPGAN, StarGAN).

A translator is an ``nn.Module`` with ``train_step(batch, optimizers, at: StepInfo) -> dict of scalar
losses`` (it runs its own sub-steps: generator, discriminator, SiaNet ...). ``TranslatorTrainer`` does
the rest: the learning-rate schedule, the finite-loss check (naming the loss and the iteration),
metrics (the mean of each loss over the last ``log_every`` iterations), a progress bar, sample-grid
PNGs and checkpoints with exact resume: batches depend only on (seed, iteration) (``datasets``), and
``CheckpointManager`` restores weights, optimizers, the translator's extra state (history pools) and
the global random states, so N + N resumed iterations end bit-identical to 2N uninterrupted ones.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import torch
from torch import nn

from ..checkpoint import CheckpointManager
from ..runlog import RunLogger, check_finite
from .lr_schedule import lr_factor
from .sample_grid import save_sample_grid


class StepInfo(NamedTuple):
    """Where an iteration stands: ``step`` counts from 0 over the run, ``iteration`` within ``epoch``."""

    step: int
    epoch: int
    iteration: int


class Schedule(NamedTuple):
    """Length of a run and its learning-rate policy (see ``lr_schedule``)."""

    epochs: int
    iters_per_epoch: int
    lr: float
    lr_policy: str = "constant"
    decay_epochs: int | None = None

    @property
    def total(self) -> int:
        """Iterations of the run."""
        return self.epochs * self.iters_per_epoch


class TranslatorTrainer:
    """Train a translator for ``schedule.total`` iterations.

    Args:
        model: the translator, on ``device``.
        optimizers: its optimizers by name (``model.build_optimizers``).
        batches: ``batches(start, stop)`` yields the batches (dicts of tensors) of iterations
            ``start .. stop - 1``.
        sample_columns: returns the columns of a sample grid (``model.sample_columns`` on fixed images).
        schedule: epochs, iterations per epoch and learning rate.
        device: where batches go.
        checkpoints: ``CheckpointManager`` of the run.
        samples_dir: folder of the sample grids (``iter_XXXXXXXX.png``).
        log_every: iterations per metrics row (a divisor of ``checkpoint_every``, so a resumed run's
            record equals an uninterrupted one).
        sample_every: iterations between sample grids (0: none).
        checkpoint_every: iterations between checkpoints; the last iteration is always saved.
        is_main: this process writes the checkpoints and sample grids (rank 0 under ``torchrun``).
    """

    def __init__(self, model: nn.Module, optimizers: Mapping[str, torch.optim.Optimizer],
                 batches: Callable[[int, int], Iterable[dict[str, torch.Tensor]]],
                 sample_columns: Callable[[], Sequence[torch.Tensor]], schedule: Schedule, *,
                 device: torch.device, checkpoints: CheckpointManager, samples_dir: str | Path,
                 log_every: int = 10, sample_every: int = 500, checkpoint_every: int = 1000,
                 is_main: bool = True) -> None:
        if log_every < 1 or checkpoint_every < 1 or checkpoint_every % log_every:
            raise ValueError(f"train.checkpoint_every ({checkpoint_every}) must be a positive multiple of "
                             f"train.log_every ({log_every})")
        if schedule.total < 1:
            raise ValueError(f"nothing to train: train.epochs={schedule.epochs}, "
                             f"iters_per_epoch={schedule.iters_per_epoch}")
        self.model, self.optimizers, self.batches = model, dict(optimizers), batches
        self.sample_columns, self.schedule, self.device = sample_columns, schedule, device
        self.checkpoints, self.samples_dir = checkpoints, Path(samples_dir)
        self.log_every, self.sample_every, self.checkpoint_every = log_every, sample_every, checkpoint_every
        self.is_main = is_main

    def _components(self) -> dict[str, object]:
        """What a checkpoint holds: the translator (with its extra state) and every optimizer."""
        return {"model": self.model, **{f"optim_{k}": v for k, v in self.optimizers.items()}}

    def resume(self) -> int:
        """Restore the latest checkpoint; returns the iterations already done (0 without one)."""
        info = self.checkpoints.resume(map_location=self.device, **self._components())
        return 0 if info is None else info["step"]

    def _set_lr(self, epoch: int) -> float:
        """Set every optimizer's rate for an iteration of ``epoch`` (0-based); returns it."""
        s = self.schedule
        lr = s.lr * lr_factor(s.lr_policy, epoch, s.epochs, s.decay_epochs or 0, s.iters_per_epoch)
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                group["lr"] = lr
        return lr

    def save_samples(self, done: int) -> Path:
        """Write the sample grid after ``done`` iterations."""
        return save_sample_grid(self.sample_columns(), self.samples_dir / f"iter_{done:08d}.png")

    def fit(self, logger: RunLogger, start: int = 0) -> float:
        """Run iterations ``start .. total - 1`` (metrics and progress bar through ``logger``); returns
        the wall time in seconds."""
        s, t0 = self.schedule, time.perf_counter()
        self.model.train()
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        bar = logger.progress(total=s.total, initial=start, desc="translator", unit="it")
        for step, batch in zip(range(start, s.total), self.batches(start, s.total)):
            epoch, iteration = divmod(step, s.iters_per_epoch)
            lr = self._set_lr(epoch)
            batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
            losses = self.model.train_step(batch, self.optimizers, StepInfo(step, epoch, iteration))
            values = {k: float(v) for k, v in losses.items()}
            for name, value in values.items():
                check_finite(value, name, step + 1, hint="Losses of this iteration: "
                             + ", ".join(f"{k}={v:.4g}" for k, v in values.items()))
                sums[name] = sums.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + 1
            done = step + 1
            if done % self.log_every == 0 or done == s.total:
                means = {k: sums[k] / counts[k] for k in sorted(sums)}
                logger.log_metrics(done, epoch=epoch, lr=lr, **means)
                bar.set_postfix({k: f"{v:.3f}" for k, v in means.items() if k.endswith("total")})
                sums, counts = {}, {}
            if self.is_main and self.sample_every and (done % self.sample_every == 0 or done == s.total):
                self.save_samples(done)
            if self.is_main and (done % self.checkpoint_every == 0 or done == s.total):
                self.checkpoints.save(done, **self._components())
            bar.update(1)
        bar.close()
        return time.perf_counter() - t0
