"""Sparse k-reciprocal re-ranking and Jaccard distance equal the dense original (written from the
published algorithm in common.retrieval.rerank_dense), and the Jaccard graph clusters with DBSCAN."""
import numpy as np
import pytest
from sklearn.cluster import DBSCAN

import common.retrieval.rerank as rerank
from common.retrieval.rerank import jaccard_distance, k_reciprocal_rerank
from common.retrieval.rerank_dense import jaccard_distance_dense, k_reciprocal_rerank_dense


def clustered(seed, n, dim, ids, noise=0.6):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((ids, dim))
    labels = rng.integers(0, ids, n)
    return (centres[labels] + noise * rng.standard_normal((n, dim))).astype(np.float32), labels


def random_features(seed, n, dim):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def integer_features_with_duplicates(seed, n_unique, dim, copies):
    """Exactly representable features (every distance is exact in float32 and float64), with rows
    repeated: self and duplicates tie at distance 0, duplicated neighbours tie at every boundary."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (n_unique, dim)).astype(np.float32)
    return x[rng.permutation(np.repeat(np.arange(n_unique), copies))]


def assert_same_ranking(ours, ref, top=100, tol=1e-5):
    """Identical top-``top`` rankings, ties (reference values within ``tol``) aside."""
    top = min(top, ref.shape[1])
    ours_order = np.argsort(ours, axis=1, kind="stable")[:, :top]
    ref_sorted = np.sort(ref, axis=1)[:, :top]
    np.testing.assert_allclose(np.take_along_axis(ref, ours_order, axis=1), ref_sorted, atol=tol, rtol=0)


CASES = [  # (features, Q, k1, k2, lambda, metric)
    ("random", 120, 20, 6, 0.3, "euclidean"),
    ("random", 60, 7, 2, 0.6, "euclidean"),
    ("clustered", 100, 20, 6, 0.3, "euclidean"),
    ("clustered", 100, 20, 1, 0.3, "euclidean"),
    ("clustered", 80, 30, 8, 0.3, "cosine"),
    ("clustered", 150, 5, 3, 0.0, "cosine"),
    ("clustered", 40, 20, 6, 1.0, "euclidean"),
]


@pytest.mark.parametrize("kind,nq,k1,k2,lam,metric", CASES)
def test_sparse_rerank_equals_dense(kind, nq, k1, k2, lam, metric):
    x = random_features(1, 700, 24) if kind == "random" else clustered(2, 900, 32, 40)[0]
    q, g = x[:nq], x[nq:]
    ours = k_reciprocal_rerank(q, g, k1, k2, lam, metric=metric)
    ref = k_reciprocal_rerank_dense(q, g, k1, k2, lam, metric=metric, dtype=np.float64)
    assert ours.shape == (nq, len(g)) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    assert_same_ranking(ours, ref)
    if lam < 1:  # re-ranking really changed the order relative to the original distance
        plain = ((q[:, None, :] - g[None, :, :]) ** 2).sum(-1)
        assert (np.argsort(ours, 1)[:, :10] != np.argsort(plain, 1)[:, :10]).any()


@pytest.mark.parametrize("k2", [1, 6])
@pytest.mark.parametrize("copies", [2, 11])  # 11 copies exceed the candidate margin (8)
def test_duplicated_features_equal_dense(k2, copies):
    x = integer_features_with_duplicates(3, 700 // copies, 6, copies)
    q, g = x[:50], x[50:]
    ours = k_reciprocal_rerank(q, g, 20, k2, 0.3)
    ref = k_reciprocal_rerank_dense(q, g, 20, k2, 0.3, dtype=np.float64)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    assert_same_ranking(ours, ref)


def test_query_set_equal_to_gallery_set():
    # VisDA's clustering calls re_ranking(feats, feats): every item appears twice.
    x, _ = clustered(4, 300, 16, 20)
    ours = k_reciprocal_rerank(x, x, 20, 6, 0.3)
    ref = k_reciprocal_rerank_dense(x, x, 20, 6, 0.3, dtype=np.float64)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_float64_decisions_paths_give_the_same_result(monkeypatch):
    """Deciding every row in float64, none beyond ties, and with tiny chunks all agree."""
    x, _ = clustered(5, 800, 20, 30)
    base = k_reciprocal_rerank(x[:90], x[90:], 20, 6, 0.3)
    monkeypatch.setattr(rerank, "_F32_ERROR_SIGMAS", 1e9)  # every row re-scored in float64
    np.testing.assert_allclose(k_reciprocal_rerank(x[:90], x[90:], 20, 6, 0.3), base, atol=1e-6)
    monkeypatch.setattr(rerank, "_F32_ERROR_SIGMAS", 8.0)
    monkeypatch.setattr(rerank, "_CHUNK_ELEMENTS", 500)  # many small chunks everywhere
    np.testing.assert_allclose(k_reciprocal_rerank(x[:90], x[90:], 20, 6, 0.3, block_size=97),
                               base, atol=1e-6)


def test_tiny_margin_still_exact():
    x = integer_features_with_duplicates(6, 150, 5, 3)
    ours = k_reciprocal_rerank(x[:40], x[40:], 10, 4, 0.3, margin=1)
    ref = k_reciprocal_rerank_dense(x[:40], x[40:], 10, 4, 0.3)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def dense_from_graph(graph):
    full = np.ones(graph.shape)
    rows = np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))
    full[rows, graph.indices] = graph.data
    return full


@pytest.mark.parametrize("k1,k2,metric", [(20, 6, "cosine"), (30, 6, "cosine"), (10, 1, "euclidean")])
def test_sparse_jaccard_equals_dense(k1, k2, metric):
    x, _ = clustered(7, 700, 24, 30)
    graph = jaccard_distance(x, k1, k2, metric=metric)
    ref = jaccard_distance_dense(x, k1, k2, metric=metric, dtype=np.float64)
    assert graph.shape == (700, 700)
    np.testing.assert_allclose(dense_from_graph(graph), ref, atol=1e-6, rtol=0)
    # the diagonal is stored (a point is its own neighbour, as with a dense matrix) and ~0
    for i in range(700):
        assert i in graph.indices[graph.indptr[i]:graph.indptr[i + 1]]
    assert np.all(graph.diagonal() <= 1e-12)
    assert graph.nnz < 0.5 * 700 * 700  # really sparse
    # rows sorted by value, as scikit-learn expects for precomputed sparse input
    for i in range(0, 700, 97):
        row = graph.data[graph.indptr[i]:graph.indptr[i + 1]]
        assert np.all(np.diff(row) >= 0)


def test_jaccard_dbscan_equals_dense_and_recovers_identities():
    rng = np.random.default_rng(8)
    centres = rng.standard_normal((25, 64)) * 4
    labels = np.repeat(np.arange(25), 24)
    x = (centres[labels] + rng.standard_normal((len(labels), 64))).astype(np.float32)
    graph = jaccard_distance(x, 20, 6)
    sparse_labels = DBSCAN(eps=0.6, min_samples=4, metric="precomputed").fit_predict(graph)
    dense_labels = DBSCAN(eps=0.6, min_samples=4, metric="precomputed").fit_predict(
        jaccard_distance_dense(x, 20, 6, dtype=np.float64))
    np.testing.assert_array_equal(sparse_labels, dense_labels)
    # well-separated identities: one cluster per identity, no noise
    assert (sparse_labels >= 0).all()
    assert len(np.unique(sparse_labels)) == 25
    for ident in range(25):
        assert len(np.unique(sparse_labels[labels == ident])) == 1


def test_jaccard_dbscan_equals_dense_on_overlapping_clusters():
    x, _ = clustered(9, 600, 16, 15, noise=1.5)  # overlapping: noise points and merges happen
    graph = jaccard_distance(x, 20, 6)
    dense = jaccard_distance_dense(x, 20, 6, dtype=np.float64)
    for eps in (0.4, 0.55, 0.7):
        a = DBSCAN(eps=eps, min_samples=4, metric="precomputed").fit_predict(graph)
        b = DBSCAN(eps=eps, min_samples=4, metric="precomputed").fit_predict(dense)
        np.testing.assert_array_equal(a, b)
        assert len(np.unique(a)) > 2 and (a == -1).any()  # a non-trivial clustering
        # keeping only the entries <= eps changes nothing for DBSCAN
        pruned = jaccard_distance(x, 20, 6, max_distance=eps)
        assert pruned.nnz < graph.nnz and pruned.data.max() <= eps
        np.testing.assert_array_equal(
            DBSCAN(eps=eps, min_samples=4, metric="precomputed").fit_predict(pruned), a)


@pytest.mark.parametrize("call,match", [
    (lambda q, g: k_reciprocal_rerank(np.full_like(q, np.nan), g), "query contains NaN"),
    (lambda q, g: k_reciprocal_rerank(q, np.vstack([g[:-1], [g[0] * np.inf]])), "gallery contains NaN or infinite"),
    (lambda q, g: k_reciprocal_rerank(q, g[:, :3]), "gallery has feature dimension 3, expected 4"),
    (lambda q, g: k_reciprocal_rerank(q, g, k1=30), "k1=30 is larger than"),
    (lambda q, g: k_reciprocal_rerank(q, g, k2=31), "k2=31 is larger than"),
    (lambda q, g: k_reciprocal_rerank(q, g, lambda_value=1.5), "lambda_value must lie in"),
    (lambda q, g: k_reciprocal_rerank(q, g, metric="cos"), "metric must be one of"),
    (lambda q, g: k_reciprocal_rerank(q[0], g), "query must be a 2-D array"),
    (lambda q, g: k_reciprocal_rerank(q, g, margin=0), "margin must be >= 1"),
    (lambda q, g: jaccard_distance(g, k1=40), "k1=40 is larger than the feature set"),
    (lambda q, g: jaccard_distance(g, max_distance=-1), "max_distance must be >= 0"),
])
def test_bad_input_gives_a_clear_error(call, match):
    x = random_features(10, 30, 4)
    with pytest.raises(ValueError, match=match):
        call(x[:5], x[5:])


@pytest.mark.slow
def test_sparse_rerank_equals_dense_at_n_20000():
    """The issue's size: N = 20,000 (integer features: the float32 dense reference is exact)."""
    rng = np.random.default_rng(11)
    centres = rng.integers(-40, 41, (700, 16))
    x = (centres[rng.integers(0, 700, 20000)] + rng.integers(-6, 7, (20000, 16))).astype(np.float32)
    q, g = x[:1103], x[1103:]
    ours = k_reciprocal_rerank(q, g, 20, 6, 0.3)
    ref = k_reciprocal_rerank_dense(q, g, 20, 6, 0.3, dtype=np.float32)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    assert_same_ranking(ours, ref)
