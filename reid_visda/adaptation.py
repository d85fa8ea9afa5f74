"""Stages "adaptation" and "finetune" (the code's ``train_adaptation.py`` with ``adaptation.yml`` /
``finetune.yml``, ``engine/adaptation_trainer.py``): training on the labelled source and the
pseudo-labelled target at once, one classifier per domain.

* The network starts from the previous stage (``model.init_from``: the baseline for adaptation, the
  adapted model for finetune) without its classifiers; the target classifier has ``top_clusters`` rows
  (+ the outlier classes in finetune) and a fixed lr.
* Before the first epoch (and, with ``adaptation.relabel="every"``, the report's variant, after every
  ``pseudo_label_every`` epochs; the official code trains on its first labels throughout), the target
  images are pseudo-labelled (``pseudo_labels``) from the current network's features of each image
  averaged with its CamStyle copies; finetune also subtracts the camera-model distance and adds outlier
  classes. Each round's labels are kept in ``pseudo_labels/epoch_<e>.npz`` (and a quality record where
  the target file names carry identities, e.g. the synthetic data).
* Every step holds 24 original and 72 CamStyle images, each chunk from the source or the target with
  probability 0.5 (``data.adaptation_loader``), and the losses of a chunk go to its domain's classifier.

Under ``torchrun`` rank 0 makes the labels and broadcasts them; ``--resume`` continues exactly (the
labelling does not touch the global random state, and a round's saved labels are reused).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader

from common.distributed import DistInfo, barrier, main_then_broadcast, wrap_ddp
from common.fileio import atomic_open
from common.person import BiasEliminateTree
from common.reid.features import extract_features
from common.runlog import RunLogger

from .camera_model import load_camera_model
from .data import (TARGET, CamStyleMeanDataset, DomainItems, adaptation_loader, load_source, load_target,
                   test_transform)
from .models import BiasEliminateNet, build_bias_eliminate_net, load_backbone_and_embedding
from .pseudo_labels import (assign_pseudo_labels, clustering_distance, dbscan_labels, num_target_classes,
                            pseudo_label_quality)
from .trainer import build_trainer


RELABEL_MODES = ("initial", "every")


def _mean_image_loader(cfg: Config, target: BiasEliminateTree) -> DataLoader:
    dataset = CamStyleMeanDataset(target.train, target.camstyle, target.groups, cfg.input.size_test,
                                  test_transform(cfg))
    return DataLoader(dataset, batch_size=cfg.test.ims_per_batch, shuffle=False, num_workers=cfg.data.num_workers)


def make_pseudo_labels(model: BiasEliminateNet, cfg: Config, target: BiasEliminateTree, device: torch.device,
                       run: RunLogger, camera_model: torch.nn.Module | None = None) -> np.ndarray:
    """``[N]`` training labels of the target images (-1: not trained on) from the current network."""
    a = cfg.adaptation
    finetune = cfg.stage == "finetune"
    progress = lambda it: run.progress(it, desc="target features", leave=False)  # noqa: E731
    feats = extract_features(model, _mean_image_loader(cfg, target), device, views=["original"],
                             progress=progress).features.numpy()
    cam_feats = None
    if finetune and camera_model is not None:
        cam_feats = extract_features(camera_model, _mean_image_loader(cfg, target), device, views=["original"],
                                     progress=progress).features.numpy()
    dist_mat = clustering_distance(feats, cam_feats, k1=a.k1, k2=a.k2, lambda_value=a.lambda_value,
                                   camera_weight=a.camera_weight, half_precision=a.half_precision_features)
    clusters = dbscan_labels(dist_mat, a.eps, a.min_samples)
    return assign_pseudo_labels(clusters, a.top_clusters, dict(a.outliers) if finetune else None, seed=cfg.seed)


def labelled_target(target: BiasEliminateTree, labels: np.ndarray) -> DomainItems:
    """The pseudo-labelled target originals and their CamStyle copies (label -1 dropped)."""
    keep = np.flatnonzero(labels >= 0)
    return DomainItems(original=[target.train[i]._replace(pid=int(labels[i])) for i in keep],
                       camstyle=[target.camstyle[j]._replace(pid=int(labels[i]))
                                 for i in keep for j in target.groups[i]])


def _check_enough_classes(target: DomainItems, cfg: Config) -> None:
    """A target chunk holds ``chunk / K`` identities: stop clearly when the pseudo-labels have fewer."""
    need = int(round(cfg.solver.ims_per_batch * (1 - cfg.adaptation.original_fraction))) // cfg.sampler.num_instances
    have = len({item.pid for item in target.original})
    if have < need:
        raise ValueError(f"the pseudo-labels kept {have} target classes but a CamStyle chunk needs {need} identities: "
                         "the clusters merged or vanished; lower adaptation.eps or adaptation.k1 (or the camera_weight "
                         "of finetune), or use smaller chunks")


def _round_labels(model: BiasEliminateNet, cfg: Config, target: BiasEliminateTree, info: DistInfo, run: RunLogger,
                  camera_model: torch.nn.Module | None, epoch: int) -> np.ndarray:
    """The labels of the round starting at ``epoch``: read back if saved, else made on rank 0 (without
    touching the global random state), saved and broadcast."""
    path = Path(run.dir) / "pseudo_labels" / f"epoch_{epoch:03d}.npz"

    def make() -> np.ndarray:
        if path.is_file():
            return np.load(path)["labels"]
        with torch.random.fork_rng(devices=[info.device] if info.device.type == "cuda" else []):
            labels = make_pseudo_labels(model, cfg, target, info.device, run, camera_model)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as f:
            np.savez(f, labels=labels)
        return labels

    return main_then_broadcast(make, info)


def run_adaptation(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> BiasEliminateNet:
    """Train the adaptation or finetune stage (see the module docstring); returns the unwrapped network."""
    if not cfg.model.init_from:
        raise ValueError(f"stage '{cfg.stage}' continues a trained network: set model.init_from to the baseline "
                         "(adaptation) or adaptation (finetune) run directory")
    a = cfg.adaptation
    finetune = cfg.stage == "finetune"
    camera_model = None
    if finetune and a.camera_weight:
        if not cfg.camera_model:
            raise ValueError("finetune subtracts the camera-model distance (adaptation.camera_weight): set "
                             "camera_model to a camera run directory, or adaptation.camera_weight=0")
        camera_model = load_camera_model(cfg.camera_model)[0].to(info.device)
    source, target = load_source(cfg, camstyle=True), load_target(cfg, camstyle=True)
    classes = [source.num_train_pids, num_target_classes(a.top_clusters, dict(a.outliers) if finetune else None)]
    model = build_bias_eliminate_net(cfg, classes)
    load_backbone_and_embedding(model, cfg.model.init_from)
    model.to(info.device)
    trainer = build_trainer(cfg, wrap_ddp(model, info), None, run, info, loss_weights=a.loss_weights,
                            domains_in_batch=True)
    run.info(f"{cfg.stage}: {len(source.train)} source images of {source.num_train_pids} identities, "
             f"{len(target.train)} target images, target classifier of {classes[TARGET]} classes")
    if a.relabel not in RELABEL_MODES:
        raise ValueError(f"unknown adaptation.relabel '{a.relabel}': choose one of {', '.join(RELABEL_MODES)}")
    every = a.pseudo_label_every if a.relabel == "every" else cfg.solver.max_epochs
    start = trainer.resume() if resume else 0
    for epoch in range(start, cfg.solver.max_epochs):
        if epoch == start or epoch % every == 0:
            round_start = epoch - epoch % every
            labels = _round_labels(model, cfg, target, info, run, camera_model, round_start)
            quality = pseudo_label_quality(labels, np.asarray([item.pid for item in target.train]))
            shown = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in quality.items())
            run.info(f"pseudo-labels for epochs {round_start + 1}-: {shown}")
            run.log_metrics(trainer.step, epoch=epoch, **{f"pseudo_{k}": v for k, v in quality.items()})
            domains = [DomainItems(source.train, source.camstyle), labelled_target(target, labels)]
            _check_enough_classes(domains[TARGET], cfg)
            trainer.loader = adaptation_loader(cfg, domains, info)
        means = trainer.train_epoch(epoch)
        lr = trainer.optimizer.param_groups[0]["lr"]
        trainer.scheduler.step()
        run.log_metrics(trainer.step, epoch=epoch, lr_epoch=lr, **{f"epoch_{k}": v for k, v in means.items()})
        run.info(f"{cfg.stage} epoch {epoch + 1}/{cfg.solver.max_epochs}: "
                 + ", ".join(f"{k} {v:.4f}" for k, v in means.items()))
        if epoch == cfg.solver.max_epochs - 1 or (epoch + 1) % cfg.solver.checkpoint_every == 0:
            trainer.save_checkpoint()
    barrier()
    return model
