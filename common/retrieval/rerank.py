"""k-reciprocal re-ranking (Zhong et al., "Re-ranking person re-identification with k-reciprocal
encoding", CVPR 2017) and the k-reciprocal Jaccard distance used for clustering, in a sparse
formulation built on exact top-k neighbour lists.

The published algorithm (and every port: Zhong's code, luohao's, fast-reid, SpCL, DMT, the VisDA
winner) holds several dense N x N arrays (distances, their argsort, the encodings V and V_qe), so
memory grows with N^2 (3.9 GiB per float32 buffer at N = 32,341). Every quantity it uses is local:

* R(i, k), the k-reciprocal set, needs only the first k+1 entries of each neighbour list;
* the expansion of R(i, k1) by the sets R(c, round(k1/2)) of its members, and the weights
  V[i, j] = exp(-d(i, j) / m_i) / sum_j' exp(-d(i, j') / m_i) over the expanded set, need only
  those sets, the pair distances inside them and each row's scale m_i (the row maximum of the
  distance matrix in Zhong's code, 1 in SpCL's);
* query expansion V_qe[i] = mean of V over the k2 nearest neighbours of i is a sparse product;
* the Jaccard distance 1 - S / (2 - S) with S[i, j] = sum_k min(V_qe[i, k], V_qe[j, k]) is non-zero
  only where the supports of two rows meet, found through the inverted (column) index of V_qe.

So this module keeps neighbour lists (N x (k1 + 1 + margin)), the sparse V_qe (N x O(k1 k2)) and
the requested output rows: memory O(N k). Neighbour lists come from ``knn.self_knn`` (faiss,
float32). Which items fall inside each neighbour set is decided exactly: where the float32 gap at a
set boundary is within the float32 rounding estimate, the row's candidates are re-scored in float64
and ordered by (distance, index), and a row whose candidates cannot prove completeness is searched
by brute force. The sets are therefore those of the dense algorithm with ties broken by the lower
index. ``rerank_dense`` holds the dense original used as the reference.

All distances here are squared Euclidean ``||x - y||^2`` between the features, after L2
normalisation when ``metric == "cosine"`` (then d = 2 - 2 cos, as in SpCL and DMT).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import sort_graph_by_row_values

from ._validate import as_features, check_choice, check_fraction, check_k
from .knn import METRICS, SelfKnn, l2_normalize, prepare_features, self_knn

#: Candidates searched beyond the k needed, so that float32 search errors and ties at the
#: boundary cannot change the exact neighbour sets.
DEFAULT_MARGIN = 8
#: The distances of ``jaccard_distance``'s weights (see there).
WEIGHT_DISTANCES = ("squared_euclidean", "unit_dot")
#: A float32 distance decides on which side of a set boundary an item falls only when the gap to
#: the next candidate exceeds twice this many "standard deviations" of float32 rounding,
#: 2^-24 sqrt(d) (|x_i| + |x_j|)^2; other rows are re-scored in float64.
_F32_ERROR_SIGMAS = 8.0
#: Work budget (array elements) of one vectorised chunk; bounds the transient memory.
_CHUNK_ELEMENTS = 1 << 22


def k_reciprocal_rerank(query: Any, gallery: Any, k1: int = 20, k2: int = 6,
                        lambda_value: float = 0.3, *, metric: str = "euclidean",
                        use_gpu: str = "auto", margin: int = DEFAULT_MARGIN,
                        block_size: int = 4096) -> np.ndarray:
    """Re-ranked query x gallery distances (Zhong et al. 2017), equal to the dense original.

    final = (1 - lambda) * Jaccard(V_qe[q], V_qe[g]) + lambda * d(q, g) / m_q, where d is the squared
    Euclidean distance, m_q the largest distance of q to any of the N = Q + G items, and the
    encodings are built over all N items (queries included), as in the published code.

    Args:
        query: (Q, d) features.
        gallery: (G, d) features.
        k1: size of the k-reciprocal neighbourhood (paper: 20).
        k2: neighbours averaged by query expansion (paper: 6); 1 disables it.
        lambda_value: weight of the original distance (paper: 0.3).
        metric: ``"euclidean"`` (as given, the published code) or ``"cosine"`` (L2-normalise first).
        use_gpu: faiss device preference for the neighbour search.
        margin: extra neighbours searched beyond max(k1 + 1, k2), at least 1.
        block_size: distance tile side of the CPU neighbour search.

    Returns:
        (Q, G) float32 distances.
    """
    q = as_features(query, "query")
    g = as_features(gallery, "gallery", dim=q.shape[1])
    check_choice(metric, "metric", METRICS)
    nq = len(q)
    x = np.concatenate([q, g])
    del q, g
    if metric == "cosine":
        x = l2_normalize(x)
    n = len(x)
    k1 = check_k(k1, n - 1, "k1", "the number of query + gallery items minus one")
    k2 = check_k(k2, n, "k2", "the number of query + gallery items")
    lam = check_fraction(lambda_value, "lambda_value")
    norms = _squared_norms(x)
    half = int(np.around(k1 / 2))
    ranks, nn = _exact_neighbour_lists(x, norms, (k1 + 1, half + 1, k2), margin, use_gpu,
                                       block_size, with_farthest=True, keep_rows=nq)
    scale = np.where(nn.farthest > 0, nn.farthest, 1.0).astype(np.float64)
    v = _k_reciprocal_encoding(ranks, k1 + 1, half + 1, k2, scale,
                               lambda rows, cols: _pair_values(x, norms, nn, rows, cols))
    del ranks
    out = np.empty((nq, n - nq), dtype=np.float32)
    inv_index = v.tocsc()
    for rows in _row_chunks(v, inv_index, np.arange(nq), dense_width=n):
        s = _min_sum_dense(v, inv_index, rows, n)[:, nq:]
        s /= 2.0 - s  # Jaccard distance = 1 - S / (2 - S)
        block = nn.rows[rows, nq:] * (lam / scale[rows, None]).astype(np.float32)
        block += (1.0 - lam) * (1.0 - s)
        out[rows] = block
    return out


def jaccard_distance(features: Any, k1: int = 20, k2: int = 6, *, metric: str = "cosine",
                     weight_distance: str = "squared_euclidean", max_distance: float | None = None,
                     use_gpu: str = "auto", margin: int = DEFAULT_MARGIN, block_size: int = 4096) -> sp.csr_matrix:
    """All-vs-all k-reciprocal Jaccard distance for clustering, as a sparse neighbourhood graph.

    Follows ``compute_jaccard_distance`` of SpCL / OpenUnReID / DMT (``faiss_rerank.py``): the
    forward neighbour list of R(i, k1) has k1 entries (self included), weights are
    ``softmax(-||x_i - x_j||^2)`` over the expanded set, query expansion over the k2 nearest, and
    negative distances are clipped to 0.

    Only pairs whose encodings overlap are stored (their distance is < 1); every other pair has
    distance exactly 1 in the dense matrix. ``sklearn.cluster.DBSCAN(metric="precomputed")`` treats
    pairs missing from a sparse input as "not neighbours", so for ``eps < 1`` it gives the same
    clustering as on the dense matrix. Rows are sorted by distance (what scikit-learn expects);
    the diagonal (distance 0) is stored explicitly, so a point counts towards its own
    ``min_samples`` as it does with a dense matrix.

    Args:
        features: (N, d) features.
        k1, k2: neighbourhood and query-expansion sizes (SpCL: 30 and 6; DMT: 30 and 6).
        metric: ``"cosine"`` (L2-normalise first, as SpCL does) or ``"euclidean"`` (the raw features: DMT's
            stage 2 clusters track-smoothed features that are not unit-norm, with faiss ``IndexFlatL2``).
        weight_distance: the distance d in the weights ``softmax(-d)``: ``"squared_euclidean"``
            ``||x_i - x_j||^2``, or ``"unit_dot"`` ``2 - 2 <x_i, x_j>``, the formula of the code
            (``faiss_rerank.py``), equal to the former on unit-norm features only.
        max_distance: keep only entries <= this (e.g. the DBSCAN eps) to shrink the graph;
            None keeps every overlapping pair.
        use_gpu, margin, block_size: as in ``k_reciprocal_rerank``.

    Returns:
        (N, N) ``scipy.sparse.csr_matrix`` of float64 distances in [0, 1).
    """
    x = prepare_features(features, metric, "features")
    n = len(x)
    k1 = check_k(k1, n, "k1", "the feature set")
    k2 = check_k(k2, n, "k2", "the feature set")
    check_choice(weight_distance, "weight_distance", WEIGHT_DISTANCES)
    if max_distance is not None and not max_distance >= 0:
        raise ValueError(f"max_distance must be >= 0 or None, got {max_distance}")
    norms = _squared_norms(x)
    half = min(int(np.around(k1 / 2)) + 1, k1)
    ranks, nn = _exact_neighbour_lists(x, norms, (k1, half, k2), margin, use_gpu, block_size,
                                       with_farthest=False)

    def weight_distances(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        squared = _pair_values(x, norms, nn, rows, cols)
        if weight_distance == "unit_dot":  # 2 - 2 <x_i, x_j> = ||x_i - x_j||^2 - |x_i|^2 - |x_j|^2 + 2
            squared += 2.0 - norms[rows] - norms[cols]
        return squared

    v = _k_reciprocal_encoding(ranks, k1, half, k2, np.ones(n), weight_distances)
    del ranks
    inv_index = v.tocsc()
    blocks = []
    for rows in _row_chunks(v, inv_index, np.arange(n), dense_width=0):
        s = _min_sum_sparse(v, inv_index, rows, n)
        s.data = np.maximum(1.0 - s.data / (2.0 - s.data), 0.0)
        if max_distance is not None:
            s = _keep_entries(s, s.data <= max_distance)
        blocks.append(s)
    graph = sp.vstack(blocks, format="csr")
    return sort_graph_by_row_values(graph, copy=False, warn_when_not_sorted=False)


# --------------------------------------------------------------------------------------------
# neighbour lists


def _squared_norms(x: np.ndarray) -> np.ndarray:
    """(N,) float64 squared norms (products of float32 values are exact in float64)."""
    return np.einsum("ij,ij->i", x, x, dtype=np.float64)


def _exact_neighbour_lists(x: np.ndarray, norms: np.ndarray, set_sizes: tuple[int, ...],
                           margin: int, use_gpu: str, block_size: int, with_farthest: bool,
                           keep_rows: int = 0) -> tuple[np.ndarray, SelfKnn]:
    """Neighbour lists whose first f entries, for every f in ``set_sizes``, are exactly the f
    nearest items by distance, ties broken by the lower index.

    Returns (N, max(set_sizes)) int64 ranks and the faiss ``SelfKnn`` result (float32 candidate
    lists of length max(set_sizes) + margin, farthest distances, kept rows).
    """
    if margin < 1:
        raise ValueError(f"margin must be >= 1, got {margin}")
    n, d = x.shape
    keep = max(set_sizes)
    nn = self_knn(x, min(n, keep + margin), "euclidean", with_farthest=with_farthest,
                  keep_rows=keep_rows, use_gpu=use_gpu, block_size=block_size)
    cand, dist = nn.indices, nn.distances
    width = cand.shape[1]
    ranks = cand[:, :keep].copy()
    radius = np.sqrt(norms)
    error = _F32_ERROR_SIGMAS * 2.0 ** -24 * np.sqrt(d) * (radius + radius[cand].max(axis=1)) ** 2
    checked = [f for f in set_sizes if f < width]  # f == width only when width == N: no boundary
    ambiguous = np.zeros(n, dtype=bool)
    for f in checked:
        ambiguous |= dist[:, f] - dist[:, f - 1] <= 2.0 * error
    incomplete = [np.empty(0, dtype=np.int64)]
    for rows in _split(np.flatnonzero(ambiguous), _CHUNK_ELEMENTS // (width * d) + 1):
        c = cand[rows]
        d64 = _pair_squared_distances(x, norms, np.repeat(rows, width), c.ravel()).reshape(c.shape)
        order = np.lexsort((c, d64), axis=-1)
        ranks[rows] = np.take_along_axis(c, order[:, :keep], axis=1)
        if width < n:  # items outside the candidates are at least this far
            outside = dist[rows, width - 1] - error[rows]
            f_th = np.take_along_axis(d64, order[:, [f - 1 for f in set_sizes]], axis=1)
            incomplete.append(rows[(f_th >= outside[:, None]).any(axis=1)])
    for rows in _split(np.concatenate(incomplete), _CHUNK_ELEMENTS // n + 1):
        ranks[rows] = _brute_force_ranks(x, norms, rows, keep)
    return ranks, nn


def _split(rows: np.ndarray, size: int) -> list[np.ndarray]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def _brute_force_ranks(x: np.ndarray, norms: np.ndarray, rows: np.ndarray, keep: int) -> np.ndarray:
    """Stable float64 argsort of the full distance rows of ``rows`` (rare fallback)."""
    d64 = np.empty((len(rows), len(x)), dtype=np.float64)
    xr = x[rows].astype(np.float64)
    step = max(1, _CHUNK_ELEMENTS // x.shape[1])
    for start in range(0, len(x), step):
        stop = min(start + step, len(x))
        dot = xr @ x[start:stop].astype(np.float64).T
        d64[:, start:stop] = (norms[rows, None] + norms[None, start:stop]) - 2.0 * dot
    return np.argsort(d64, axis=1, kind="stable")[:, :keep]


def _pair_squared_distances(x: np.ndarray, norms: np.ndarray, rows: np.ndarray,
                            cols: np.ndarray) -> np.ndarray:
    """float64 ``||x[rows] - x[cols]||^2`` for index arrays of equal length (chunked gathers)."""
    out = np.empty(len(rows), dtype=np.float64)
    step = max(1, _CHUNK_ELEMENTS // x.shape[1])
    for start in range(0, len(rows), step):
        r, c = rows[start:start + step], cols[start:start + step]
        dot = np.einsum("ij,ij->i", x[r], x[c], dtype=np.float64)
        out[start:start + step] = (norms[r] + norms[c]) - 2.0 * dot
    return np.maximum(out, 0.0, out=out)


def _pair_values(x: np.ndarray, norms: np.ndarray, nn: SelfKnn, rows: np.ndarray,
                 cols: np.ndarray) -> np.ndarray:
    """Squared distances of index pairs: looked up in the (float32) candidate lists, computed in
    float64 for the pairs that are not in them."""
    n = len(x)
    cand_keys = (np.arange(n)[:, None] * n + nn.indices).ravel()
    order = np.argsort(cand_keys)
    cand_keys = cand_keys[order]
    keys = rows * n + cols
    pos = np.minimum(np.searchsorted(cand_keys, keys), len(cand_keys) - 1)
    found = cand_keys[pos] == keys
    out = np.empty(len(keys), dtype=np.float64)
    out[found] = nn.distances.ravel()[order[pos[found]]]
    missing = ~found
    out[missing] = _pair_squared_distances(x, norms, rows[missing], cols[missing])
    return out


# --------------------------------------------------------------------------------------------
# k-reciprocal encoding


def _reciprocal_pairs(ranks: np.ndarray, forward: int) -> tuple[np.ndarray, np.ndarray]:
    """R(i) = {j in ranks[i, :forward] : i in ranks[j, :forward]} as (rows, cols), rows ascending."""
    n = len(ranks)
    cols = ranks[:, :forward].ravel()
    rows = np.repeat(np.arange(n, dtype=np.int64), forward)
    keys = np.sort(rows * n + cols)
    keep = _isin_sorted(cols * n + rows, keys)
    return rows[keep], cols[keep]


def _isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[pos] == values


def _indptr(sorted_rows: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.bincount(sorted_rows, minlength=n))]).astype(np.int64)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each (s, l), vectorised."""
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum()), dtype=np.int64)


def _expanded_sets(r1_rows: np.ndarray, r1_cols: np.ndarray, rh_ptr: np.ndarray,
                   rh_cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """R*(i) = R(i, k1) united with every R(c, k1/2), c in R(i, k1), that shares more than 2/3 of
    its members with R(i, k1). Returns (rows, cols) sorted by row then column."""
    r1_keys = np.sort(r1_rows * n + r1_cols)
    rh_len = np.diff(rh_ptr)
    rows_out, cols_out = [r1_rows], [r1_cols]
    step = max(1, _CHUNK_ELEMENTS // max(1, int(rh_len.max(initial=1))))
    for start in range(0, len(r1_rows), step):
        i, c = r1_rows[start:start + step], r1_cols[start:start + step]
        lengths = rh_len[c]
        edge = np.repeat(np.arange(len(c)), lengths)
        members = rh_cols[_ranges(rh_ptr[c], lengths)]
        owner = i[edge]
        shared = _isin_sorted(owner * n + members, r1_keys)
        overlap = np.bincount(edge, weights=shared, minlength=len(c))
        accepted = (overlap > 2.0 / 3 * lengths)[edge]
        rows_out.append(owner[accepted])
        cols_out.append(members[accepted])
    keys = np.unique(np.concatenate([r * n + c for r, c in zip(rows_out, cols_out)]))
    return keys // n, keys % n


def _k_reciprocal_encoding(ranks: np.ndarray, forward: int, forward_half: int, k2: int,
                           scale: np.ndarray,
                           pair_distances: Callable[[np.ndarray, np.ndarray], np.ndarray]
                           ) -> sp.csr_matrix:
    """Sparse V_qe (N, N) float64: Gaussian weights exp(-d / scale_i) over the expanded
    k-reciprocal sets, rows summing to 1, then averaged over the k2 nearest neighbours.

    ``pair_distances(rows, cols)`` gives the squared distances of index pairs.
    """
    n = len(ranks)
    r1_rows, r1_cols = _reciprocal_pairs(ranks, forward)
    rh_rows, rh_cols = _reciprocal_pairs(ranks, forward_half)
    rows, cols = _expanded_sets(r1_rows, r1_cols, _indptr(rh_rows, n), rh_cols, n)
    weights = np.exp(-pair_distances(rows, cols) / scale[rows])
    weights /= np.bincount(rows, weights=weights, minlength=n)[rows]
    v = sp.csr_matrix((weights, cols, _indptr(rows, n)), shape=(n, n))
    if k2 > 1:
        expansion = sp.csr_matrix((np.full(n * k2, 1.0 / k2), ranks[:, :k2].ravel(),
                                   np.arange(0, n * k2 + 1, k2)), shape=(n, n))
        v = expansion @ v
    v.sort_indices()
    return v


# --------------------------------------------------------------------------------------------
# Jaccard: S[i, j] = sum_k min(V[i, k], V[j, k]) through the inverted index


def _row_chunks(v: sp.csr_matrix, inv_index: sp.csc_matrix, rows: np.ndarray,
                dense_width: int) -> Iterator[np.ndarray]:
    """Split ``rows`` into consecutive chunks whose work (terms of the min-sum expansion, plus
    ``dense_width`` output entries per row) stays near the chunk budget."""
    entry_cost = np.diff(inv_index.indptr)[v.indices]
    entry_row = np.repeat(np.arange(v.shape[0]), np.diff(v.indptr))
    cost = np.bincount(entry_row, weights=entry_cost, minlength=v.shape[0])[rows] + dense_width
    chunk_of_row = (np.cumsum(cost) - cost) // _CHUNK_ELEMENTS
    yield from np.split(rows, np.flatnonzero(np.diff(chunk_of_row)) + 1)


def _min_terms(v: sp.csr_matrix, inv_index: sp.csc_matrix, rows: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows i and every item j sharing a column k with i: (local row, j, min(V[i,k], V[j,k]))."""
    sub = v[rows]
    local = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
    k, val = sub.indices, sub.data
    lengths = np.diff(inv_index.indptr)[k]
    pos = _ranges(inv_index.indptr[k], lengths)
    return (np.repeat(local, lengths), inv_index.indices[pos],
            np.minimum(np.repeat(val, lengths), inv_index.data[pos]))


def _min_sum_dense(v: sp.csr_matrix, inv_index: sp.csc_matrix, rows: np.ndarray,
                   n: int) -> np.ndarray:
    local, j, m = _min_terms(v, inv_index, rows)
    return np.bincount(local * n + j, weights=m, minlength=len(rows) * n).reshape(len(rows), n)


def _min_sum_sparse(v: sp.csr_matrix, inv_index: sp.csc_matrix, rows: np.ndarray,
                    n: int) -> sp.csr_matrix:
    local, j, m = _min_terms(v, inv_index, rows)
    return sp.csr_matrix((m, (local, j)), shape=(len(rows), n))  # sums duplicate (i, j) terms


def _keep_entries(s: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    rows = np.repeat(np.arange(s.shape[0]), np.diff(s.indptr))[keep]
    return sp.csr_matrix((s.data[keep], s.indices[keep], _indptr(rows, s.shape[0])), shape=s.shape)
