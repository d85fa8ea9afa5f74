"""Query expansion and database-side augmentation: each feature is replaced by a weighted mean of its
nearest neighbours before the distances are computed.

* ``alpha_query_expansion`` (alpha-QE, Radenović et al. 2018; fast-reid's ``aqe``, ``TEST.AQE``): the query
  and gallery features are pooled, as fast-reid does, and every feature x_i becomes

      x_i <- (1 / k) sum_{j in N_k(i)} s_ij^alpha x_j,

  N_k(i) its k most cosine-similar items of the pool (itself included), s_ij their cosine similarity and
  x_j the features as given (not normalised); ``times`` rounds, each finding the neighbours again from the
  normalised result. fast-reid's defaults: k 5, alpha 3, 1 round.
* ``database_augmentation`` (DBA, Arandjelović & Zisserman 2012; alpha-DBA of Gordo et al. 2017): the
  same on the gallery alone, each item with its k nearest gallery items; ``alpha = 0`` is the plain mean
  of PyRetri's DBA.

Written here because no library of the stack does it; the neighbours come from faiss (``self_knn``), so
memory stays O(N k) instead of fast-reid's N x N similarity matrix.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_features, check_k
from .knn import l2_normalize, self_knn

_CHUNK_ELEMENTS = 1 << 22


def _weighted_neighbour_mean(x: np.ndarray, k: int, alpha: float, times: int, use_gpu: str) -> np.ndarray:
    """``times`` rounds of x_i <- mean_{j in N_k(i)} s_ij^alpha x_j on ``[N, D]`` features (see the module)."""
    if times < 1:
        raise ValueError(f"times must be at least 1, got {times}")
    k = check_k(k, len(x), "k", "the feature set")
    for _ in range(times):
        nn = self_knn(l2_normalize(x), k, metric="cosine", use_gpu=use_gpu)
        weights = np.power(1.0 - nn.distances.astype(np.float64), alpha)  # cosine similarity ^ alpha
        out = np.empty_like(x)
        step = max(1, _CHUNK_ELEMENTS // (k * x.shape[1]))
        for s in range(0, len(x), step):
            rows = slice(s, s + step)
            out[rows] = np.einsum("nk,nkd->nd", weights[rows], x[nn.indices[rows]]) / k
        x = out
    return x


def alpha_query_expansion(query: Any, gallery: Any, *, k: int = 5, alpha: float = 3.0, times: int = 1,
                          use_gpu: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """fast-reid's alpha-QE on ``[Q, D]`` queries and ``[G, D]`` gallery features pooled together.

    Returns:
        ``([Q, D], [G, D])`` float32 expanded features (not normalised).
    """
    q = as_features(query, "query")
    g = as_features(gallery, "gallery", dim=q.shape[1])
    pooled = _weighted_neighbour_mean(np.concatenate([q, g]), k, alpha, times, use_gpu)
    return pooled[:len(q)], pooled[len(q):]


def database_augmentation(gallery: Any, *, k: int = 10, alpha: float = 0.0, times: int = 1,
                          use_gpu: str = "auto") -> np.ndarray:
    """DBA on ``[G, D]`` gallery features; returns ``[G, D]`` float32 (not normalised)."""
    return _weighted_neighbour_mean(as_features(gallery, "gallery"), k, alpha, times, use_gpu)
