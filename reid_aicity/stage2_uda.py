"""Stage 2: unsupervised domain adaptation on the target set (DMT ``train_stage2_v1.py`` / ``_v2.py``,
``processor/uda_processor.py``). The two variants of the code differ only in ``stage2.track_self_weight``
(v1 0.3, v2 0.1) and ``stage2.camera_groups`` (v2); the configs ``*_v1.py`` / ``*_v2.py`` set them.

Starting from the stage-1 model (``model.init_from``), each round of ``stage2.cluster_every`` epochs:

1. extracts the target features (queries + gallery) in evaluation mode, averaged with an augmented
   view (flip + pad + random crop) and normalised (``stage2.aug_features``);
2. makes pseudo-labels (``pseudo_labels``: camera-bias removal, gallery track smoothing, 0.9 Jaccard +
   0.1 cosine distance, the v2 camera-group constraint, DBSCAN) and drops the noise;
3. re-initialises the classifier with the cluster means (``EmbeddingHead.reset_classifier``);
4. fine-tunes on the pseudo-labelled images with stage 1's losses and P x K batches, for
   ``stage2.iters_per_epoch`` iterations per epoch at a constant lr (4e-4); the code builds a new
   optimizer every epoch (``stage2.reset_optimizer_each_epoch``: momentum starts from zero).

DMT runs 3 epochs with clustering at epoch 0 only: one round. Each round keeps its pseudo-labels
(``round<r>/pseudo_labels.npz``) and checkpoints (``round<r>/checkpoints``), so ``--resume`` continues
exactly; the adapted model is finally saved to the run's ``checkpoints/`` like every other run's.
Under ``torchrun`` rank 0 clusters and broadcasts the labels.
"""
from __future__ import annotations

from pathlib import Path
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch.utils.data import DataLoader

from common.checkpoint import CheckpointManager
from common.distributed import DistInfo, barrier, main_then_broadcast, wrap_ddp
from common.fileio import atomic_open
from common.reid.dataset import ReIDDataset, ReIDItem
from common.reid.features import extract_features
from common.reid.model import ReIDModel
from common.reid.sampler import CyclingBatchSampler, IdentitySampler
from common.reid.trainer import ReIDTrainer
from common.reid.transforms import build_train_transform
from common.runlog import RunLogger

from .data import TargetSet, load_target, test_loader, train_transform
from .models import build_model, checkpoint_manager, load_weights
from .optimizer import build_dmt_optimizer, build_dmt_scheduler
from .pseudo_labels import (clustering_distance, cluster_centres, dbscan_labels, remove_target_camera_bias,
                            smooth_gallery_tracks)
from .stage1 import build_criterion
from .track_files import NO_TRACK


def clustering_features(model: ReIDModel, cfg: Config, target: TargetSet, device: torch.device,
                        run: RunLogger) -> np.ndarray:
    """Step 1: ``[Q + G, D]`` L2-normalised target features, averaged with those of the augmented view (not
    normalised again unless ``stage2.renormalize_aug_average``)."""
    items = target.query + target.gallery
    feats = extract_features(model, test_loader(cfg, items), device, views=["original"],
                             progress=lambda it: run.progress(it, desc="target features", leave=False)).features
    if cfg.stage2.aug_features:
        aug = build_train_transform(cfg.input.size_test, flip_prob=1.0, padding=cfg.input.padding, erasing_prob=0.0,
                                    resized_crop_scale=cfg.input.resized_crop_scale,
                                    interpolation=cfg.input.interpolation)
        aug_feats = extract_features(model, test_loader(cfg, items, transform=aug), device, views=["original"],
                                     progress=lambda it: run.progress(it, desc="augmented features",
                                                                      leave=False)).features
        feats = (feats + aug_feats) / 2.0
        if cfg.stage2.renormalize_aug_average:
            feats = F.normalize(feats, dim=1)
    return feats.numpy().astype(np.float32)


def make_pseudo_labels(features: np.ndarray, target: TargetSet, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2-5: pseudo-labels ``[N]`` (-1: noise) and cluster centres ``[C, D]``."""
    s = cfg.stage2
    arrays = target.arrays()
    cams = np.concatenate([arrays["q_cams"], arrays["g_cams"]])
    x = remove_target_camera_bias(features, cams, s.camera_bias.method, s.camera_bias.lam, s.camera_bias.alpha)
    x = smooth_gallery_tracks(x, arrays["g_tracks"], len(target.query), s.track_self_weight)
    groups = (cams >= s.new_camera_min).astype(np.int64) if s.camera_groups else None
    graph = clustering_distance(x, k1=s.k1, k2=s.k2, jaccard_weight=s.jaccard_weight, max_distance=s.eps,
                                groups=groups, normalize=s.normalize_features)
    labels = dbscan_labels(graph, s.eps, s.min_samples)
    return labels, cluster_centres(x, labels)


def pseudo_label_quality(labels: np.ndarray, target: TargetSet) -> dict[str, float]:
    """Clusters vs. true identities where the target is labelled (synthetic data, Split-Test)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    true = np.asarray([item.pid for item in target.query + target.gallery])
    kept = labels >= 0
    if not target.labelled or kept.sum() == 0:
        return {}
    return {"pseudo_ari": float(adjusted_rand_score(true[kept], labels[kept])),
            "pseudo_nmi": float(normalized_mutual_info_score(true[kept], labels[kept])),
            "true_ids": int(len(np.unique(true)))}


def _labels_for_round(model: ReIDModel, cfg: Config, target: TargetSet, info: DistInfo, run: RunLogger,
                      path: Path, reuse: bool) -> tuple[np.ndarray, np.ndarray]:
    """The round's pseudo-labels: read back on resume, else made on rank 0, saved and broadcast."""
    if not (reuse and path.is_file()):
        def make() -> tuple[np.ndarray, np.ndarray]:
            labels, centres = make_pseudo_labels(clustering_features(model, cfg, target, info.device, run), target,
                                                 cfg)
            with atomic_open(path, "wb") as f:
                np.savez(f, labels=labels, centres=centres)
            return labels, centres

        return main_then_broadcast(make, info)
    saved = np.load(path)
    return saved["labels"], saved["centres"]


def run_stage2(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> ReIDModel:
    """Stage 2 (see the module docstring); returns the adapted model."""
    if not cfg.model.init_from:
        raise ValueError("stage 2 fine-tunes a stage-1 model: set model.init_from to its run directory or checkpoint")
    s = cfg.stage2
    target = load_target(cfg)
    rounds = -(-cfg.solver.max_epochs // s.cluster_every)
    model = build_model(cfg, 0).to(info.device)
    start_round = 0
    if resume:
        done = [r for r in range(rounds) if (run.dir / f"round{r}" / "pseudo_labels.npz").is_file()]
        start_round = max(done) if done else 0
    for r in range(start_round, rounds):
        round_dir = run.dir / f"round{r}"
        init = cfg.model.init_from if r == 0 else CheckpointManager(run.dir / f"round{r - 1}" / "checkpoints").latest()
        load_weights(model, init)
        labels_path = round_dir / "pseudo_labels.npz"
        if info.is_main:
            round_dir.mkdir(parents=True, exist_ok=True)
        barrier()
        labels, centres = _labels_for_round(model, cfg, target, info, run, labels_path, reuse=resume)
        quality = pseudo_label_quality(labels, target)
        run.info(f"round {r}: {len(centres)} clusters, {int((labels >= 0).sum())}/{len(labels)} images kept"
                 + "".join(f", {k} {v:.3f}" for k, v in quality.items() if isinstance(v, float)))
        run.log_metrics(r * s.iters_per_epoch * s.cluster_every, round=r, clusters=len(centres),
                        kept=int((labels >= 0).sum()), **quality)
        model.head.reset_classifier(len(centres), torch.from_numpy(centres))
        model.to(info.device)
        epochs = (r * s.cluster_every, min((r + 1) * s.cluster_every, cfg.solver.max_epochs))
        step = _fine_tune(model, cfg, target, labels, len(centres), epochs, info, run,
                          CheckpointManager(round_dir / "checkpoints", keep_last=cfg.solver.keep_last), resume)
    if info.is_main:  # the adapted model where every run keeps its weights (models.resolve_weights)
        checkpoint_manager(run.dir, cfg.solver.keep_last).save(step, extra={"round": rounds - 1}, model=model)
    barrier()
    return model


def _fine_tune(model: ReIDModel, cfg: Config, target: TargetSet, labels: np.ndarray, num_classes: int,
               epochs: tuple[int, int], info: DistInfo, run: RunLogger, checkpoints: CheckpointManager,
               resume: bool) -> int:
    """Step 4 for epochs ``[start, end)`` of one round; returns the last step."""
    items: list[ReIDItem] = [item._replace(pid=int(label), extra=NO_TRACK if item.extra is None else item.extra)
                             for item, label in zip(target.query + target.gallery, labels) if label >= 0]
    dataset = ReIDDataset(items, train_transform(cfg), num_classes=num_classes, name="pseudo-labelled target")
    k = cfg.sampler.num_instances
    sampler = CyclingBatchSampler(IdentitySampler(dataset.pids, cfg.solver.ims_per_batch // k, k, seed=cfg.seed,
                                                  rank=info.rank, world_size=info.world_size),
                                  cfg.stage2.iters_per_epoch)
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=cfg.data.num_workers,
                        persistent_workers=cfg.data.num_workers > 0)
    net = wrap_ddp(model, info)
    optimizer = build_dmt_optimizer(net, cfg.solver)
    trainer = ReIDTrainer(net, build_criterion(cfg), optimizer, loader, max_epochs=epochs[1],
                          scheduler=build_dmt_scheduler(optimizer, cfg.solver), device=info.device, amp=cfg.solver.amp,
                          logger=run, checkpoints=checkpoints, log_every=cfg.solver.log_every,
                          grad_clip_norm=cfg.solver.grad_clip_norm)
    start = trainer.resume() if resume and checkpoints.latest() is not None else epochs[0]
    trainer.step = max(trainer.step, epochs[0] * cfg.stage2.iters_per_epoch)
    for epoch in range(start, epochs[1]):
        means = trainer.train_epoch(epoch)
        trainer.scheduler.step()
        run.log_metrics(trainer.step, epoch=epoch, **{f"epoch_{k}": v for k, v in means.items()})
        run.info(f"stage 2 epoch {epoch + 1}/{cfg.solver.max_epochs}: "
                 + ", ".join(f"{k} {v:.4f}" for k, v in means.items()))
        if cfg.stage2.reset_optimizer_each_epoch:
            optimizer.state.clear()
        trainer.save_checkpoint()
    barrier()
    return trainer.step
