"""kNN feature smoothing ("mergesetfeat" of the VisDA-2020 winner and DMT's ficfac code): each
feature moves towards a softmax-weighted mean of its most similar reference features and away from
the uniform mean of the next ones, then is re-normalised.

For feature x and its 2*knn most similar reference features r_1..r_2knn by inner product (only
those with positive similarity s_j > 0; with m <= 2*knn of them, the first min(knn, m) are
"positive" and the rest "negative"):

    x <- normalise(x + alpha * (sum_pos p_j r_j - mean_neg r_j)),   p_j ~ exp((s_j - 1) / beta).

The published loop reassigns ``knn = min(knn, m)`` inside its row loop whenever a row has at most
2*knn positive similarities, so every later row of that call searches and weights with the shrunk
value. ``carry_knn=True`` reproduces this (the VisDA-2020 winner's code; the value resets at each
call, i.e. each round); ``carry_knn=False`` (default) gives every row its own min(knn, m), which is
what the code does for the first such row.
"""
from __future__ import annotations

from typing import Any

import faiss
import numpy as np
import scipy.sparse as sp

from ._validate import as_features, check_k
from .knn import _on_device

_CHUNK_ELEMENTS = 1 << 22


def knn_feature_smoothing(features: Any, reference: Any, *, knn: int = 50, beta: float = 0.03,
                          alpha: float = 0.2, rounds: int = 1, carry_knn: bool = False,
                          use_gpu: str = "auto") -> np.ndarray:
    """Smooth ``features`` towards their neighbours in ``reference`` (which stays fixed).

    Args:
        features: (N, d), normally L2-normalised.
        reference: (M, d) features the neighbours come from (VisDA: the gallery; for the
            gallery itself, pass the gallery as both).
        knn: positive neighbours (VisDA: 50); 2*knn neighbours are searched.
        beta: softmax temperature of the positive weights (VisDA: 0.03).
        alpha: step size (0.2 in the published code).
        rounds: repetitions, each starting from the previous result (VisDA: 3).
        carry_knn: carry a shrunk ``knn`` over to the later rows, as the published loop does (see the
            module docstring).
        use_gpu: faiss device preference for the inner-product search.

    Returns:
        (N, d) float32 smoothed features (a row without any positive similarity is unchanged).
    """
    x = as_features(features, "features")
    ref = as_features(reference, "reference", dim=x.shape[1])
    knn = check_k(knn, len(ref), "knn", "the reference set")
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    index, _resources = _on_device(faiss.IndexFlatIP(ref.shape[1]), use_gpu)
    index.add(ref)
    width = min(2 * knn, len(ref))
    for _ in range(rounds):
        row_knn = _carried_knn(x, ref, knn) if carry_knn else None
        x = _smoothing_step(x, ref, index, knn, width, beta, alpha, row_knn)
    return x


def _carried_knn(x: np.ndarray, ref: np.ndarray, knn: int) -> np.ndarray:
    """(N,) the ``knn`` each row uses in the published loop: ``k = min(k, m_i)`` whenever row i has
    m_i <= 2k positive similarities to the reference, carried over to the later rows."""
    step = max(1, _CHUNK_ELEMENTS // len(ref))
    positives = np.concatenate([(x[s:s + step] @ ref.T > 0).sum(axis=1) for s in range(0, len(x), step)])
    out = np.empty(len(x), dtype=np.int64)
    k = knn
    for i, m in enumerate(positives.tolist()):
        if m <= 2 * k:
            k = min(k, m)
        out[i] = k
    return out


def _smoothing_step(x: np.ndarray, ref: np.ndarray, index: Any, knn: int, width: int, beta: float,
                    alpha: float, row_knn: np.ndarray | None = None) -> np.ndarray:
    out = x.copy()
    step = max(1, _CHUNK_ELEMENTS // width)
    col = np.arange(width)[None, :]
    for start in range(0, len(x), step):
        sim, idx = index.search(x[start:start + step], width)       # descending similarity
        positive = (sim > 0) & (idx >= 0)
        if row_knn is not None:  # the published loop searches only 2k neighbours with its carried k
            positive &= col < 2 * row_knn[start:start + step, None]
        n_pos = positive.sum(axis=1)
        k_cap = knn if row_knn is None else row_knn[start:start + step]
        k_row = np.minimum(k_cap, n_pos)[:, None]
        pos = col < k_row
        neg = (col >= k_row) & positive
        w_pos = np.where(pos, np.exp((sim - 1.0) / beta), 0.0)
        w_pos /= np.maximum(w_pos.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)
        w_neg = neg / np.maximum(neg.sum(axis=1, keepdims=True), 1)
        weights = sp.csr_matrix(((w_pos - w_neg)[positive], idx[positive],
                                 np.concatenate([[0], np.cumsum(n_pos)])), shape=(len(sim), len(ref)))
        moved = x[start:start + step] + alpha * (weights @ ref)      # (c, d)
        has_pos = n_pos > 0
        out[start:start + step][has_pos] = (moved / np.linalg.norm(moved, axis=1, keepdims=True))[has_pos]
    return out
