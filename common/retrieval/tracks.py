"""Track-level features and distances: gallery images that belong to one track (a vehicle seen
in consecutive frames of one camera, AI City ``test_track.txt``) share information.

* ``track_mean_features``: the plain mean feature of each track (VisDA clustering merges by track).
* ``blend_with_track_mean``: f <- w f + (1 - w) mean_track (DMT stage 2: w = 0.3, v2: 0.1).
* ``weighted_track_features``: DMT's query-conditioned weighted image-to-track average (an image
  close to the queries that are close to its track gets a larger weight).
* ``track_to_image_distances``: broadcast a (Q, T) track distance back to every image of a track.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ._validate import as_features, as_labels, check_fraction


def track_mean_features(features: Any, track_ids: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean feature per track.

    Args:
        features: (N, d).
        track_ids: (N,) track label per item.

    Returns:
        track_features (T, d) float32 in ascending track-id order, track_ids (T,) and
        inverse (N,) mapping each item to its row in ``track_features``.
    """
    x = as_features(features, "features")
    ids, inverse = np.unique(as_labels(track_ids, "track_ids", len(x), "features"),
                             return_inverse=True)
    counts = np.bincount(inverse)
    means = _segment_matrix(inverse, np.ones(len(x)), len(ids)) @ x.astype(np.float64)
    return (means / counts[:, None]).astype(np.float32), ids, inverse


def blend_with_track_mean(features: Any, track_ids: Any, self_weight: float,
                          untracked_id: int | None = -1) -> np.ndarray:
    """(N, d) float32 ``self_weight * f + (1 - self_weight) * mean of f's track``.

    Items whose track id is ``untracked_id`` keep their feature (DMT skips track id -1).
    """
    x = as_features(features, "features")
    w = check_fraction(self_weight, "self_weight")
    tid = as_labels(track_ids, "track_ids", len(x), "features")
    tracked = tid != untracked_id if untracked_id is not None else np.ones(len(x), dtype=bool)
    out = x.copy()
    if tracked.any():
        means, _, inverse = track_mean_features(x[tracked], tid[tracked])
        out[tracked] = w * x[tracked] + (1.0 - w) * means[inverse]
    return out


def weighted_track_features(query: Any, gallery: Any, track_ids: Any, *, threshold: float = 0.6,
                            eps: float = 0.01) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DMT's weighted image-to-track features (``R1_mAP_eval.track_ranking``).

    With d the squared Euclidean query x gallery distance: for track t, the queries that come
    close to it are Q_t = {q : min_{j in t} d(q, j) < threshold} (if none, the queries reaching the
    smallest such minimum). Image j of t gets weight 1 / (mean_{q in Q_t} d(q, j) + eps),
    normalised over t, and the track feature is the weighted sum (not re-normalised).

    Args:
        query: (Q, d); gallery: (G, d); track_ids: (G,) track of each gallery image.

    Returns:
        track_features (T, d) float32, track_ids (T,) ascending, inverse (G,) as in
        ``track_mean_features``.
    """
    q = as_features(query, "query")
    g = as_features(gallery, "gallery", dim=q.shape[1])
    ids, inverse = np.unique(as_labels(track_ids, "track_ids", len(g), "gallery"),
                             return_inverse=True)
    dist = _squared_distances(q, g)                       # (Q, G)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(ids)))
    track_min = np.minimum.reduceat(dist[:, order], starts, axis=1)  # (Q, T)
    close = track_min < threshold
    lonely = ~close.any(axis=0)
    close[:, lonely] = track_min[:, lonely] == track_min[:, lonely].min(axis=0)
    member_close = close[:, inverse]                      # (Q, G): query counts for image j
    mean_dist = (member_close * dist).sum(axis=0) / member_close.sum(axis=0)
    weight = 1.0 / (mean_dist + eps)
    weight /= np.bincount(inverse, weights=weight)[inverse]
    feats = _segment_matrix(inverse, weight, len(ids)) @ g.astype(np.float64)
    return feats.astype(np.float32), ids, inverse


def track_to_image_distances(track_distmat: Any, inverse: Any) -> np.ndarray:
    """(Q, G) distances of every gallery image from a (Q, T) track distance and (G,) ``inverse``."""
    d = np.asarray(track_distmat)
    if d.ndim != 2:
        raise ValueError(f"track_distmat must be a 2-D (queries x tracks) matrix, got shape {d.shape}")
    inv = as_labels(inverse, "inverse")
    if len(inv) and (inv.min() < 0 or inv.max() >= d.shape[1]):
        raise ValueError(f"inverse must index the {d.shape[1]} tracks (columns) of track_distmat")
    return d[:, inv]


def _segment_matrix(inverse: np.ndarray, weights: np.ndarray, n_segments: int) -> sp.csr_matrix:
    """(T, N) sparse matrix summing items into their segment with the given weights."""
    return sp.csr_matrix((weights, (inverse, np.arange(len(inverse)))), shape=(n_segments, len(inverse)))


def _squared_distances(q: np.ndarray, g: np.ndarray) -> np.ndarray:
    d = (q @ g.T).astype(np.float64)
    d *= -2.0
    d += np.einsum("ij,ij->i", q, q, dtype=np.float64)[:, None]
    d += np.einsum("ij,ij->i", g, g, dtype=np.float64)[None, :]
    return np.maximum(d, 0.0, out=d)
