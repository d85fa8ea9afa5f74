"""common.retrieval.tracks equals per-track loops of DMT's tracklet averaging and weighted
image-to-track features."""
import numpy as np
import pytest

from common.retrieval.tracks import (blend_with_track_mean, track_mean_features,
                                     track_to_image_distances, weighted_track_features)


def data(seed, n=200, dim=8, tracks=30):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)).astype(np.float32), rng.integers(0, tracks, n) * 3 + 5


def test_track_mean_equals_loop():
    x, tid = data(0)
    means, ids, inverse = track_mean_features(x, tid)
    np.testing.assert_array_equal(ids, np.unique(tid))
    for t, track in enumerate(ids):
        np.testing.assert_allclose(means[t], x[tid == track].mean(axis=0), atol=1e-6)
    np.testing.assert_array_equal(ids[inverse], tid)


def test_blend_with_track_mean_equals_dmt_loop():
    x, tid = data(1)
    tid[:20] = -1  # untracked images keep their feature
    expected = x.copy()
    for track in np.unique(tid[tid != -1]):
        members = tid == track
        expected[members] = x[members] * 0.3 + x[members].mean(axis=0) * 0.7
    np.testing.assert_allclose(blend_with_track_mean(x, tid, 0.3), expected, atol=1e-6)


def weighted_loop(q, g, tid, threshold=0.6, eps=0.01):
    dist = ((q[:, None, :].astype(np.float64) - g[None, :, :]) ** 2).sum(-1)
    feats = []
    for track in np.unique(tid):
        temp = dist[:, tid == track]
        temp_min = temp.min(axis=1)
        index = np.where(temp_min < threshold)[0]
        if len(index) < 1:
            index = np.where(temp_min == temp_min.min())[0]
        weight = 1.0 / (temp[index, :].mean(axis=0) + eps)
        weight = weight / weight.sum()
        feats.append(weight @ g[tid == track])
    return np.array(feats)


@pytest.mark.parametrize("threshold,lonely", [(0.05, True), (0.6, False), (3.0, False)])
def test_weighted_track_features_equal_dmt_loop(threshold, lonely):
    rng = np.random.default_rng(2)
    g, tid = data(3, dim=6)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    q = g[rng.choice(len(g), 15)] + 0.3 * rng.standard_normal((15, 6)).astype(np.float32)
    feats, ids, inverse = weighted_track_features(q, g, tid, threshold=threshold)
    np.testing.assert_allclose(feats, weighted_loop(q, g, tid, threshold), atol=1e-5)
    assert ids.tolist() == np.unique(tid).tolist() and len(inverse) == len(g)
    # a tiny threshold leaves tracks with no close query: the fallback branch is exercised
    dist = ((q[:, None, :] - g[None, :, :]) ** 2).sum(-1)
    assert any((dist[:, tid == t].min(1) >= threshold).all() for t in ids) == lonely


def test_track_distances_broadcast_to_images():
    _, tid = data(4, n=12, tracks=3)
    _, _, inverse = track_mean_features(np.zeros((12, 1)), tid)
    track_dist = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = track_to_image_distances(track_dist, inverse)
    np.testing.assert_array_equal(out, track_dist[:, inverse])
    assert out.shape == (2, 12)
    with pytest.raises(ValueError, match="inverse must index the 2 tracks"):
        track_to_image_distances(track_dist[:, :2], inverse)


def test_track_errors():
    x, tid = data(5)
    with pytest.raises(ValueError, match="track_ids has 3 labels but features has 200"):
        track_mean_features(x, tid[:3])
    with pytest.raises(ValueError, match="self_weight must lie in"):
        blend_with_track_mean(x, tid, 1.2)
