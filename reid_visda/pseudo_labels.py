"""Pseudo-labels of the target training set (the code's ``utils/reid_metric.py:Cluster``).

1. ``clustering_distance``: the k-reciprocal re-ranked distance of the target features against
   themselves (k1 20, k2 6, lambda 0.3; the code passes the same set as query and gallery, so the
   neighbourhoods are built over both copies), minus ``camera_weight`` x the Euclidean distance of the
   camera-model features (finetune), with negative values set to 0.
2. ``dbscan_labels``: DBSCAN (eps 0.5, min_samples 4) on that precomputed distance.
3. ``assign_pseudo_labels``: the ``top_clusters`` largest clusters become classes ``0..`` in order of
   size (``Counter.most_common``: ties in order of first appearance); finetune adds outlier classes
   (``adaptation.outliers``, see ``reid_visda.defaults``); everything else is dropped (-1).

Inputs are features of the pixel mean of each target image and its CamStyle copies
(``data.CamStyleMeanDataset``), L2-normalised and, as in the code, rounded to float16.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sklearn.cluster import DBSCAN

from common.retrieval import k_reciprocal_rerank, l2_normalize

OUTLIER_MODES = ("official", "paper", "none")


def round_to_half(features: np.ndarray) -> np.ndarray:
    """``[N, D]`` features rounded to float16 precision and returned as float32 (the code's ``.astype(np.float16)``)."""
    return np.asarray(features, dtype=np.float16).astype(np.float32)


def euclidean_distances(x: np.ndarray) -> np.ndarray:
    """``[N, D] -> [N, N]`` Euclidean distances ``sqrt(max(|x_i - x_j|^2, 1e-12))`` (the code's ``euclidean_dist``)."""
    x = np.asarray(x, dtype=np.float64)
    sq = (x * x).sum(axis=1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 1e-12)).astype(np.float32)


def clustering_distance(features: np.ndarray, camera_features: np.ndarray | None = None, *, k1: int = 20,
                        k2: int = 6, lambda_value: float = 0.3, camera_weight: float = 0.1,
                        half_precision: bool = True) -> np.ndarray:
    """Step 1. ``features`` ``[N, D]`` and ``camera_features`` ``[N, Dc]`` (or ``None``) -> ``[N, N]`` float32."""
    x = l2_normalize(np.asarray(features, dtype=np.float32))
    if half_precision:
        x = round_to_half(x)
    dist = k_reciprocal_rerank(x, x, k1=k1, k2=k2, lambda_value=lambda_value)
    if camera_features is not None:
        if len(camera_features) != len(x):
            raise ValueError(f"{len(camera_features)} camera features for {len(x)} images")
        dist -= np.float32(camera_weight) * euclidean_distances(l2_normalize(np.asarray(camera_features, np.float32)))
    return np.maximum(dist, 0.0, out=dist)


def dbscan_labels(distmat: np.ndarray, eps: float = 0.5, min_samples: int = 4) -> np.ndarray:
    """Step 2. ``[N, N]`` precomputed distances -> ``[N]`` cluster ids (-1: noise)."""
    return DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(
        np.asarray(distmat, dtype=np.float64)).astype(np.int64)


def clusters_by_size(labels: np.ndarray) -> list[int]:
    """Cluster ids of ``labels`` (noise excluded) from the largest; ties in order of first appearance."""
    return [int(c) for c, _ in Counter(np.asarray(labels)[np.asarray(labels) >= 0].tolist()).most_common()]


def num_target_classes(top_clusters: int, outliers: dict[str, Any] | None) -> int:
    """Rows of the target classifier: ``top_clusters`` (+ ``outliers.count`` unless mode is "none")."""
    if outliers is None or outliers["mode"] == "none":
        return top_clusters
    return top_clusters + outliers["count"]


def assign_pseudo_labels(clusters: np.ndarray, top_clusters: int, outliers: dict[str, Any] | None = None,
                         seed: int = 0) -> np.ndarray:
    """Step 3. ``[N]`` DBSCAN ids -> ``[N]`` training labels (-1: not trained on).

    Args:
        clusters: DBSCAN output (-1: noise).
        top_clusters: how many of the largest clusters become classes ``0..top-1``.
        outliers: ``None`` (adaptation) or ``dict(mode=..., count=...)`` (finetune; modes in
            ``reid_visda.defaults``).
        seed: draws the "paper" mode's single-image classes from the noise.
    """
    clusters = np.asarray(clusters, dtype=np.int64)
    top = clusters_by_size(clusters)[:top_clusters]
    rank = {c: r for r, c in enumerate(top)}
    labels = np.asarray([rank.get(int(c), -1) for c in clusters], dtype=np.int64)
    mode = "none" if outliers is None else outliers["mode"]
    if mode not in OUTLIER_MODES:
        raise ValueError(f"unknown adaptation.outliers.mode '{mode}': choose one of {', '.join(OUTLIER_MODES)}")
    if mode == "official":
        return _official_outlier_labels(clusters, top, outliers["count"])
    if mode == "paper":
        noise = np.flatnonzero(clusters < 0)
        chosen = np.sort(np.random.default_rng(seed).choice(noise, min(outliers["count"], len(noise)), replace=False))
        labels[chosen] = len(top) + np.arange(len(chosen))
    return labels


def _official_outlier_labels(clusters: np.ndarray, top: list[int], count: int) -> np.ndarray:
    """The code's relabelling in finetune mode, value for value: the values of the per-image label array
    (float, -1 for noise) are visited in Python ``set`` order; a top cluster gets its rank, each other
    value (another cluster or the noise group) while the counter is <= ``count`` gets
    ``len(top) - 1 + counter`` (so the first one shares the last top cluster's label), the rest -1."""
    per_image = np.where(clusters >= 0, clusters, -1).astype(np.float64)
    top_set = set(top)
    mapping: dict[float, int] = {}
    extra = 0
    for value in set(per_image):  # the code iterates set(outret); float set order is deterministic
        if value in top_set:
            mapping[value] = top.index(int(value))
        elif extra <= count:
            mapping[value] = len(top) - 1 + extra
            extra += 1
        else:
            mapping[value] = -1
    return np.asarray([mapping[v] for v in per_image], dtype=np.int64)


def pseudo_label_quality(labels: np.ndarray, true_pids: np.ndarray) -> dict[str, float]:
    """NMI (the code's "Cluster Acc") and ARI of the kept pseudo-labels against the file pids, and counts."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels, true_pids = np.asarray(labels), np.asarray(true_pids)
    kept = labels >= 0
    out = {"classes": int(len(np.unique(labels[kept]))), "kept": int(kept.sum()), "images": int(len(labels))}
    if kept.any() and len(np.unique(true_pids)) > 1:
        out.update(nmi=float(normalized_mutual_info_score(true_pids[kept], labels[kept])),
                   ari=float(adjusted_rand_score(true_pids[kept], labels[kept])))
    return out
