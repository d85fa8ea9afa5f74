"""Distances against closed forms, and the pairing of each generated image with its source."""
import numpy as np
import pytest

from common.gan.manifest import ManifestRow
from reid_gan_filter.scoring import pair_distances, pair_index, space_distances


def test_cosine_and_euclidean_closed_forms():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [3.0, 4.0], [2.0, 0.0], [0.0, 0.0]])
    b = np.array([[0.0, 2.0], [-1.0, -1.0], [3.0, 4.0], [1.0, np.sqrt(3.0)], [1.0, 0.0]])
    cosine = pair_distances(a, b, "cosine")
    # orthogonal 1, opposite 2, identical 0, 60 degrees 1 - 1/2, a zero vector counts as orthogonal
    assert cosine == pytest.approx([1.0, 2.0, 0.0, 0.5, 1.0], abs=1e-12)
    euclidean = pair_distances(a, b, "euclidean")
    assert euclidean == pytest.approx([np.sqrt(5.0), np.sqrt(8.0), 0.0, np.sqrt(1.0 + 3.0), 1.0], abs=1e-12)


def test_cosine_is_scale_free_and_matches_euclidean_on_unit_vectors():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 16)), rng.normal(size=(50, 16))
    assert pair_distances(3 * a, 0.5 * b, "cosine") == pytest.approx(pair_distances(a, b, "cosine"))
    ua, ub = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    # |a - b|^2 = 2 (1 - cos) for unit vectors
    assert pair_distances(ua, ub, "euclidean") ** 2 == pytest.approx(2 * pair_distances(ua, ub, "cosine"))


def test_bad_metric_and_shapes():
    with pytest.raises(ValueError, match="unknown metric 'manhattan'"):
        pair_distances(np.zeros((1, 2)), np.zeros((1, 2)), "manhattan")
    with pytest.raises(ValueError, match="one shape"):
        pair_distances(np.zeros((2, 3)), np.zeros((2, 4)), "cosine")


def test_pair_index_and_blocked_distances(monkeypatch):
    rows = [ManifestRow(f"/g/{i}.jpg", f"/s/{i % 3}.jpg", 1, 0, "x", "gan") for i in range(7)]
    index = pair_index(rows)
    assert index.images[:3] == ["/s/0.jpg", "/s/1.jpg", "/s/2.jpg"] and index.images[3:] == [r.generated_path
                                                                                                for r in rows]
    assert index.source.tolist() == [i % 3 for i in range(7)]
    features = np.random.default_rng(0).normal(size=(10, 4))
    expected = np.linalg.norm(features[3:] - features[[i % 3 for i in range(7)]], axis=1)
    monkeypatch.setattr("reid_gan_filter.scoring.BLOCK_ROWS", 3)  # several blocks
    assert space_distances(features, index, "euclidean") == pytest.approx(expected)
