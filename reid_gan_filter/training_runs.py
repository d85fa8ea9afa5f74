"""The comparison runs of ``python -m reid_gan_filter.train``: a ReID model trained on the real training set
with or without generated images (``train.generated``), in the supervised or the UDA setting
(``train.setting``), and its scores on the real query / gallery.

* supervised: the real training set's labels; a generated image takes its source's label;
* UDA: a model trained on the labelled source domain (``train.uda.source``, run ``source/``, or
  ``train.uda.source_weights``), then
  ``train.uda.rounds`` rounds on the real training set without its labels: features of the real images, the
  k-reciprocal Jaccard distance and DBSCAN (``common.retrieval.jaccard_distance``, as SpCL / OpenUnReID)
  give pseudo-labels (noise left out), a generated image takes its source's pseudo-label, and a fresh
  classifier is fine-tuned for ``epochs_per_round`` epochs (run ``round<r>/``, labels in
  ``round<r>/pseudo_labels.npz`` with their agreement with the true identities where the file names have them).

Every sub-run resumes from its checkpoints, and a round's labels are read back, so a rerun continues exactly.
Under ``torchrun`` every process trains its share of each batch (DDP); rank 0 makes the pseudo-labels and
sends them to the others, and evaluates.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from mmengine.config import Config
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from torch.utils.data import DataLoader

from common.distributed import DistInfo, barrier, main_then_broadcast
from common.fileio import atomic_open
from common.reid.dataset import ReIDDataset, ReIDItem, relabel
from common.reid.features import extract_features
from common.reid.model import ReIDModel
from common.reid.transforms import build_test_transform
from common.retrieval import evaluate_distmat, jaccard_distance
from common.runlog import RunLogger

from .encoders import load_reid_model
from .generated_set import resolve_path
from .reid_training import fit_reid_model
from .training_sets import (evaluation_split, generated_rows, labelled_items, real_items, source_items,
                            source_path_labels)


def features_of(model: ReIDModel, items: Sequence[ReIDItem], cfg: Config, device: str) -> np.ndarray:
    """``[N, D]`` L2-normalised test features (mean over ``train.views``) of ``items``."""
    dataset = ReIDDataset(items, build_test_transform(tuple(cfg.encoders.reid.size)), name="images")
    loader = DataLoader(dataset, batch_size=cfg.train.ims_per_batch, shuffle=False, num_workers=0)
    return extract_features(model.to(device), loader, device, views=list(cfg.train.views)).features.numpy()


def evaluate(model: ReIDModel, cfg: Config, device: str) -> dict[str, float]:
    """mAP, R1, R5, mINP on the real query / gallery (Market-1501 protocol, full ranking)."""
    split = evaluation_split(cfg)
    q = features_of(model, split.query, cfg, device)
    g = features_of(model, split.gallery, cfg, device)
    dist = 2.0 - 2.0 * q @ g.T
    pid = lambda items: np.asarray([it.pid for it in items])  # noqa: E731
    cam = lambda items: np.asarray([it.camid for it in items])  # noqa: E731
    result = evaluate_distmat(dist, pid(split.query), pid(split.gallery), cam(split.query), cam(split.gallery),
                              max_rank=5)
    return {"mAP": result.mAP, "R1": result.rank(1), "R5": result.rank(5), "mINP": result.mINP}


def run_supervised(cfg: Config, run: RunLogger, info: DistInfo) -> ReIDModel:
    """Train on the real training set and ``train.generated``; returns the model."""
    real = real_items(cfg)
    rows = generated_rows(cfg, real)
    labels = source_path_labels(real)
    items = labelled_items(real, rows, labels)
    run.info(f"supervised: {len(real)} real + {len(items) - len(real)} generated images ({cfg.train.generated})")
    return fit_reid_model(items, len(set(labels.values())), run, cfg.encoders.reid, cfg.train.recipe, info,
                          seed=cfg.seed)


def pseudo_labels(features: np.ndarray, cfg: Config) -> np.ndarray:
    """``[N]`` DBSCAN labels (-1: noise) on the Jaccard distance of ``[N, D]`` features."""
    u = cfg.train.uda
    graph = jaccard_distance(features, k1=min(u.k1, len(features) - 1), k2=min(u.k2, len(features) - 1),
                             max_distance=u.eps)
    return DBSCAN(eps=u.eps, min_samples=u.min_samples, metric="precomputed").fit_predict(graph).astype(np.int64)


def _round_labels(model: ReIDModel, real: Sequence[ReIDItem], cfg: Config, info: DistInfo, round_dir: Path,
                  run: RunLogger) -> np.ndarray:
    """The pseudo-labels of a round: read back, or made from the current model and saved (rank 0, then sent
    to every process)."""
    return main_then_broadcast(lambda: _make_round_labels(model, real, cfg, str(info.device), round_dir, run), info)


def _make_round_labels(model: ReIDModel, real: Sequence[ReIDItem], cfg: Config, device: str, round_dir: Path,
                       run: RunLogger) -> np.ndarray:
    path = round_dir / "pseudo_labels.npz"
    if path.is_file():
        return np.load(path)["labels"]
    labels = pseudo_labels(features_of(model, real, cfg, device), cfg)
    round_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as f:
        np.savez(f, labels=labels)
    truth, kept = np.asarray([it.pid for it in real]), labels >= 0
    quality = {"clusters": int(labels.max() + 1), "kept": int(kept.sum()), "images": len(labels)}
    if kept.any() and (truth >= 0).all():
        quality.update(nmi=round(float(normalized_mutual_info_score(truth[kept], labels[kept])), 4),
                       ari=round(float(adjusted_rand_score(truth[kept], labels[kept])), 4))
    run.info(f"{round_dir.name}: pseudo-labels " + ", ".join(f"{k} {v}" for k, v in quality.items()))
    return labels


def run_uda(cfg: Config, run: RunLogger, info: DistInfo) -> ReIDModel:
    """Source training, then ``train.uda.rounds`` pseudo-label rounds with ``train.generated``; returns the model."""
    u, recipe = cfg.train.uda, dict(cfg.train.recipe)
    if u.source_weights:
        previous = Path(u.source_weights)
        model = load_reid_model(previous, cfg.encoders.reid.backbone, cfg.encoders.reid.head)
        run.info(f"UDA: adapting the source model {previous}")
    else:
        source, source_map = relabel([it for it in source_items(cfg) if it.pid >= 0])
        previous = run.dir / "source"
        with RunLogger(previous, cfg, tensorboard=False, rank=info.rank) as sub:
            model = fit_reid_model(source, len(source_map), sub, cfg.encoders.reid, recipe, info, seed=cfg.seed)
        run.info(f"UDA: source model trained on {len(source)} images of {len(source_map)} identities")
    real = real_items(cfg)
    rows = generated_rows(cfg, real)
    run.info(f"UDA: target {len(real)} real + {len(rows)} generated images ({cfg.train.generated}), "
             f"{u.rounds} round(s)")
    fine_tune = {**recipe, "warmup_epochs": 0, "steps": []}
    for r in range(u.rounds):
        round_dir = run.dir / f"round{r}"
        labels = _round_labels(model, real, cfg, info, round_dir, run)
        by_path = {resolve_path(item.img_path): int(label) for item, label in zip(real, labels)}
        items = labelled_items(real, rows, by_path)
        if len({it.pid for it in items}) < 2:
            raise ValueError(f"{round_dir.name}: the pseudo-labels kept fewer than 2 clusters; raise train.uda.eps or "
                             "lower train.uda.min_samples")
        with RunLogger(round_dir, cfg, tensorboard=False, rank=info.rank) as sub:
            model = fit_reid_model(items, int(labels.max() + 1), sub, cfg.encoders.reid, fine_tune, info,
                                   seed=cfg.seed + r + 1, init_from=previous, epochs=u.epochs_per_round)
        previous = round_dir
    return model


def run_comparison(cfg: Config, work_dir: str | Path, info: DistInfo) -> dict[str, Any]:
    """Train ``cfg.train.setting`` with ``cfg.train.generated`` into ``work_dir`` and evaluate it (rank 0;
    the other ranks return ``{}``)."""
    runners = {"supervised": run_supervised, "uda": run_uda}
    if cfg.train.setting not in runners:
        raise ValueError(f"unknown train.setting '{cfg.train.setting}': choose one of {', '.join(runners)}")
    results: dict[str, Any] = {}
    with RunLogger(work_dir, cfg, rank=info.rank) as run:
        model = runners[cfg.train.setting](cfg, run, info)
        if info.is_main:
            scores = evaluate(model, cfg, str(info.device))
            results = {"setting": cfg.train.setting, "generated": cfg.train.generated, **scores}
            run.save_json(results, "results")
            run.info(f"{cfg.train.setting}, generated={cfg.train.generated}: "
                     + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
        barrier()
    return results

