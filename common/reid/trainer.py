"""A compact epoch loop for ReID training: forward -> named losses -> (AMP) backward -> step.

``ReIDTrainer`` does what every ReID pipeline repeats (set the sampler's epoch, mixed precision,
finite-loss check, metrics to ``RunLogger``, per-epoch LR schedule, checkpoints with exact resume,
DDP) and nothing paper-specific. A pipeline builds the model, loss, optimizer and loader from its
config and calls ``fit``; for another objective (e.g. source + target batches, a mean teacher) it
subclasses and overrides ``compute_losses`` only, as torchreid's engines implement only their step.

Example::

    trainer = ReIDTrainer(model, ReIDLoss(ce={}, triplet={}), optimizer, loader, max_epochs=80,
                          scheduler=build_lr_scheduler(optimizer, "multistep", max_epochs=80),
                          device=info.device, logger=run_logger, checkpoints=CheckpointManager(work_dir))
    trainer.fit(resume=args.resume)
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import torch
import torch.distributed as dist
from torch import nn

from ..checkpoint import CheckpointManager
from ..device import autocast, grad_scaler
from ..runlog import RunLogger, check_finite


class ReIDTrainer:
    """Train a ReID model for ``max_epochs`` epochs.

    Args:
        model: the network (already moved to ``device`` and, under torchrun, wrapped by
            ``common.distributed.wrap_ddp``); called as ``model(images, pids)``.
        criterion: maps ``(model outputs, pids)`` to a dict of named scalar losses (``ReIDLoss``).
        optimizer: the optimiser.
        loader: yields ``ReIDDataset`` batches (dicts with ``img`` and ``pid``); it, or else its
            ``batch_sampler``/``sampler``, gets ``set_epoch(epoch)`` when it has one.
        max_epochs: number of epochs.
        scheduler: per-epoch LR scheduler, stepped after each epoch (``common.reid.solver``).
        device: where the batches go.
        amp: mixed precision (fp16 with a gradient scaler on CUDA, bf16 on CPU).
        logger: ``RunLogger`` for metrics and progress bars (rank 0 writes).
        checkpoints: ``CheckpointManager``; a checkpoint is written every ``checkpoint_every`` epochs
            and after the last one.
        log_every: log the step losses every this many steps.
        grad_clip_norm: clip the gradient norm to this value (``None``: no clipping).
    """

    def __init__(self, model: nn.Module, criterion: Callable[[Any, torch.Tensor], Mapping[str, torch.Tensor]],
                 optimizer: torch.optim.Optimizer, loader: Iterable[dict], *, max_epochs: int,
                 scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
                 device: torch.device | str = "cpu", amp: bool = False, logger: RunLogger | None = None,
                 checkpoints: CheckpointManager | None = None, checkpoint_every: int = 1, log_every: int = 20,
                 grad_clip_norm: float | None = None) -> None:
        self.model, self.criterion, self.optimizer, self.loader = model, criterion, optimizer, loader
        self.max_epochs, self.scheduler = max_epochs, scheduler
        self.device = torch.device(device)
        self.amp = amp
        self.scaler = grad_scaler(self.device, amp)
        self.logger, self.checkpoints = logger, checkpoints
        self.checkpoint_every, self.log_every = checkpoint_every, log_every
        self.grad_clip_norm = grad_clip_norm
        self.step = 0
        self.epoch = 0

    # ------------------------------------------------------------------------------------ one step
    def compute_losses(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """Forward one batch and return its named losses (override for other objectives)."""
        images = batch["img"].to(self.device, non_blocking=True)
        pids = torch.as_tensor(batch["pid"]).to(self.device, non_blocking=True)
        outputs = self.model(images, pids)
        return dict(self.criterion(outputs, pids))

    def train_step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        """One optimisation step; returns the loss values (and ``loss``, their sum)."""
        self.optimizer.zero_grad(set_to_none=True)
        with autocast(self.device, self.amp):
            losses = self.compute_losses(batch)
        if not losses:
            raise ValueError("compute_losses returned no loss")
        total = sum(losses.values())
        values = {name: float(value.detach()) for name, value in losses.items()}
        values["loss"] = float(total.detach())
        check_finite(values["loss"], "loss", self.step,
                     hint="Loss terms: " + ", ".join(f"{k}={v:.4g}" for k, v in values.items()))
        self.scaler.scale(total).backward()
        if self.grad_clip_norm is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        return values

    # ---------------------------------------------------------------------------------- one epoch
    def _set_sampler_epoch(self, epoch: int) -> None:
        if hasattr(self.loader, "set_epoch"):  # a loader that combines several samplers
            self.loader.set_epoch(epoch)
            return
        for attr in ("batch_sampler", "sampler"):
            sampler = getattr(self.loader, attr, None)
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(epoch)
                return

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch; returns the mean of each loss over its steps (averaged over processes)."""
        self.epoch = epoch
        self._set_sampler_epoch(epoch)
        self.model.train()
        sums: dict[str, float] = {}
        steps = 0
        batches = self.loader
        if self.logger is not None:
            batches = self.logger.progress(self.loader, desc=f"epoch {epoch + 1}/{self.max_epochs}",
                                           leave=False)
        for batch in batches:
            values = self.train_step(batch)
            steps += 1
            for name, value in values.items():
                sums[name] = sums.get(name, 0.0) + value
            if self.step % self.log_every == 0:  # the same steps on every process (collective)
                step_means = _mean_over_processes(values)
                if self.logger is not None:
                    self.logger.log_metrics(self.step, epoch=epoch, lr=self.optimizer.param_groups[0]["lr"],
                                            **step_means)
        if steps == 0:
            raise ValueError("the training loader yielded no batch; check the dataset and the sampler")
        return _mean_over_processes({name: total / steps for name, total in sums.items()})

    # ---------------------------------------------------------------------------- loop and resume
    def _components(self) -> dict[str, Any]:
        components = {"model": self.model, "optimizer": self.optimizer, "scaler": self.scaler}
        if self.scheduler is not None:
            components["scheduler"] = self.scheduler
        return components

    def save_checkpoint(self) -> None:
        """Checkpoint model, optimizer, scheduler, scaler and RNG states after epoch ``self.epoch``
        (rank 0 writes)."""
        if self.checkpoints is None:
            return
        if not _distributed() or dist.get_rank() == 0:
            self.checkpoints.save(self.step, extra={"epoch": self.epoch}, **self._components())

    def resume(self, path: str | None = None) -> int:
        """Restore the latest (or given) checkpoint; returns the epoch to start from (0 if none)."""
        if self.checkpoints is None:
            raise ValueError("resume needs a CheckpointManager")
        info = self.checkpoints.resume(path, map_location=self.device, **self._components())
        if info is None:
            return 0
        self.step = info["step"]
        self.epoch = int(info["extra"]["epoch"])
        return self.epoch + 1

    def fit(self, resume: bool = False,
            on_epoch_end: Callable[["ReIDTrainer", int, dict[str, float]], None] | None = None
            ) -> list[dict[str, float]]:
        """Train from epoch 0 (or from the latest checkpoint when ``resume``) to ``max_epochs``.

        Args:
            resume: continue from the latest checkpoint of ``checkpoints`` if there is one.
            on_epoch_end: called as ``on_epoch_end(trainer, epoch, epoch_losses)`` after each epoch
                (e.g. evaluation), before the checkpoint.

        Returns:
            The per-epoch mean losses of the epochs run in this call.
        """
        start = self.resume() if resume else 0
        if start and self.logger is not None:
            self.logger.info(f"resumed after epoch {start} (step {self.step})")
        history = []
        for epoch in range(start, self.max_epochs):
            means = self.train_epoch(epoch)
            lr = self.optimizer.param_groups[0]["lr"]
            if self.scheduler is not None:
                self.scheduler.step()
            history.append(means)
            if self.logger is not None:
                self.logger.log_metrics(self.step, epoch=epoch, lr_epoch=lr,
                                        **{f"epoch_{k}": v for k, v in means.items()})
                self.logger.info(f"epoch {epoch + 1}/{self.max_epochs}: "
                                 + ", ".join(f"{k} {v:.4f}" for k, v in means.items()))
            if on_epoch_end is not None:
                on_epoch_end(self, epoch, means)
            last = epoch == self.max_epochs - 1
            if last or (epoch + 1) % self.checkpoint_every == 0:
                self.save_checkpoint()
        return history


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _mean_over_processes(values: dict[str, float]) -> dict[str, float]:
    """Average scalar metrics over the DDP processes (identity without a process group)."""
    if not _distributed() or dist.get_world_size() == 1:
        return values
    names = sorted(values)
    tensor = torch.tensor([values[n] for n in names], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor)
    tensor /= dist.get_world_size()
    return dict(zip(names, tensor.cpu().tolist()))
