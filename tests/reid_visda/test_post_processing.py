"""Each post-processing step on a hand-worked case, and the chain against the code's formulas re-stated
here (``compute_P2`` / ``meanfeat_sub`` / ``mergesetfeat`` / the camera terms of ``R1_mAP_reranking``)."""
import numpy as np
import pytest

from common.retrieval import k_reciprocal_rerank_dense
from tests.common.test_retrieval_smoothing import mergesetfeat_published
from reid_visda.defaults import DEFAULTS
from reid_visda.post_processing import camera_terms, distances_by_step, euclidean, PostInputs


def post_config(**enabled):
    post = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS["test"]["post"].items()}
    for step in ("camera_projection", "smoothing", "rerank", "camera_distance", "same_camera", "topology"):
        post[step]["enabled"] = enabled.get(step, False)
    post["half_precision_features"] = False
    return post


def unit(rng, n, d):
    x = rng.standard_normal((n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_camera_terms_by_hand():
    d = np.array([[1.0, 2.0], [0.5, 0.25]], dtype=np.float32)
    cam_dist = np.array([[1.0, 0.0], [2.0, 1.0]], dtype=np.float32)
    q_cams, g_cams = np.array([0, 1]), np.array([0, 1])
    topo = np.array([[0.5, 0.25], [0.0, 1.0]], dtype=np.float32)
    post = post_config(camera_distance=True, same_camera=True, topology=True)
    steps = camera_terms(d, post, q_cams, g_cams, cam_dist, topo)
    assert [name for name, _ in steps] == ["camera_distance", "same_camera", "topology"]
    after_cam = [[0.9, 2.0], [0.3, 0.15]]
    after_same = [[1.9, 2.0], [0.3, 1.15]]
    after_topo = [[1.9 * 0.5, 2.0 * 0.75], [0.3, 0.0]]
    for (_, got), expected in zip(steps, (after_cam, after_same, after_topo)):
        np.testing.assert_allclose(got, expected, atol=1e-6)


def test_plain_distance_is_euclidean_and_disabled_steps_do_nothing():
    rng = np.random.default_rng(0)
    q, g = unit(rng, 3, 4), unit(rng, 5, 4)
    steps = distances_by_step(PostInputs(q, g), post_config())
    assert [name for name, _ in steps] == ["plain"]
    np.testing.assert_allclose(steps[0][1], np.linalg.norm(q[:, None] - g[None], axis=2), atol=1e-6)


def test_half_precision_rounds_the_features_first():
    rng = np.random.default_rng(1)
    q, g = unit(rng, 3, 8), unit(rng, 5, 8)
    post = post_config()
    post["half_precision_features"] = True
    got = distances_by_step(PostInputs(q, g), post)[0][1]
    np.testing.assert_allclose(got, euclidean(q.astype(np.float16), g.astype(np.float16)), atol=1e-6)


def official_chain(qf, gf, qc, gc, qcf, gcf, topo, k1, k2, lam, knn, beta):
    """R1_mAP_reranking.compute re-stated (projection, 3 rounds of mergesetfeat, re-ranking, camera terms);
    ``mergesetfeat`` is the re-statement of tests/common/test_retrieval_smoothing.py."""
    def compute_p2(x, cams, la):
        p, mean = {}, {}
        for cam in np.unique(cams):
            cur = x[cams == cam]
            mean[cam] = cur.mean(axis=0)
            p[cam] = np.linalg.inv(cur.T @ cur + len(cur) * la * np.eye(x.shape[1]))
        return p, mean

    def meanfeat_sub(p, mean, x, cams):
        out = np.stack([p[c] @ (f - mean[c]) for f, c in zip(x, cams)])
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    p, mean = compute_p2(gf, gc, 0.02)
    qf, gf = meanfeat_sub(p, mean, qf, qc), meanfeat_sub(p, mean, gf, gc)
    g_new = gf.copy()
    for _ in range(3):
        g_new = mergesetfeat_published(g_new, gf, beta, knn)
    q_new = qf.copy()
    for _ in range(3):
        q_new = mergesetfeat_published(q_new, g_new, beta, knn)
    dist = k_reciprocal_rerank_dense(q_new.astype(np.float32), g_new.astype(np.float32), k1, k2, lam)
    dist = dist - 0.1 * np.sqrt(np.maximum(((qcf[:, None] - gcf[None]) ** 2).sum(-1), 1e-12))
    dist = dist + 1.0 * (qc[:, None] == gc[None, :])
    return dist - dist * topo[qc][:, gc]


def test_the_chain_equals_the_code():
    rng = np.random.default_rng(2)
    q, g = unit(rng, 12, 24), unit(rng, 60, 24)
    qc, gc = rng.integers(0, 3, 12), np.tile(np.arange(3), 20)
    qcf, gcf = unit(rng, 12, 5), unit(rng, 60, 5)
    topo = rng.uniform(0, 0.4, (3, 3)).astype(np.float32)
    post = post_config(camera_projection=True, smoothing=True, rerank=True, camera_distance=True, same_camera=True,
                       topology=True)
    post["smoothing"] = dict(post["smoothing"], knn=8)
    post["rerank"] = dict(post["rerank"], k1=6, k2=3)
    steps = distances_by_step(PostInputs(q, g, qc, gc, qcf, gcf, topo), post)
    assert [n for n, _ in steps] == ["plain", "camera_projection", "smoothing", "rerank", "camera_distance",
                                     "same_camera", "topology"]
    expected = official_chain(q.astype(np.float64), g.astype(np.float64), qc, gc, qcf, gcf, topo, 6, 3, 0.3, 8, 0.03)
    np.testing.assert_allclose(steps[-1][1], expected, atol=2e-4)


def test_camera_steps_without_cameras_say_what_to_set():
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match="'same_camera' needs q_cams, g_cams: set camera_model"):
        distances_by_step(PostInputs(unit(rng, 2, 4), unit(rng, 3, 4)), post_config(same_camera=True))
