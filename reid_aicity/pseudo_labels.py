"""Stage 2's pseudo-labels: clustering the target set (DMT ``train_stage2_v1.py`` / ``_v2.py``).

On the target features (queries then gallery; each view L2-normalised, the plain and augmented views
averaged), in order:

1. **camera-bias removal** (``remove_target_camera_bias``): per camera, the ridge projection of
   ``compute_P2`` / ``meanfeat_sub`` fitted on all target features of that camera (``lam`` 0.0005), or
   the paper's ``f - alpha * mean_c`` (Eq. 2);
2. **track smoothing** of the gallery (``smooth_gallery_tracks``): ``f <- w f + (1 - w) mean_track``
   (v1: w = 0.3, v2: 0.1); queries and untracked images are left alone;
3. **distance** (``clustering_distance``): ``0.9 * Jaccard + 0.1 * normalised cosine`` clipped to
   [0, 1], with the k-reciprocal Jaccard distance (k1 = 30, k2 = 6) of
   ``common.retrieval.jaccard_distance`` on the track-smoothed features as they are (not re-normalised, as
   DMT's ``faiss_rerank.py`` gets them) and the cosine distance ``(1 - cos) / 2`` divided by its row
   maximum (``batch_cosine_dist``); v2 adds 10 across the camera groups (< 40 and >= 40);
4. **DBSCAN** (eps 0.55, min_samples 10, precomputed); noise (-1) is dropped;
5. the classifier is re-initialised with the **cluster means** of the features of steps 1-2.

The distance is kept sparse: a pair outside each other's k-reciprocal encodings has Jaccard distance
1, hence a distance of at least ``jaccard_weight`` > eps, and can never be a DBSCAN neighbour; only
pairs with overlapping encodings are stored (``max_distance`` = eps drops the rest), so the
clustering equals DBSCAN on DMT's dense N x N matrix while memory stays O(N k).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import DBSCAN
from sklearn.neighbors import sort_graph_by_row_values

from common.retrieval import (blend_with_track_mean, farthest_distances, jaccard_distance, l2_normalize,
                              remove_camera_bias)

CAMERA_BIAS_METHODS = ("projection", "mean")


def mean_camera_subtraction(features: np.ndarray, cams: np.ndarray, alpha: float) -> np.ndarray:
    """Paper Eq. 2: ``normalise(g - alpha * g_C)`` with g_C the mean feature of the image's camera.

    ``features``: ``[N, D]``; ``cams``: ``[N]``; returns ``[N, D]`` float32.
    """
    out = np.empty_like(features, dtype=np.float32)
    for cam in np.unique(cams):
        rows = cams == cam
        out[rows] = features[rows] - alpha * features[rows].mean(axis=0, keepdims=True)
    return l2_normalize(out)


def remove_target_camera_bias(features: np.ndarray, cams: np.ndarray, method: str = "projection",
                              lam: float = 0.0005, alpha: float = 1.0) -> np.ndarray:
    """Step 1 on ``[N, D]`` features of cameras ``[N]`` (``method``: ``"projection"`` or ``"mean"``)."""
    if method == "projection":
        return remove_camera_bias(features, cams, lam)
    if method == "mean":
        return mean_camera_subtraction(features, cams, alpha)
    raise ValueError(f"stage2.camera_bias.method must be one of {CAMERA_BIAS_METHODS}, got {method!r}")


def smooth_gallery_tracks(features: np.ndarray, track_ids: np.ndarray, num_query: int, self_weight: float
                          ) -> np.ndarray:
    """Step 2: ``features`` = queries (first ``num_query`` rows) then gallery; ``track_ids`` of the gallery."""
    out = features.copy()
    out[num_query:] = blend_with_track_mean(features[num_query:], track_ids, self_weight, untracked_id=-1)
    return out


def clustering_distance(features: np.ndarray, *, k1: int = 30, k2: int = 6, jaccard_weight: float = 0.9,
                        max_distance: float = 0.55, groups: np.ndarray | None = None, normalize: bool = False
                        ) -> sp.csr_matrix:
    """Step 3 as a sparse ``[N, N]`` graph holding every pair with distance <= ``max_distance``.

    Args:
        features: ``[N, D]`` target features after steps 1-2: unit-norm rows blended with their track mean,
            so not unit-norm.
        normalize: False (DMT): the Jaccard term on the features as they are (faiss ``IndexFlatL2``
            neighbours, weights ``softmax(-(2 - 2 x_i.x_j))``); True: L2-normalise them first. The cosine term
            is scale-free either way.
        k1, k2: Jaccard neighbourhood and query-expansion sizes.
        jaccard_weight: weight of the Jaccard term; the cosine term gets ``1 - jaccard_weight``.
        max_distance: largest distance kept (the DBSCAN eps); must be < ``jaccard_weight``.
        groups: ``[N]`` camera group per item (v2); pairs across groups are never neighbours.

    Returns:
        CSR matrix, rows sorted by distance, diagonal stored (distance 0).
    """
    if not 0 < jaccard_weight <= 1:
        raise ValueError(f"jaccard_weight must be in (0, 1], got {jaccard_weight}")
    if not max_distance < jaccard_weight:
        raise ValueError(f"stage2.eps={max_distance} must be below jaccard_weight={jaccard_weight}: pairs outside "
                         "each other's k-reciprocal sets (Jaccard distance 1) would become neighbours")
    x = l2_normalize(features)
    n = len(x)
    graph = jaccard_distance(x if normalize else features, k1=min(k1, n), k2=min(k2, n), metric="euclidean",
                             weight_distance="unit_dot", max_distance=max_distance / jaccard_weight).tocoo()
    rows, cols, jac = graph.row, graph.col, graph.data
    cos = np.einsum("ij,ij->i", x[rows].astype(np.float64), x[cols].astype(np.float64))
    farthest = farthest_distances(x, x, metric="cosine").astype(np.float64)  # max_j (1 - cos)
    cosine = (1.0 - cos) / np.maximum(farthest[rows], np.finfo(np.float32).tiny)
    dist = np.clip(jaccard_weight * jac + (1.0 - jaccard_weight) * cosine, 0.0, 1.0)
    keep = dist <= max_distance
    if groups is not None:
        groups = np.asarray(groups)
        keep &= groups[rows] == groups[cols]
    out = sp.csr_matrix((dist[keep], (rows[keep], cols[keep])), shape=(n, n))
    out.sort_indices()
    return sort_graph_by_row_values(out, copy=False, warn_when_not_sorted=False)


def dbscan_labels(distances: sp.csr_matrix | np.ndarray, eps: float = 0.55, min_samples: int = 10) -> np.ndarray:
    """Step 4: DBSCAN labels ``[N]`` (-1: noise) on precomputed distances."""
    return DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(distances)


def cluster_centres(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Step 5: ``[C, D]`` mean feature of each cluster 0..C-1 (noise excluded), float32."""
    clusters = labels[labels >= 0]
    if clusters.size == 0:
        raise ValueError("DBSCAN found no cluster; the features may be too spread for stage2.eps, or the target "
                         "has fewer than stage2.min_samples images per vehicle")
    count = int(clusters.max()) + 1
    sums = np.zeros((count, features.shape[1]), dtype=np.float64)
    np.add.at(sums, clusters, features[labels >= 0])
    return (sums / np.bincount(clusters, minlength=count)[:, None]).astype(np.float32)
