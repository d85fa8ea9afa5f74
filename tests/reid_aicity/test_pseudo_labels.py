"""Stage 2's pseudo-labels: hand-worked steps and equality with DMT's dense clustering, re-stated here from
DMT's ``train_stage2_v1.py`` / ``_v2.py`` and ``utils/faiss_rerank.py`` and fed track-smoothed features that
are not unit-norm (what DMT clusters)."""
import numpy as np
import pytest
from sklearn.cluster import DBSCAN

from reid_aicity.pseudo_labels import (cluster_centres, clustering_distance, dbscan_labels, mean_camera_subtraction,
                                       remove_target_camera_bias, smooth_gallery_tracks)


def dmt_jaccard(feat, k1, k2):
    """DMT ``compute_jaccard_distance(feat, k1, k2, search_option=3)``: faiss ``IndexFlatL2`` neighbours of the
    raw features (``search(feat, k1)``: k1 columns, self first; a stable argsort here), weights
    ``softmax(-(2 - 2 x_i.x_j))`` over the expanded k-reciprocal set, query expansion over ``initial_rank[i, :k2]``,
    ``1 - m / (2 - m)``, negatives clipped."""
    feat = feat.astype(np.float64)
    n = len(feat)
    squared = ((feat[:, None, :] - feat[None, :, :]) ** 2).sum(-1)
    initial_rank = np.argsort(squared, axis=1, kind="stable")[:, :k1]

    def k_reciprocal_neigh(i, k):
        forward = initial_rank[i, :k + 1]
        backward = initial_rank[forward, :k + 1]
        return forward[np.where(backward == i)[0]]

    nn_k1 = [k_reciprocal_neigh(i, k1) for i in range(n)]
    nn_k1_half = [k_reciprocal_neigh(i, int(np.around(k1 / 2))) for i in range(n)]
    v = np.zeros((n, n))
    for i in range(n):
        expansion = nn_k1[i]
        for candidate in nn_k1[i]:
            half = nn_k1_half[candidate]
            if len(np.intersect1d(half, nn_k1[i])) > 2 / 3 * len(half):
                expansion = np.append(expansion, half)
        expansion = np.unique(expansion)
        dist = 2 - 2 * feat[i] @ feat[expansion].T
        v[i, expansion] = np.exp(-dist) / np.exp(-dist).sum()
    v = np.stack([v[initial_rank[i, :k2]].mean(axis=0) for i in range(n)])
    jaccard = np.zeros((n, n))
    for i in range(n):
        overlap = np.minimum(v[i][None, :], v).sum(axis=1)
        jaccard[i] = 1 - overlap / (2 - overlap)
    jaccard[jaccard < 0] = 0.0
    return jaccard


def dmt_final_dist(feat, k1, k2, cams=None):
    """DMT ``calc_distmat`` (0.9 Jaccard + 0.1 ``batch_cosine_dist``: (1 - cos) / 2 divided by its maximum over
    the query axis, then transposed), clipped to [0, 1]; with ``cams`` the v2 penalty of 10 across the camera
    groups (< 40, >= 40)."""
    x = feat.astype(np.float64)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    cosine = (1 - unit @ unit.T) / 2
    cosine = (cosine / cosine.max(axis=0, keepdims=True)).T
    dist = np.clip(dmt_jaccard(feat, k1, k2) * 0.9 + cosine * 0.1, 0.0, 1.0)
    if cams is not None:
        dist = dist + 10.0 * ((cams >= 40).astype(int) != (cams[:, None] >= 40).astype(int))
    return dist


def _track_smoothed(seed=0, ids=6, per_id=14, dim=16, spread=0.35, track_len=4):
    """Unit-norm features of ``ids`` vehicles blended with their track means as DMT v1 does (0.3 f + 0.7
    mean): not unit-norm any more (norms ~0.7-1)."""
    x, ids_ = _clustered(seed, ids, per_id, dim, spread)
    tracks = np.arange(len(x)) // track_len  # consecutive images of one vehicle (per_id % track_len != 0)
    out = x.copy()
    for track in np.unique(tracks):
        rows = tracks == track
        out[rows] = 0.3 * x[rows] + 0.7 * x[rows].mean(axis=0)
    return out.astype(np.float32), ids_


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


def _stored(graph):
    mask = graph.copy()
    mask.data[:] = 1
    return mask.toarray().astype(bool)


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_distance_equals_dmt_dense_distance_below_eps(seed):
    x, _ = _track_smoothed(seed)
    norms = np.linalg.norm(x, axis=1)
    assert norms.min() < 0.9  # the input DMT clusters is not unit-norm
    graph = clustering_distance(x, k1=10, k2=3, max_distance=0.55)
    dense = dmt_final_dist(x, k1=10, k2=3)
    mask = _stored(graph)
    np.testing.assert_array_equal(mask, dense <= 0.55)                        # the same neighbour pairs
    np.testing.assert_allclose(graph.toarray()[mask], dense[mask], atol=1e-5)  # with the same distances
    dmt_labels = DBSCAN(eps=0.55, min_samples=5, metric="precomputed").fit_predict(dense)
    np.testing.assert_array_equal(dbscan_labels(graph, 0.55, 5), dmt_labels)
    assert np.all(np.diag(mask))  # each point counts towards its own min_samples
    # L2-normalising first (stage2.normalize_features=True) is another clustering on these inputs
    normalised = clustering_distance(x, k1=10, k2=3, max_distance=0.55, normalize=True)
    both = mask & _stored(normalised)
    assert np.abs(normalised.toarray()[both] - dense[both]).max() > 1e-3


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
    cams = np.where(groups == 1, 41, 1)
    dense = dmt_final_dist(x, k1=10, k2=3, cams=cams)
    np.testing.assert_array_equal(labels, DBSCAN(eps=0.55, min_samples=5, metric="precomputed").fit_predict(dense))


def test_cluster_centres_hand_case_and_errors():
    x = np.array([[0, 0], [2, 0], [5, 5], [0, 4]], np.float32)
    np.testing.assert_allclose(cluster_centres(x, np.array([0, 0, -1, 1])), [[1, 0], [0, 4]])
    with pytest.raises(ValueError, match="DBSCAN found no cluster"):
        cluster_centres(x, np.full(4, -1))
    with pytest.raises(ValueError, match="must be below jaccard_weight"):
        clustering_distance(x, max_distance=0.95)


@pytest.mark.parametrize("renormalize", [False, True])
def test_clustering_features_average_the_two_unit_views(monkeypatch, renormalize):
    """DMT: ``(normalize(plain) + normalize(augmented)) / 2``, not normalised again (the default)."""
    import torch

    from common.config import load_config
    from common.reid.features import FeatureSet
    import reid_aicity.stage2_uda as stage2_uda
    from reid_aicity.defaults import DEFAULTS

    plain = torch.nn.functional.normalize(torch.tensor([[3.0, 4.0], [1.0, 0.0]]), dim=1)
    augmented = torch.nn.functional.normalize(torch.tensor([[4.0, 3.0], [0.0, 1.0]]), dim=1)
    views = iter([plain, augmented])
    monkeypatch.setattr(stage2_uda, "extract_features", lambda *a, **k: FeatureSet(next(views), None, None, None, []))
    monkeypatch.setattr(stage2_uda, "test_loader", lambda *a, **k: None)
    cfg = load_config("reid_aicity/configs/stage2_resnet18_ibn_a_synthetic_v1.py",
                      {"stage2.renormalize_aug_average": renormalize}, schema=DEFAULTS)
    target = type("Target", (), {"query": [0], "gallery": [1]})()
    run = type("Run", (), {"progress": staticmethod(lambda it, **k: it)})()
    feats = stage2_uda.clustering_features(None, cfg, target, torch.device("cpu"), run)
    expected = ((plain + augmented) / 2).numpy()
    if renormalize:
        expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(feats, expected, atol=1e-6)
    assert renormalize or np.linalg.norm(feats[1]) == pytest.approx(np.sqrt(0.5))
