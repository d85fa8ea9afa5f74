"""Each post-processing step of DMT against a small hand-worked case."""
import numpy as np
import pytest
import torch
from PIL import Image

from common.config import load_config
from common.reid.dataset import check_items
from reid_aicity.data import TargetSet
from reid_aicity.defaults import DEFAULTS
from reid_aicity.inference import TargetFeatures, extract_target_features
from reid_aicity.post_processing import (ABLATION_STEPS, AttributeDistances, camera_verification, fic_features,
                                         post_process, squared_euclidean, with_steps)

CONFIG = "reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py"


def _post(*steps, **settings):
    post = with_steps(load_config(CONFIG, schema=DEFAULTS).test.post, steps)
    for key, value in settings.items():
        step, name = key.split("__")
        post[step][name] = value
    return post


def _feats(query, gallery, q_cams=None, g_cams=None, g_tracks=None):
    q, g = np.asarray(query, np.float32), np.asarray(gallery, np.float32)
    return TargetFeatures(q, g, np.asarray(q_cams if q_cams is not None else [1] * len(q)),
                          np.asarray(g_cams if g_cams is not None else [2] * len(g)),
                          np.asarray(g_tracks if g_tracks is not None else range(len(g))),
                          np.zeros(len(q), int), np.zeros(len(g), int))


def test_plain_distance_is_squared_euclidean():
    d = post_process(_feats([[0, 0]], [[3, 4], [1, 0]]), _post(), 40)
    np.testing.assert_allclose(d, [[25, 1]])


def test_camera_verification_same_camera_and_camera_groups():
    d = camera_verification(np.zeros((2, 3), np.float32), np.array([1, 41]), np.array([1, 2, 42]), 10.0, 10.0, 40)
    # query c001: same camera (+10), other old camera (0), new camera (+10);
    # query c041: old cameras (+10, +10), another new camera (0)
    np.testing.assert_array_equal(d, [[10, 0, 10], [10, 10, 0]])


def test_fic_projection_fitted_on_the_gallery():
    # camera 1: gallery [1,0], [0,1]: mean [.5,.5], X^T X = I, n = 2: P = I / (1 + 2 lam)
    # camera 2: gallery [1,0], [.6,.8]: mean [.8,.4], X^T X + 2 lam I = [[2.36,.48],[.48,1.64]] (lam .5)
    feats = _feats([[1, 0], [0, 1]], [[1, 0], [0, 1], [1, 0], [0.6, 0.8]], q_cams=[1, 2], g_cams=[1, 1, 2, 2])
    q, g = fic_features(feats, lam=0.5)
    r = 1 / np.sqrt(2)
    np.testing.assert_allclose(q[0], [r, -r], atol=1e-6)                   # [.5,-.5] normalised
    np.testing.assert_allclose(q[1], np.array([-1.6, 1.8]) / np.sqrt(5.8), atol=1e-6)  # inv @ [-.8,.6] * 3.64
    np.testing.assert_allclose(g[:2], [[r, -r], [-r, r]], atol=1e-6)
    np.testing.assert_allclose(g[2], np.array([1, -2]) / np.sqrt(5), atol=1e-6)  # inv @ [.2,-.4] * 3.64
    np.testing.assert_allclose(g[3], np.array([-1, 2]) / np.sqrt(5), atol=1e-6)


def test_inter_camera_fusion_averages_plain_and_corrected_distances():
    feats = _feats([[1, 0], [0, 1]], [[1, 0], [0, 1], [1, 0], [0.6, 0.8]], q_cams=[1, 2], g_cams=[1, 1, 2, 2])
    q, g = fic_features(feats, lam=0.5)
    plain, corrected = squared_euclidean(feats.query, feats.gallery), squared_euclidean(q, g)
    fused = post_process(feats, _post("fic", fic__lam=0.5, fic__fuse=True), 40)
    np.testing.assert_allclose(fused, (plain + corrected) / 2, atol=1e-6)
    alone = post_process(feats, _post("fic", fic__lam=0.5, fic__fuse=False), 40)
    np.testing.assert_allclose(alone, corrected, atol=1e-6)


def test_weighted_tracklet_features():
    # track 0 = {[1,0], [.8,.6]}, track 1 = {[0,1]}; query [1,0]; squared distances 0, 0.4, 2.
    # Track 0 is within 0.6 of the query: weights 1/(0+.01), 1/(.4+.01), normalised -> .97619, .02381;
    # track feature [.995238, .014286]. Track 1 is not: its only image gets weight 1.
    feats = _feats([[1, 0]], [[1, 0], [0.8, 0.6], [0, 1]], g_tracks=[0, 0, 1])
    d = post_process(feats, _post("track"), 40)
    w = np.array([100, 1 / 0.41]) / (100 + 1 / 0.41)
    track0 = w[0] * np.array([1, 0]) + w[1] * np.array([0.8, 0.6])
    expected = ((np.array([1, 0]) - track0) ** 2).sum()
    np.testing.assert_allclose(d, [[expected, expected, 2.0]], rtol=1e-5)
    assert expected == pytest.approx(0.00022676, abs=1e-7)


def test_rerank_of_separated_clusters():
    # Query and g0, g1 form one cluster, g2, g3 another: with k1 = 2 the k-reciprocal encodings of the
    # two clusters do not overlap (Jaccard distance 1), so for g2, g3 the re-ranked distance is
    # (1 - lambda) * 1 + lambda * d / max_d with max_d = d(q, g3) = 202.01.
    feats = _feats([[0, 0]], [[0, 0.1], [0.1, 0], [10, 10], [10, 10.1]])
    d = post_process(feats, _post("rerank", rerank__k1=2, rerank__k2=1, rerank__lambda_value=0.3), 40)
    np.testing.assert_allclose(d[0, 2:], [0.7 + 0.3 * 200 / 202.01, 1.0], rtol=1e-5)
    assert d[0, :2].max() < 0.7


def test_camera_and_orientation_bias_subtraction():
    feats = _feats([[0, 0]], [[1, 0], [0, np.sqrt(2)]])  # D_r = [1, 2]
    attrs = AttributeDistances(camera=np.array([[0.5, 1.0]]), view=np.array([[2.0, 0.0]]))
    d = post_process(feats, _post("bias"), 40, attrs)
    np.testing.assert_allclose(d, [[1 - 0.05 - 0.1, 2 - 0.1]], rtol=1e-6)
    with pytest.raises(ValueError, match="camera_model / view_model"):
        post_process(feats, _post("bias"), 40, None)


class _HalfMeans(torch.nn.Module):
    """A stand-in model: the means of the red channel over the left and right image halves."""

    def forward(self, x):
        w = x.shape[-1] // 2
        return torch.stack([x[:, 0, :, :w].mean((1, 2)), x[:, 0, :, w:].mean((1, 2))], 1)


def test_augmentation_test_sums_the_views(tmp_path):
    pixels = np.zeros((8, 8, 3), np.uint8)
    pixels[:, :4, 0] = 255  # left half red, right half black
    Image.fromarray(pixels).save(tmp_path / "q.png")
    Image.fromarray(pixels[:, ::-1].copy()).save(tmp_path / "g.png")
    target = TargetSet(check_items([(str(tmp_path / "q.png"), 1, 1, -1)]),
                       check_items([(str(tmp_path / "g.png"), 1, 2, 0)]), "test")
    cfg = load_config(CONFIG, {"input.size_test": [8, 8]}, schema=DEFAULTS)
    plain = extract_target_features(_HalfMeans(), cfg, target, torch.device("cpu"), views=["original"], crop_test=None)
    np.testing.assert_allclose(plain.query, [[1, 0]], atol=1e-6)   # [1, 0] normalised
    np.testing.assert_allclose(plain.gallery, [[0, 1]], atol=1e-6)
    tta = extract_target_features(_HalfMeans(), cfg, target, torch.device("cpu"), views=["original", "flip"],
                                  crop_test=None)
    r = 1 / np.sqrt(2)  # [1, 0] + [0, 1] normalised
    np.testing.assert_allclose(np.vstack([tta.query, tta.gallery]), [[r, r], [r, r]], atol=1e-6)


def test_ablation_switches_steps_on_in_the_papers_order():
    names = [name for name, _, _ in ABLATION_STEPS]
    assert names == ["baseline", "+ augmentation test", "+ re-rank", "+ weighted tracklet",
                     "+ camera verification", "+ inter-camera fusion", "+ camera/orientation bias"]
    for (_, _, before), (_, _, after) in zip(ABLATION_STEPS, ABLATION_STEPS[1:]):
        assert set(before) <= set(after) and len(after) - len(before) <= 1
    post = with_steps(_post(), ("rerank", "track"))
    assert [post[s]["enabled"] for s in ("rerank", "track", "fic", "bias", "camera_verification")] == \
        [True, True, False, False, False]
    assert post.rerank.k1 == 7 and post.rerank.lambda_value == 0.6  # settings kept


def test_dba_then_alpha_query_expansion_before_the_distance():
    """Off in DMT; when on, the gallery is augmented first, then queries and gallery are expanded together,
    and the distance is the squared Euclidean one of the re-normalised results."""
    from common.retrieval import alpha_query_expansion, database_augmentation

    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 6)).astype(np.float32)
    g = rng.normal(size=(9, 6)).astype(np.float32)
    q, g = q / np.linalg.norm(q, axis=1, keepdims=True), g / np.linalg.norm(g, axis=1, keepdims=True)
    assert not any(_post()[step]["enabled"] for step in ("dba", "aqe"))
    post = _post("dba", "aqe", dba__k=3, aqe__k=4)
    g_dba = database_augmentation(g, k=3, alpha=0.0)
    eq, eg = alpha_query_expansion(q, g_dba, k=4, alpha=3.0)
    eq, eg = eq / np.linalg.norm(eq, axis=1, keepdims=True), eg / np.linalg.norm(eg, axis=1, keepdims=True)
    np.testing.assert_allclose(post_process(_feats(q, g), post, 40), squared_euclidean(eq, eg), atol=1e-5)
    assert not np.allclose(post_process(_feats(q, g), _post(), 40), squared_euclidean(eq, eg), atol=1e-3)
