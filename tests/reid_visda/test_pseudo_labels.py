"""The pseudo-labelling step (the code's ``Cluster``) on hand-built feature sets with known clusters, and
the relabelling of finetune against a re-statement of the official code."""
from collections import Counter

import numpy as np
import pytest

from reid_visda.pseudo_labels import (assign_pseudo_labels, clustering_distance, clusters_by_size, dbscan_labels,
                                      num_target_classes, pseudo_label_quality, round_to_half)


def clustered_features(sizes, dim=16, spread=0.03, seed=0):
    """Unit features in tight clusters of the given sizes around random centres, plus their labels."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(sizes), dim))
    feats, labels = [], []
    for c, n in enumerate(sizes):
        feats.append(centres[c] + spread * rng.standard_normal((n, dim)))
        labels += [c] * n
    x = np.concatenate(feats)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), np.asarray(labels)


def test_dbscan_on_the_reranked_distance_recovers_known_clusters():
    x, truth = clustered_features([12, 9, 7, 6, 5])
    perm = np.random.default_rng(1).permutation(len(x))
    x, truth = x[perm], truth[perm]
    clusters = dbscan_labels(clustering_distance(x), eps=0.5, min_samples=4)  # the code: k1 20, k2 6
    assert (clusters >= 0).all()
    # the clustering is the true partition (cluster ids are arbitrary)
    pairs = {(int(c), int(t)) for c, t in zip(clusters, truth)}
    assert len(pairs) == 5 == len(set(clusters))
    labels = assign_pseudo_labels(clusters, top_clusters=3)
    for rank, true_cluster in enumerate([0, 1, 2]):  # the three largest, in order of size
        assert (labels[truth == true_cluster] == rank).all()
    assert (labels[truth >= 3] == -1).all()
    assert pseudo_label_quality(labels, truth)["nmi"] == pytest.approx(1.0)


def test_clustering_distance_subtracts_the_camera_distance_and_clips_at_zero():
    x, _ = clustered_features([6, 6], seed=2)
    plain = clustering_distance(x, k1=4, k2=2)
    cams = np.eye(2, dtype=np.float32)[np.r_[np.zeros(6, int), np.ones(6, int)]]  # camera distance 0 or sqrt(2)
    adjusted = clustering_distance(x, cams, k1=4, k2=2, camera_weight=0.1)
    cam_dist = np.sqrt(np.maximum(2.0 - 2.0 * cams @ cams.T, 1e-12))
    np.testing.assert_allclose(adjusted, np.maximum(plain - 0.1 * cam_dist, 0.0), atol=1e-6)
    assert (adjusted >= 0).all() and (plain - 0.1 * cam_dist < 0).any()


def test_features_are_rounded_to_half_precision():
    x = np.array([[0.1234567, 0.9876543]], dtype=np.float32)
    np.testing.assert_array_equal(round_to_half(x), x.astype(np.float16).astype(np.float32))
    assert not np.array_equal(round_to_half(x), x)


def test_clusters_by_size_breaks_ties_by_first_appearance():
    clusters = np.array([3, -1, 1, 1, 3, 0, 0, 2, 2, 2])
    assert clusters_by_size(clusters) == [2, 3, 1, 0]


def official_relabel(ret, topk, finetune, count):
    """The code's ``Cluster.compute`` relabelling, re-stated from utils/reid_metric.py (trkid = image)."""
    labelset = [i[0] for i in Counter(ret[ret >= 0]).most_common()][:topk]
    outret = np.zeros(len(ret)) - 1
    for i in range(len(ret)):
        if ret[i] >= 0:
            outret[i] = ret[i]
    outret_set_len = len(labelset) - 1
    outliers, pid2label = 0, {}
    for pid in set(outret):
        if pid in labelset:
            pid2label[pid] = labelset.index(pid)
        elif finetune and outliers <= count:
            pid2label[pid] = outret_set_len + outliers
            outliers += 1
        else:
            pid2label[pid] = -1
    return np.asarray([pid2label[i] for i in outret])


@pytest.mark.parametrize("seed", range(4))
def test_official_outlier_classes_equal_the_code(seed):
    rng = np.random.default_rng(seed)
    ret = rng.integers(-1, 9, size=80)  # 9 clusters and noise
    ours = assign_pseudo_labels(ret, top_clusters=4, outliers=dict(mode="official", count=2))
    np.testing.assert_array_equal(ours, official_relabel(ret, 4, True, 2))
    # the code's quirk: the first extra value shares the label of the smallest top cluster
    assert ours.max() == 4 - 1 + 2 and ours.max() < num_target_classes(4, dict(mode="official", count=2))
    np.testing.assert_array_equal(assign_pseudo_labels(ret, 4), official_relabel(ret, 4, False, 2))


def test_official_relabel_gives_the_noise_the_last_top_label_when_clusters_are_few():
    # the official setting (500 top clusters, 200 outlier classes) with only 4 clusters: the one value
    # outside the top clusters is the noise, which gets label len(top) - 1 = 3, the smallest cluster's
    ret = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, -1, -1, -1])
    ours = assign_pseudo_labels(ret, top_clusters=500, outliers=dict(mode="official", count=200))
    np.testing.assert_array_equal(ours, official_relabel(ret, 500, True, 200))
    assert (ours[ret == -1] == 3).all() and (ours[ret == 3] == 3).all()


def test_paper_outlier_classes_are_single_noise_images():
    ret = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, -1, -1, -1, -1, -1])
    labels = assign_pseudo_labels(ret, top_clusters=2, outliers=dict(mode="paper", count=3), seed=0)
    extra = labels[labels >= 2]
    assert sorted(extra.tolist()) == [2, 3, 4]  # three new classes, one image each
    assert set(np.flatnonzero(labels >= 2)) <= set(np.flatnonzero(ret == -1))
    assert (labels[ret == 2] == -1).all()  # clusters outside the top are dropped
    assert num_target_classes(2, dict(mode="paper", count=3)) == 5 and num_target_classes(2, None) == 2
    with pytest.raises(ValueError, match="unknown adaptation.outliers.mode 'singleton'"):
        assign_pseudo_labels(ret, 2, dict(mode="singleton", count=1))
