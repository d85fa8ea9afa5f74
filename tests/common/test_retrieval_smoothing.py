"""knn_feature_smoothing equals a per-row loop of the published mergesetfeat (each row with its
own min(knn, #positive similarities), see the module docstring)."""
import numpy as np
import pytest

from common.retrieval.smoothing import knn_feature_smoothing


def mergesetfeat_loop(x, ref, beta, knn):
    x = x.astype(np.float64).copy()
    for i in range(len(x)):
        sim = ref @ x[i]
        cand, sim = ref[sim > 0], sim[sim > 0]
        if len(sim) == 0:
            continue
        order = np.argsort(-sim, kind="stable")[:2 * knn]
        sim, cand = sim[order], cand[order]
        k = min(knn, len(sim))
        pos = np.exp((sim[:k] - 1) / beta)
        neg = np.ones(len(sim) - k)
        update = (pos / pos.sum()) @ cand[:k]
        if len(neg):
            update -= (neg / neg.sum()) @ cand[k:]
        x[i] += 0.2 * update
        x[i] /= np.linalg.norm(x[i])
    return x


def unit(seed, n, dim):
    x = np.random.default_rng(seed).standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("knn,beta", [(5, 0.03), (20, 0.08), (100, 0.03)])
def test_equals_mergesetfeat_loop(knn, beta):
    g, q = unit(0, 300, 6), unit(1, 40, 6)  # in 6-d about half the similarities are negative
    ours = knn_feature_smoothing(q, g, knn=knn, beta=beta)
    np.testing.assert_allclose(ours, mergesetfeat_loop(q, g, beta, knn), atol=2e-5)
    positives = ((q @ g.T) > 0).sum(axis=1)
    assert (positives <= 2 * knn).any() == (knn == 100)  # knn=100: fewer than 2*knn positives


def test_rounds_repeat_against_a_fixed_reference():
    g = unit(2, 200, 8)
    once = knn_feature_smoothing(g, g, knn=10, beta=0.05)
    expected = mergesetfeat_loop(mergesetfeat_loop(mergesetfeat_loop(g, g, 0.05, 10), g, 0.05, 10),
                                 g, 0.05, 10)
    np.testing.assert_allclose(knn_feature_smoothing(g, g, knn=10, beta=0.05, rounds=3), expected,
                               atol=5e-5)
    assert not np.allclose(once, g, atol=1e-3)


def test_row_without_positive_similarity_is_unchanged():
    ref = unit(3, 20, 4)
    ref[:, 0] = np.abs(ref[:, 0]) + 0.5
    x = np.array([[-1.0, 0.0, 0.0, 0.0]], dtype=np.float32)  # negative with every reference
    np.testing.assert_array_equal(knn_feature_smoothing(x, ref, knn=3), x)


def test_smoothing_errors():
    g = unit(4, 10, 3)
    with pytest.raises(ValueError, match="knn=11 is larger than the reference set"):
        knn_feature_smoothing(g, g, knn=11)
    with pytest.raises(ValueError, match="reference has feature dimension 3, expected 2"):
        knn_feature_smoothing(g[:, :2], g, knn=2)
    with pytest.raises(ValueError, match="beta must be > 0"):
        knn_feature_smoothing(g, g, knn=2, beta=0)


def mergesetfeat_published(x, ref, beta, knn):
    """The VisDA-2020 winner's ``mergesetfeat`` (utils/reid_metric.py) re-stated: ``knn`` is
    reassigned inside the row loop and so carries over to the later rows."""
    x = x.astype(np.float64).copy()
    for i in range(len(x)):
        sim = ref @ x[i]
        cand, sim = ref[sim > 0], sim[sim > 0]
        if len(sim) > 0:
            order = np.argsort(-sim, kind="stable")
            if len(sim) > 2 * knn:
                sim, cand = sim[order[:2 * knn]], cand[order[:2 * knn]]
            else:
                sim, cand = sim[order], cand[order]
                knn = min(knn, len(sim))
            pos = np.exp((sim[:knn] - 1) / beta)
            neg = np.ones(len(sim) - knn)
            update = (pos / pos.sum()) @ cand[:knn] if knn else 0.0
            if len(neg):
                update = update - (neg / neg.sum()) @ cand[knn:]
            x[i] += 0.2 * update
            x[i] /= np.linalg.norm(x[i])
    return x


def test_carry_knn_equals_the_published_loop():
    g, q = unit(5, 60, 4), unit(6, 60, 4)  # in 4-d about half of the 60 similarities are positive
    positives = ((q @ g.T) > 0).sum(axis=1)
    assert (positives[:-10] < 25).any()  # knn shrinks below 25 well before the last row
    ours = knn_feature_smoothing(q, g, knn=25, beta=0.05, carry_knn=True)
    np.testing.assert_allclose(ours, mergesetfeat_published(q, g, 0.05, 25), atol=2e-5)
    assert not np.allclose(ours, knn_feature_smoothing(q, g, knn=25, beta=0.05), atol=1e-4)
