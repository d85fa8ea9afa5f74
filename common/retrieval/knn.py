"""Nearest neighbours through faiss: exact (flat) or approximate (IVF, HNSW) search of a gallery,
on a GPU when ``common.device.faiss_use_gpu`` says so, and the all-vs-all neighbour graph that
re-ranking needs.

Distances: ``"euclidean"`` is the squared Euclidean distance ``||x - y||^2`` (faiss' L2 metric);
``"cosine"`` is ``1 - cos(x, y)`` (features are L2-normalised, then searched by inner product).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from ..device import faiss_use_gpu
from ._validate import as_features, check_choice, check_k

METRICS = ("cosine", "euclidean")
INDEX_KINDS = ("flat", "ivf", "hnsw")


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (N, d) scaled to unit L2 norm (all-zero rows stay zero); returns float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64)).astype(np.float32)
    return x / np.maximum(norms, np.finfo(np.float32).tiny)[:, None]


def prepare_features(x: Any, metric: str, name: str, dim: int | None = None) -> np.ndarray:
    """Validated float32 ``(N, d)`` features, L2-normalised when ``metric == "cosine"``."""
    check_choice(metric, "metric", METRICS)
    x = as_features(x, name, dim=dim)
    return l2_normalize(x) if metric == "cosine" else x


def _faiss_metric(metric: str) -> int:
    return faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2


def _to_distance(raw: np.ndarray, metric: str) -> np.ndarray:
    """faiss scores -> distances in place (inner product -> 1 - cos; L2 clipped at 0)."""
    if metric == "cosine":
        np.subtract(1.0, raw, out=raw)
    else:
        np.maximum(raw, 0.0, out=raw)
    return raw


class KnnIndex:
    """A faiss index over gallery features.

    Args:
        gallery: (G, d) features.
        metric: ``"cosine"`` or ``"euclidean"`` (squared).
        kind: ``"flat"`` (exact), ``"ivf"`` (inverted file, approximate; for millions of items)
            or ``"hnsw"`` (graph, approximate; CPU only).
        use_gpu: ``"auto"``, ``"gpu"`` or ``"cpu"``, resolved by ``common.device.faiss_use_gpu``;
            HNSW always stays on the CPU.
        nlist / nprobe: IVF cells and cells visited per query (defaults ``4 sqrt(G)`` capped so
            each cell gets 39 training points, and ``nlist // 8``).
        hnsw_m / ef_construction / ef_search: HNSW graph degree and beam widths
            (``ef_search`` defaults to ``max(64, 2 k)`` at search time).
        seed: seed of the IVF k-means.
    """

    def __init__(self, gallery: Any, metric: str = "cosine", kind: str = "flat", *,
                 use_gpu: str = "auto", nlist: int | None = None, nprobe: int | None = None,
                 hnsw_m: int = 32, ef_construction: int = 80, ef_search: int | None = None,
                 seed: int = 0) -> None:
        check_choice(kind, "kind", INDEX_KINDS)
        x = prepare_features(gallery, metric, "gallery")
        self.metric, self.kind = metric, kind
        self.ntotal, self.dim = x.shape
        self.ef_search = ef_search
        fmetric = _faiss_metric(metric)
        if kind == "flat":
            index = faiss.IndexFlat(self.dim, fmetric)
        elif kind == "ivf":
            nlist = nlist or max(1, min(int(4 * np.sqrt(self.ntotal)), self.ntotal // 39))
            check_k(nlist, self.ntotal, "nlist", "the gallery")
            index = faiss.IndexIVFFlat(faiss.IndexFlat(self.dim, fmetric), self.dim, nlist, fmetric)
            index.cp.seed = seed
            index.train(x)
            nprobe = check_k(nprobe or max(1, nlist // 8), nlist, "nprobe", "nlist")
        else:
            index = faiss.IndexHNSWFlat(self.dim, hnsw_m, fmetric)
            index.hnsw.efConstruction = ef_construction
        index, self._gpu_resources = _on_device(index, "cpu" if kind == "hnsw" else use_gpu)
        self.on_gpu = self._gpu_resources is not None
        if kind == "ivf":
            index.nprobe = nprobe  # set on the final (CPU or GPU) index
        index.add(x)
        self.index = index

    def search(self, query: Any, k: int, chunk_size: int = 16384) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest gallery items of each query, nearest first.

        Args:
            query: (Q, d) features.
            k: neighbours per query (at most the gallery size).
            chunk_size: queries searched per faiss call (bounds the memory of one call).

        Returns:
            distances (Q, k) float32 ascending, indices (Q, k) int64. An approximate index that finds
            fewer than ``k`` items for a query pads with index -1 and distance ``inf``.
        """
        k = check_k(k, self.ntotal, "k", "the gallery")
        q = prepare_features(query, self.metric, "query", dim=self.dim)
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = self.ef_search or max(64, 2 * k)
        dist = np.empty((len(q), k), dtype=np.float32)
        idx = np.empty((len(q), k), dtype=np.int64)
        for start in range(0, len(q), chunk_size):
            stop = min(start + chunk_size, len(q))
            raw, found = self.index.search(q[start:stop], k)
            dist[start:stop] = _to_distance(raw, self.metric)
            idx[start:stop] = found
        dist[idx < 0] = np.inf
        return dist, idx


def knn_search(query: Any, gallery: Any, k: int, metric: str = "cosine", kind: str = "flat", *,
               use_gpu: str = "auto", chunk_size: int = 16384, **index_kwargs: Any
               ) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` gallery neighbours of each query: ``KnnIndex(gallery, ...).search(query, k)``.

    Returns distances (Q, k) float32 ascending and indices (Q, k) int64.
    """
    index = KnnIndex(gallery, metric, kind, use_gpu=use_gpu, **index_kwargs)
    return index.search(query, k, chunk_size=chunk_size)


def farthest_distances(query: Any, gallery: Any, metric: str = "cosine", *, use_gpu: str = "auto",
                       chunk_size: int = 16384) -> np.ndarray:
    """Distance from each query to its farthest gallery item, (Q,) float32, by one exact faiss
    maximum-inner-product search.

    Cosine: ``1 - min cos = 1 + max <-q, g>``. Squared Euclidean:
    ``||q||^2 + max <[-2q, 1], [g, ||g||^2]>`` (augmented vectors).
    """
    g = prepare_features(gallery, metric, "gallery")
    q = prepare_features(query, metric, "query", dim=g.shape[1])
    if metric == "cosine":
        g_aug, q_aug, offset = g, -q, np.ones(len(q), dtype=np.float32)
    else:
        g_norm = np.einsum("ij,ij->i", g, g)[:, None]
        g_aug = np.hstack([g, g_norm])
        q_aug = np.hstack([-2.0 * q, np.ones((len(q), 1), dtype=np.float32)])
        offset = np.einsum("ij,ij->i", q, q)
    index, _resources = _on_device(faiss.IndexFlatIP(g_aug.shape[1]), use_gpu)
    index.add(np.ascontiguousarray(g_aug, dtype=np.float32))
    q_aug = np.ascontiguousarray(q_aug, dtype=np.float32)
    best = np.empty(len(q), dtype=np.float32)
    for start in range(0, len(q), chunk_size):
        raw, _ = index.search(q_aug[start:start + chunk_size], 1)
        best[start:start + chunk_size] = raw[:, 0]
    return np.maximum(offset + best, 0.0).astype(np.float32)


def _on_device(index: Any, use_gpu: str) -> tuple[Any, Any]:
    """``index`` moved to GPU 0 when faiss should use a GPU; returns (index, GPU resources or None).
    The resources must stay referenced as long as the index is used."""
    if not faiss_use_gpu(use_gpu):
        return index, None
    resources = faiss.StandardGpuResources()
    return faiss.index_cpu_to_gpu(resources, 0, index), resources


@dataclass(frozen=True)
class SelfKnn:
    """All-vs-all neighbour lists of one feature set (each item is normally its own first neighbour).

    Attributes:
        distances: (N, k) float32, ascending.
        indices: (N, k) int64.
        farthest: (N,) float32 distance to the farthest item, or None when not asked for.
        rows: (keep_rows, N) float32 full distance rows of the first ``keep_rows`` items, or None.
    """
    distances: np.ndarray
    indices: np.ndarray
    farthest: np.ndarray | None = None
    rows: np.ndarray | None = None


def self_knn(features: Any, k: int, metric: str = "cosine", *, with_farthest: bool = False,
             keep_rows: int = 0, use_gpu: str = "auto", method: str = "auto",
             block_size: int = 4096) -> SelfKnn:
    """Exact ``k`` nearest neighbours of every item among all items (self included).

    Args:
        features: (N, d).
        k: neighbours per item, at most N.
        metric: ``"cosine"`` or ``"euclidean"`` (squared).
        with_farthest: also return each item's farthest distance (re-ranking normalises by it).
        keep_rows: also return the full distance rows of the first ``keep_rows`` items (the
            query x all block that re-ranking mixes in), taken from the tiles when tiling.
        use_gpu: faiss device preference (see ``common.device.faiss_use_gpu``).
        method: ``"tiles"`` computes each symmetric pair of (block_size x block_size) distance tiles
            once with faiss' BLAS kernel and feeds it to faiss' k-selection heaps for both its rows
            and columns (half the distance computations of a plain search, farthest distance for
            free; CPU). ``"search"`` runs a faiss flat-index search, plus one maximum-inner-product
            search for the farthest distances (GPU). ``"auto"``: search on GPU, tiles on CPU.
        block_size: tile side for ``"tiles"`` (memory ~ 3 block_size^2 floats).
    """
    check_choice(method, "method", ("auto", "tiles", "search"))
    x = prepare_features(features, metric, "features")
    k = check_k(k, len(x), "k", "the feature set")
    keep_rows = check_k(keep_rows, len(x), "keep_rows", "the feature set", minimum=0)
    if method == "auto":
        method = "search" if faiss_use_gpu(use_gpu) else "tiles"
    if method == "tiles":
        return _self_knn_tiles(x, k, metric, with_farthest, keep_rows, block_size)
    dist, idx = KnnIndex(x, metric, "flat", use_gpu=use_gpu).search(x, k)
    far = farthest_distances(x, x, metric, use_gpu=use_gpu) if with_farthest else None
    rows = None
    if keep_rows:
        rows = np.empty((keep_rows, len(x)), dtype=np.float32)
        for start in range(0, keep_rows, block_size):
            block = faiss.pairwise_distances(x[start:start + block_size][:keep_rows - start], x,
                                             _faiss_metric(metric))
            rows[start:start + len(block)] = _to_distance(block, metric)
    return SelfKnn(dist, idx, far, rows)


def _self_knn_tiles(x: np.ndarray, k: int, metric: str, with_farthest: bool, keep_rows: int,
                    block_size: int) -> SelfKnn:
    n = len(x)
    dist = np.empty((n, k), dtype=np.float32)
    idx = np.empty((n, k), dtype=np.int64)
    heaps = faiss.float_maxheap_array_t()  # keeps the k smallest values per row
    heaps.nh, heaps.k = n, k
    heaps.val, heaps.ids = faiss.swig_ptr(dist), faiss.swig_ptr(idx)
    heaps.heapify()
    far = np.full(n, -np.inf, dtype=np.float32) if with_farthest else None
    rows = np.empty((keep_rows, n), dtype=np.float32) if keep_rows else None
    buffer = np.empty(min(block_size, n) ** 2, dtype=np.float32)  # reused for transposed tiles
    fmetric = _faiss_metric(metric)
    for a in range(0, n, block_size):
        xa = x[a:a + block_size]
        for b in range(a, n, block_size):
            xb = x[b:b + block_size]
            tile = faiss.pairwise_distances(xa, xb, fmetric)
            if metric == "cosine":  # squared L2 is clipped at 0 once, on the outputs
                _to_distance(tile, metric)
            heaps.addn(len(xb), faiss.swig_ptr(tile), b, a, len(xa))
            if a < keep_rows:
                rows[a:a + len(xa), b:b + len(xb)] = tile[:keep_rows - a]
            if b != a:
                tile_t = _transpose_into(tile, buffer[:tile.size].reshape(len(xb), len(xa)))
                heaps.addn(len(xa), faiss.swig_ptr(tile_t), a, b, len(xb))
                if b < keep_rows:
                    rows[b:b + len(xb), a:a + len(xa)] = tile_t[:keep_rows - b]
            if far is not None:  # row maxima (a diagonal tile is symmetric)
                np.maximum(far[a:a + len(xa)], tile.max(axis=1), out=far[a:a + len(xa)])
                if b != a:
                    np.maximum(far[b:b + len(xb)], tile_t.max(axis=1), out=far[b:b + len(xb)])
    heaps.reorder()
    if metric == "euclidean":
        for out in (dist, far, rows):
            if out is not None:
                np.maximum(out, 0.0, out=out)
    return SelfKnn(dist, idx, far, rows)


def _transpose_into(tile: np.ndarray, out: np.ndarray, strip: int = 64) -> np.ndarray:
    """``out[:] = tile.T`` in strips of ``strip`` rows (a whole transposed copy thrashes the cache
    and is several times slower)."""
    for start in range(0, tile.shape[0], strip):
        np.copyto(out[:, start:start + strip], tile[start:start + strip].T)
    return out
