"""Stage 2's pseudo-labels: hand-worked steps and equality with DMT's dense clustering."""
import numpy as np
import pytest

from common.retrieval import jaccard_distance_dense
from reid_aicity.pseudo_labels import (cluster_centres, clustering_distance, dbscan_labels,
                                       dense_clustering_distance, mean_camera_subtraction,
                                       remove_target_camera_bias, smooth_gallery_tracks)


def _clustered(seed=0, ids=6, per_id=14, dim=16, spread=0.35):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(ids, dim))
    x = np.repeat(centres, per_id, axis=0) + spread * rng.normal(size=(ids * per_id, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), np.repeat(np.arange(ids), per_id)


def test_mean_camera_subtraction_paper_eq2():
    x = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
    out = mean_camera_subtraction(x, np.array([1, 1, 2]), alpha=1.0)
    r = 1 / np.sqrt(2)
    np.testing.assert_allclose(out[:2], [[r, -r], [-r, r]], atol=1e-6)  # minus the camera mean [.5, .5]
    np.testing.assert_allclose(out[2], [0, 0], atol=1e-6)  # its camera's only image: nothing left
    with pytest.raises(ValueError, match="camera_bias.method"):
        remove_target_camera_bias(x, np.array([1, 1, 2]), method="whiten")


def test_gallery_track_smoothing():
    x = np.array([[1, 0], [0, 1], [1, 1], [3, 3]], np.float32)  # one query, then gallery
    out = smooth_gallery_tracks(x, np.array([0, 0, -1]), num_query=1, self_weight=0.3)
    np.testing.assert_allclose(out[0], [1, 0])                      # query untouched
    np.testing.assert_allclose(out[1], 0.3 * np.array([0, 1]) + 0.7 * np.array([0.5, 1]))
    np.testing.assert_allclose(out[2], 0.3 * np.array([1, 1]) + 0.7 * np.array([0.5, 1]))
    np.testing.assert_allclose(out[3], [3, 3])                      # untracked untouched


def test_sparse_distance_equals_dmt_dense_distance_below_eps():
    x, _ = _clustered()
    graph = clustering_distance(x, k1=10, k2=3, max_distance=0.55)
    dense = dense_clustering_distance(x, jaccard_distance_dense(x, k1=10, k2=3))
    kept = graph.toarray()
    stored = graph.copy()
    stored.data[:] = 1
    mask = stored.toarray().astype(bool)
    np.testing.assert_array_equal(mask, dense <= 0.55)              # the same neighbour pairs
    np.testing.assert_allclose(kept[mask], dense[mask], atol=1e-5)  # with the same distances
    np.testing.assert_array_equal(dbscan_labels(graph, 0.55, 5), dbscan_labels(dense, 0.55, 5))
    assert np.all(np.diag(mask))  # each point counts towards its own min_samples


def test_dbscan_recovers_identities_and_centres_initialise_the_classifier():
    x, ids = _clustered(spread=0.2)
    labels = dbscan_labels(clustering_distance(x, k1=10, k2=3, max_distance=0.55), 0.55, 5)
    from sklearn.metrics import adjusted_rand_score
    assert adjusted_rand_score(ids, labels) > 0.95
    centres = cluster_centres(x, labels)
    assert centres.shape == (labels.max() + 1, x.shape[1])
    np.testing.assert_allclose(centres[labels[0]], x[labels == labels[0]].mean(0), atol=1e-6)


def test_camera_groups_keep_the_new_cameras_apart():
    x, ids = _clustered(ids=2, spread=0.2)
    x = np.concatenate([x, x + 1e-3])  # the same vehicles seen again by the new cameras
    groups = np.repeat([0, 1], len(ids))
    labels = dbscan_labels(clustering_distance(x, k1=10, k2=3, max_distance=0.55, groups=groups), 0.55, 5)
    for label in set(labels) - {-1}:
        assert len(set(groups[labels == label])) == 1
    dense = dense_clustering_distance(x, jaccard_distance_dense(x, k1=10, k2=3), groups=groups)
    np.testing.assert_array_equal(labels, dbscan_labels(dense, 0.55, 5))


def test_cluster_centres_hand_case_and_errors():
    x = np.array([[0, 0], [2, 0], [5, 5], [0, 4]], np.float32)
    np.testing.assert_allclose(cluster_centres(x, np.array([0, 0, -1, 1])), [[1, 0], [0, 4]])
    with pytest.raises(ValueError, match="DBSCAN found no cluster"):
        cluster_centres(x, np.full(4, -1))
    with pytest.raises(ValueError, match="must be below jaccard_weight"):
        clustering_distance(x, max_distance=0.95)
