"""common.retrieval.knn: faiss search equals brute force; approximate indexes keep high recall;
the all-vs-all tiled search equals a plain search, with farthest distances and kept rows."""
import faiss
import numpy as np
import pytest

from common.retrieval.knn import KnnIndex, farthest_distances, knn_search, self_knn


def brute_force(q, g, metric):
    q, g = q.astype(np.float64), g.astype(np.float64)
    if metric == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        g = g / np.linalg.norm(g, axis=1, keepdims=True)
        return 1.0 - q @ g.T
    return ((q[:, None, :] - g[None, :, :]) ** 2).sum(-1)


def features(seed, n, dim, ids=None):
    rng = np.random.default_rng(seed)
    if ids is None:
        return rng.standard_normal((n, dim)).astype(np.float32)
    centres = rng.standard_normal((ids, dim)) * 3
    return (centres[rng.integers(0, ids, n)] + rng.standard_normal((n, dim))).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_flat_search_equals_brute_force(metric):
    q, g = features(0, 130, 24), features(1, 900, 24)
    ref = brute_force(q, g, metric)
    dist, idx = knn_search(q, g, 15, metric, chunk_size=37)  # several query chunks
    np.testing.assert_array_equal(idx, np.argsort(ref, axis=1, kind="stable")[:, :15])
    np.testing.assert_allclose(dist, np.take_along_axis(ref, idx, 1), atol=1e-4)
    assert np.all(np.diff(dist, axis=1) >= 0)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_indexes_have_high_recall(kind):
    g = features(2, 4000, 32, ids=80)
    q = features(3, 200, 32, ids=80)
    exact = np.argsort(brute_force(q, g, "cosine"), axis=1)[:, :10]
    _, idx = KnnIndex(g, "cosine", kind).search(q, 10)
    recall = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(idx, exact)])
    assert recall >= 0.9


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("method", ["tiles", "search"])
def test_self_knn_equals_brute_force(metric, method):
    x = features(4, 1000, 16)
    ref = brute_force(x, x, metric)
    res = self_knn(x, 12, metric, with_farthest=True, keep_rows=150, method=method, block_size=333)
    np.testing.assert_array_equal(res.indices, np.argsort(ref, axis=1, kind="stable")[:, :12])
    np.testing.assert_allclose(res.distances, np.take_along_axis(ref, res.indices, 1), atol=1e-4)
    np.testing.assert_allclose(res.farthest, ref.max(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(res.rows, ref[:150], atol=1e-4)
    assert np.all(res.indices[:, 0] == np.arange(1000))  # every item is its own nearest


def test_farthest_distances_between_sets():
    q, g = features(5, 50, 8) * 3, features(6, 400, 8)
    for metric in ("cosine", "euclidean"):
        np.testing.assert_allclose(farthest_distances(q, g, metric), brute_force(q, g, metric).max(1),
                                   rtol=1e-5, atol=1e-5)


def test_self_knn_without_extras_returns_none():
    res = self_knn(features(7, 100, 4), 3)
    assert res.farthest is None and res.rows is None


@pytest.mark.parametrize("call,match", [
    (lambda q, g: knn_search(q, g, 41), "k=41 is larger than the gallery \\(40 items\\)"),
    (lambda q, g: knn_search(q, g[:, :3], 2), "query has feature dimension 4, expected 3"),
    (lambda q, g: knn_search(q * np.nan, g, 2), "query contains NaN"),
    (lambda q, g: knn_search(q, g, 0), "k must be at least 1"),
    (lambda q, g: knn_search(q, g, 2, metric="l1"), "metric must be one of"),
    (lambda q, g: knn_search(q, g, 2, kind="pq"), "kind must be one of"),
    (lambda q, g: self_knn(g, 2, method="fast"), "method must be one of"),
    (lambda q, g: self_knn(g, 2, keep_rows=41), "keep_rows=41 is larger"),
])
def test_bad_input_gives_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(features(8, 5, 4), features(9, 40, 4))


@pytest.mark.skipif(faiss.get_num_gpus() > 0, reason="needs a machine without a GPU")
def test_gpu_request_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="no GPU"):
        knn_search(features(10, 5, 4), features(11, 20, 4), 2, use_gpu="gpu")
