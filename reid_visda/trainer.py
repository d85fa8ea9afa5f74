"""The training step of the baseline and adaptation stages (the code's ``engine/*_trainer.py``).

A step holds an original chunk and a CamStyle chunk (``data.PairedLoader``). As in the code, each chunk
goes through the network on its own (its own BatchNorm statistics), its losses (``ReIDLoss``: CE on
the chunk's domain classifier + weighted triplet) are weighted by the chunk's domain weight
(``adaptation.loss_weights``), and the step minimises their sum. A single loader (direct transfer)
gives one chunk per step.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from mmengine.config import Config
from torch import nn

from common.distributed import DistInfo
from common.reid.losses import ReIDLoss
from common.reid.run_weights import checkpoint_manager
from common.reid.trainer import ReIDTrainer
from common.runlog import RunLogger

from .data import batch_domain
from .optimizer import build_optimizer_and_scheduler


class BiasEliminateTrainer(ReIDTrainer):
    """``ReIDTrainer`` whose step is the one described in the module docstring.

    Args:
        *args, **kwargs: those of ``ReIDTrainer`` (``criterion`` is a ``ReIDLoss``).
        loss_weights: weight of each domain's losses.
        domains_in_batch: read each chunk's domain from the items' ``extra`` (adaptation); otherwise
            every chunk is domain 0 (baseline).
    """

    def __init__(self, *args: Any, loss_weights: Sequence[float] = (1.0,), domains_in_batch: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self.criterion, ReIDLoss):
            raise TypeError("BiasEliminateTrainer needs a ReIDLoss criterion")
        self.loss_weights = list(loss_weights)
        self.domains_in_batch = domains_in_batch

    def compute_losses(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        chunks = batch.items() if "original" in batch else [("original", batch)]
        losses: dict[str, torch.Tensor] = {}
        for part, chunk in chunks:
            domain = batch_domain(chunk) if self.domains_in_batch else 0
            images = chunk["img"].to(self.device, non_blocking=True)
            pids = torch.as_tensor(chunk["pid"]).to(self.device, non_blocking=True)
            outputs = self.model(images, domain)
            weight = self.loss_weights[domain]
            part_losses = {f"{name}_{part}": weight * value for name, value in self.criterion(outputs, pids).items()}
            first = next(iter(part_losses))  # the other domains' classifiers join the graph with weight 0
            part_losses[first] = part_losses[first] + outputs["unused"]
            losses.update(part_losses)
        return losses


def build_criterion(cfg: Config) -> ReIDLoss:
    """The ``loss`` section as a ``ReIDLoss`` (CE and/or triplet)."""
    return ReIDLoss(ce=dict(cfg.loss.ce) if cfg.loss.ce else None,
                    triplet=dict(cfg.loss.triplet) if cfg.loss.triplet else None)


def build_trainer(cfg: Config, net: nn.Module, loader: Any, run: RunLogger, info: DistInfo,
                  trainer_class: type[ReIDTrainer] = BiasEliminateTrainer, **kwargs: Any) -> ReIDTrainer:
    """A trainer of ``net`` (already on the device, DDP-wrapped under torchrun) with the ``solver`` section's
    optimiser, schedule, precision and checkpoints in the run directory; ``kwargs`` go to ``trainer_class``."""
    s = cfg.solver
    optimizer, scheduler = build_optimizer_and_scheduler(net, cfg)
    return trainer_class(net, build_criterion(cfg), optimizer, loader, max_epochs=s.max_epochs, scheduler=scheduler,
                         device=info.device, amp=s.amp, logger=run,
                         checkpoints=checkpoint_manager(run.dir, s.keep_last), checkpoint_every=s.checkpoint_every,
                         log_every=s.log_every, grad_clip_norm=s.grad_clip_norm, **kwargs)
