"""Train a ``common.reid`` model on labelled images: the recipe shared by E_c and by the comparison runs.

The recipe is the ReID "bag of tricks" baseline (Luo et al., CVPRW 2019), the usual strong baseline of the
paper's lab: BNNeck head, label-smoothed cross-entropy + batch-hard triplet loss on the pre-BNNeck feature,
P x K batches, random flip / pad-and-crop / random erasing, a linear warm-up and step decay. ``arch`` holds the
network and its input (``backbone``, ``head``, ``size``, ``pixel_mean``, ``pixel_std``: the ``encoders.reid``
section), ``recipe`` the training settings (a ``consistency_training`` / ``training`` section).

Training writes an ordinary ``common.reid`` run into the ``RunLogger``'s directory and resumes from its
latest checkpoint, so a finished run is reused as it is. Under ``torchrun`` the model is wrapped in DDP and
every process takes P / world_size identities of each P x K batch (``common.reid.sampler``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from torch.utils.data import DataLoader

from common.distributed import DistInfo, barrier, wrap_ddp
from common.reid.dataset import ReIDDataset, ReIDItem
from common.reid.losses import ReIDLoss
from common.reid.model import ReIDModel, build_reid_model
from common.reid.run_weights import checkpoint_manager, load_model_weights
from common.reid.sampler import IdentitySampler
from common.reid.solver import build_lr_scheduler, build_optimizer, build_param_groups
from common.reid.trainer import ReIDTrainer
from common.reid.transforms import build_train_transform
from common.runlog import RunLogger


def build_model(arch: Mapping[str, Any], num_classes: int) -> ReIDModel:
    """The ``common.reid`` model of ``arch`` with ``num_classes`` classes (0: feature extraction only)."""
    return build_reid_model(num_classes, dict(arch["backbone"]), dict(arch["head"]), list(arch["pixel_mean"]),
                            list(arch["pixel_std"]))


def fit_reid_model(items: Sequence[ReIDItem], num_classes: int, run: RunLogger, arch: Mapping[str, Any],
                   recipe: Mapping[str, Any], info: DistInfo, *, seed: int = 0,
                   init_from: str | Path | None = None, epochs: int | None = None) -> ReIDModel:
    """Train a model on ``items`` (pids ``0..num_classes-1``) into ``run.dir``; returns it (unwrapped).

    Args:
        info: this process (``common.distributed``; ``DistInfo.single(device)`` for one process).
        init_from: weights to start from (a run directory or checkpoint; its classifier is not loaded).
        epochs: the number of epochs (default ``recipe["epochs"]``); the schedule's steps follow ``recipe``.
    """
    t = dict(recipe)
    epochs = t["epochs"] if epochs is None else epochs
    transform = build_train_transform(tuple(arch["size"]), padding=t["padding"], erasing_prob=t["erasing_prob"],
                                      erasing_value=list(arch["pixel_mean"]))
    dataset = ReIDDataset(items, transform, num_classes=num_classes, name="training images")
    identities = min(t["ims_per_batch"] // t["num_instances"], num_classes)
    identities -= identities % info.world_size  # fewer classes than P: the largest P the processes can share
    sampler = IdentitySampler(dataset.pids, identities, t["num_instances"], seed=seed, rank=info.rank,
                              world_size=info.world_size)
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=t["num_workers"])
    model = build_model(arch, num_classes)
    if init_from is not None:
        load_model_weights(model, init_from, skip=lambda key, value: key.startswith("head.classifier."))
    net = wrap_ddp(model, info)
    optimizer = build_optimizer(build_param_groups(model, t["base_lr"], t["weight_decay"]), t["optimizer"],
                                lr=t["base_lr"])
    scheduler = build_lr_scheduler(optimizer, "multistep", max_epochs=epochs, warmup_epochs=t["warmup_epochs"],
                                   warmup_factor=t["warmup_factor"], milestones=t["steps"], gamma=t["gamma"])
    criterion = ReIDLoss(ce=dict(label_smoothing=t["label_smoothing"]),
                         triplet=dict(margin=t["triplet_margin"], mining="hard", feature="global_feat"))
    run.info(f"training on {len(items)} images of {num_classes} identities, {len(loader)} steps per epoch, "
             f"{epochs} epochs, {info.world_size} process(es), run directory {run.dir}")
    trainer = ReIDTrainer(net, criterion, optimizer, loader, max_epochs=epochs, scheduler=scheduler,
                          device=info.device, logger=run, checkpoints=checkpoint_manager(run.dir, keep_last=1),
                          checkpoint_every=t["checkpoint_every"], log_every=t["log_every"])
    trainer.fit(resume=True)
    barrier()
    return model
