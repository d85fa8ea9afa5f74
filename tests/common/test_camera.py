"""common.retrieval.camera equals per-feature loops of the published formulas (compute_P2 /
meanfeat_sub of DMT and the VisDA winner) and the closed forms of the distance adjustments."""
import numpy as np
import pytest

from common.retrieval.camera import (camera_group_penalty, camera_transition_adjustment,
                                     remove_camera_bias, same_camera_penalty)


def loop_reference(feats, cams, ref, ref_cams, lam):
    projections, means = {}, {}
    for cam in np.unique(ref_cams):
        xc = ref[ref_cams == cam].astype(np.float64)
        means[cam] = xc.mean(axis=0)
        projections[cam] = np.linalg.inv(xc.T @ xc + len(xc) * lam * np.eye(ref.shape[1]))
    out = []
    for f, cam in zip(feats.astype(np.float64), cams):
        p = projections[cam] @ (f - means[cam])
        out.append(p / np.linalg.norm(p))
    return np.array(out)


def camera_data(seed, n=240, dim=12, cams=4):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, cams, n)
    bias = rng.standard_normal((cams, dim)) * 2  # a camera-specific offset to remove
    x = rng.standard_normal((n, dim)) + bias[c]
    return x.astype(np.float32), c


@pytest.mark.parametrize("lam", [0.0005, 0.02, 0.11])
def test_camera_bias_removal_equals_per_feature_loop(lam):
    g, gc = camera_data(0)
    q, qc = camera_data(1, n=30)
    ours = remove_camera_bias(q, qc, lam, reference=g, reference_cams=gc)
    np.testing.assert_allclose(ours, loop_reference(q, qc, g, gc, lam), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    self_ref = remove_camera_bias(g, gc, lam)  # reference defaults to the features themselves
    np.testing.assert_allclose(self_ref, loop_reference(g, gc, g, gc, lam), atol=1e-5)


def camera_offset(x, cams):
    """Largest distance of a camera's mean from the overall mean, relative to the feature norm."""
    spread = [np.linalg.norm(x[cams == c].mean(0) - x.mean(0)) for c in np.unique(cams)]
    return max(spread) / np.linalg.norm(x, axis=1).mean()


def test_camera_bias_removal_removes_the_camera_offset():
    g, gc = camera_data(2, n=600)
    assert camera_offset(g, gc) > 0.5
    assert camera_offset(remove_camera_bias(g, gc, 0.02), gc) < 0.05


def test_camera_bias_errors():
    g, gc = camera_data(3)
    with pytest.raises(ValueError, match="cams \\[9\\] have no reference features"):
        remove_camera_bias(g[:5], np.full(5, 9), 0.1, reference=g, reference_cams=gc)
    with pytest.raises(ValueError, match="singular.*use lam > 0"):
        remove_camera_bias(g[:8], np.zeros(8, int), 0.0)  # 8 features in 12 dimensions
    with pytest.raises(ValueError, match="cams has 3 labels but features has 240"):
        remove_camera_bias(g, gc[:3], 0.1)
    with pytest.raises(ValueError, match="both reference and reference_cams"):
        remove_camera_bias(g, gc, 0.1, reference=g)


def test_distance_adjustments_closed_form():
    rng = np.random.default_rng(4)
    d = rng.random((5, 7)).astype(np.float32)
    qc, gc = rng.integers(0, 3, 5), rng.integers(0, 3, 7)
    expected = d + 10.0 * (qc[:, None] == gc[None, :])
    np.testing.assert_allclose(same_camera_penalty(d, qc, gc, 10.0), expected)
    q_old, g_old = qc >= 1, gc >= 1  # two camera groups
    np.testing.assert_allclose(camera_group_penalty(d, q_old, g_old, 10.0),
                               d + 10.0 * (q_old[:, None] != g_old[None, :]))
    t = rng.random((3, 3))
    loop = np.array([[d[i, j] - 0.5 * d[i, j] * t[qc[i], gc[j]] for j in range(7)] for i in range(5)])
    np.testing.assert_allclose(camera_transition_adjustment(d, qc, gc, t, weight=0.5), loop, rtol=1e-6)


def test_distance_adjustment_errors():
    d = np.zeros((2, 3))
    with pytest.raises(ValueError, match="g_cams has 2 labels but distmat \\(columns\\) has 3"):
        same_camera_penalty(d, [0, 1], [0, 1], 1.0)
    with pytest.raises(ValueError, match="q_cams must be camera indices in \\[0, 1\\]"):
        camera_transition_adjustment(d, [0, 2], [0, 1, 1], np.eye(2))
    with pytest.raises(ValueError, match="transition must be a square"):
        camera_transition_adjustment(d, [0, 1], [0, 1, 1], np.ones((2, 3)))
