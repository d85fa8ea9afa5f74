"""Dense reference implementations, written from the published algorithms: k-reciprocal
re-ranking (Zhong et al., CVPR 2017, as in the authors' ``re_ranking`` and its ports) and the
k-reciprocal Jaccard distance of SpCL's ``compute_jaccard_distance`` (used by DMT and OpenUnReID).

They keep the original's N x N arrays (distances, their argsort, V, V_qe) and per-item loops,
so memory is O(N^2): they are the baseline of the tests and of ``python -m
common.retrieval.bench``. Pipelines use ``common.retrieval.rerank``, which gives the same numbers
in O(N k) memory.

Conventions shared with ``rerank``: squared Euclidean distances (after L2 normalisation for
``metric="cosine"``), and ``stable_sort=True`` breaks distance ties by the lower index.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_features, check_choice, check_fraction, check_k
from .knn import METRICS, l2_normalize, prepare_features


def k_reciprocal_rerank_dense(query: Any, gallery: Any, k1: int = 20, k2: int = 6,
                              lambda_value: float = 0.3, *, metric: str = "euclidean",
                              dtype: type = np.float32, stable_sort: bool = True) -> np.ndarray:
    """Zhong et al.'s re-ranking with dense (N, N) arrays, N = Q + G; returns (Q, G) distances.

    Args:
        query, gallery: (Q, d) and (G, d) features.
        k1, k2, lambda_value: as in ``rerank.k_reciprocal_rerank``.
        metric: ``"euclidean"`` or ``"cosine"`` (L2-normalise first).
        dtype: float type of the N x N arrays (float32 as published; float64 for exact tests).
        stable_sort: argsort with ties by index (``False``: NumPy's default quicksort, as published).
    """
    q = as_features(query, "query")
    g = as_features(gallery, "gallery", dim=q.shape[1])
    check_choice(metric, "metric", METRICS)
    nq = len(q)
    x = np.concatenate([q, g])
    if metric == "cosine":
        x = l2_normalize(x)
    n = len(x)
    k1 = check_k(k1, n - 1, "k1", "the number of query + gallery items minus one")
    k2 = check_k(k2, n, "k2", "the number of query + gallery items")
    lam = check_fraction(lambda_value, "lambda_value")

    original_dist = _squared_euclidean(x, dtype)
    # Published: transpose(D / D.max(axis=0)); D is exactly symmetric, so row i is divided by its max.
    row_max = original_dist.max(axis=1)
    original_dist /= np.where(row_max > 0, row_max, 1)[:, None]
    initial_rank = _argsort_rows(original_dist, stable_sort)
    v = np.zeros_like(original_dist)
    k1_half = int(np.around(k1 / 2))
    for i in range(n):
        k_reciprocal_index = _k_reciprocal_neighbours(initial_rank, i, k1 + 1)
        expansion = k_reciprocal_index
        for candidate in k_reciprocal_index:
            candidate_index = _k_reciprocal_neighbours(initial_rank, candidate, k1_half + 1)
            if len(np.intersect1d(candidate_index, k_reciprocal_index)) > 2.0 / 3 * len(candidate_index):
                expansion = np.append(expansion, candidate_index)
        expansion = np.unique(expansion)
        weight = np.exp(-original_dist[i, expansion])
        v[i, expansion] = weight / np.sum(weight)
    original_dist = original_dist[:nq]
    v = _query_expansion(v, initial_rank, k2)
    del initial_rank
    jaccard_dist = _jaccard_rows(v, nq)
    final_dist = jaccard_dist * (1 - lam) + original_dist * lam
    return final_dist[:, nq:]


def jaccard_distance_dense(features: Any, k1: int = 20, k2: int = 6, *, metric: str = "cosine",
                           dtype: type = np.float32) -> np.ndarray:
    """SpCL's all-vs-all k-reciprocal Jaccard distance as a dense (N, N) matrix.

    The neighbour lists are the k1 nearest items (self included) of a stable argsort, standing in
    for SpCL's faiss ``search(features, k1)``; as in SpCL, R(i, k1) therefore uses k1 forward
    neighbours and R(i, k1/2) uses round(k1/2) + 1. Weights are ``softmax(-d)`` (no row scaling).
    """
    x = prepare_features(features, metric, "features")
    n = len(x)
    k1 = check_k(k1, n, "k1", "the feature set")
    k2 = check_k(k2, n, "k2", "the feature set")
    dist = _squared_euclidean(x, dtype)
    initial_rank = _argsort_rows(dist, stable=True)[:, :max(k1, k2)]
    half = min(int(np.around(k1 / 2)) + 1, k1)
    nn_k1 = [_k_reciprocal_neighbours(initial_rank, i, k1) for i in range(n)]
    nn_k1_half = [_k_reciprocal_neighbours(initial_rank, i, half) for i in range(n)]
    v = np.zeros((n, n), dtype=dtype)
    for i in range(n):
        k_reciprocal_index = nn_k1[i]
        expansion = k_reciprocal_index
        for candidate in k_reciprocal_index:
            candidate_index = nn_k1_half[candidate]
            if len(np.intersect1d(candidate_index, k_reciprocal_index)) > 2.0 / 3 * len(candidate_index):
                expansion = np.append(expansion, candidate_index)
        expansion = np.unique(expansion)
        weight = np.exp(-dist[i, expansion])
        v[i, expansion] = weight / np.sum(weight)
    v = _query_expansion(v, initial_rank, k2)
    del initial_rank
    jaccard_dist = _jaccard_rows(v, n)
    jaccard_dist[jaccard_dist < 0] = 0.0
    return jaccard_dist


def _squared_euclidean(x: np.ndarray, dtype: type, block: int = 4096) -> np.ndarray:
    """(N, N) ``||x_i - x_j||^2`` = (n_i + n_j) - 2 <x_i, x_j>, clipped at 0.

    Only the upper block triangle is multiplied (half the products of a full matrix product) and
    mirrored, so the matrix is exactly symmetric. (``x @ x.T`` would do the same through BLAS
    ``syrk``, but OpenBLAS 0.3.31 crashes there once the result exceeds 2 GiB.)
    """
    x = x.astype(dtype)
    n = len(x)
    norms = np.einsum("ij,ij->i", x, x)
    dist = np.empty((n, n), dtype=dtype)
    for a in range(0, n, block):
        for b in range(a, n, block):
            tile = x[a:a + block] @ x[b:b + block].T
            tile *= -2
            tile += norms[a:a + block, None] + norms[None, b:b + block]
            dist[a:a + block, b:b + block] = tile
            if b != a:
                dist[b:b + block, a:a + block] = tile.T
    return np.maximum(dist, 0, out=dist)


def _argsort_rows(dist: np.ndarray, stable: bool) -> np.ndarray:
    """int32 row-wise argsort, computed in row blocks (no N x N int64 temporary)."""
    out = np.empty(dist.shape, dtype=np.int32)
    for start in range(0, len(dist), 1024):
        out[start:start + 1024] = np.argsort(dist[start:start + 1024], axis=1,
                                             kind="stable" if stable else "quicksort")
    return out


def _k_reciprocal_neighbours(initial_rank: np.ndarray, i: int, forward: int) -> np.ndarray:
    forward_index = initial_rank[i, :forward]
    backward_index = initial_rank[forward_index, :forward]
    return forward_index[np.where(backward_index == i)[0]]


def _query_expansion(v: np.ndarray, initial_rank: np.ndarray, k2: int) -> np.ndarray:
    if k2 == 1:
        return v
    v_qe = np.zeros_like(v)
    for i in range(len(v)):
        v_qe[i, :] = np.mean(v[initial_rank[i, :k2], :], axis=0)
    return v_qe


def _jaccard_rows(v: np.ndarray, rows: int) -> np.ndarray:
    """1 - S / (2 - S) for the first ``rows`` items, S through the inverted index of V."""
    n = len(v)
    inv_index = [np.where(v[:, i] != 0)[0] for i in range(n)]
    jaccard_dist = np.zeros((rows, n), dtype=v.dtype)
    for i in range(rows):
        temp_min = np.zeros(n, dtype=v.dtype)
        ind_non_zero = np.where(v[i, :] != 0)[0]
        for k in ind_non_zero:
            images = inv_index[k]
            temp_min[images] = temp_min[images] + np.minimum(v[i, k], v[images, k])
        jaccard_dist[i] = 1 - temp_min / (2 - temp_min)
    return jaccard_dist
