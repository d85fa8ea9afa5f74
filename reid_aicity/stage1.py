"""Stage 1: supervised training (DMT ``train.py``), and the training loop shared with the camera and
orientation models.

The network is a ``common.reid`` ReID model (backbone -> GAP -> BNNeck -> bias-free classifier),
trained with cross-entropy (no label smoothing) plus the batch-hard soft-margin triplet loss on the
pre-BNNeck feature, P x K batches (96 = 12 x 8), SGD with DMT's parameter groups and a per-epoch
warm-up + step (CNN) or cosine (TransReID) schedule, mixed precision, checkpoints for ``--resume`` and
DDP under ``torchrun``. After training, the model is evaluated on the target set (``evaluate``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from mmengine.config import Config

from common.distributed import DistInfo, barrier, wrap_ddp
from common.reid.dataset import ReIDItem
from common.reid.losses import ReIDLoss
from common.reid.model import ReIDModel
from common.reid.trainer import ReIDTrainer
from common.runlog import RunLogger

from .data import train_loader, training_items
from .models import build_model, checkpoint_manager, load_weights
from .optimizer import build_dmt_optimizer, build_dmt_scheduler


def build_criterion(cfg: Config) -> ReIDLoss:
    return ReIDLoss(ce=dict(cfg.loss.ce) if cfg.loss.ce else None,
                    triplet=dict(cfg.loss.triplet) if cfg.loss.triplet else None)


def train_supervised(cfg: Config, items: Sequence[ReIDItem], num_classes: int, run: RunLogger, info: DistInfo,
                     resume: bool = False) -> ReIDModel:
    """Train ``cfg.model`` on labelled ``items`` (pids ``0..num_classes-1``) for ``solver.max_epochs``.

    Returns the trained (unwrapped) model on ``info.device``.
    """
    loader = train_loader(cfg, items, num_classes, info, seed=cfg.seed)
    model = build_model(cfg, num_classes)
    if cfg.model.init_from:
        skipped = load_weights(model, cfg.model.init_from)
        note = f" (classifier not loaded: {skipped})" if skipped else ""
        run.info(f"initialised from {cfg.model.init_from}{note}")
    net = wrap_ddp(model, info)
    optimizer = build_dmt_optimizer(net, cfg.solver)
    trainer = ReIDTrainer(net, build_criterion(cfg), optimizer, loader, max_epochs=cfg.solver.max_epochs,
                          scheduler=build_dmt_scheduler(optimizer, cfg.solver), device=info.device,
                          amp=cfg.solver.amp, logger=run, checkpoint_every=cfg.solver.checkpoint_every,
                          checkpoints=checkpoint_manager(run.dir, cfg.solver.keep_last),
                          log_every=cfg.solver.log_every, grad_clip_norm=cfg.solver.grad_clip_norm)
    run.info(f"training {type(model.backbone).__name__} ({cfg.model.backbone.name}) on {len(items)} images of "
             f"{num_classes} classes, {len(loader)} steps per epoch, {info.world_size} process(es)")
    trainer.fit(resume=resume)
    barrier()
    return model


def run_stage1(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> ReIDModel:
    """Stage 1 on ``data.train_sets``; returns the trained model."""
    items, num_classes = training_items(cfg)
    counts = {name: sum(1 for it in items if _source(it, cfg) == name) for name in cfg.data.train_sets}
    run.info(f"stage 1 training data: {counts}")
    return train_supervised(cfg, items, num_classes, run, info, resume)


def _source(item: ReIDItem, cfg: Config) -> str:
    path = Path(item.img_path).as_posix()
    if cfg.data.sim_dir in path:
        return "sim"
    return "aic_crop" if cfg.data.crop_train_dir in path else "aic"
