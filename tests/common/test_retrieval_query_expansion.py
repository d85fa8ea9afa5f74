"""alpha-QE equals fast-reid's ``aqe`` (re-stated below from fastreid/evaluation/query_expansion.py) on features
that are not unit-norm, over several rounds; DBA equals its definition on the gallery alone."""
import numpy as np
import pytest

from common.retrieval.query_expansion import alpha_query_expansion, database_augmentation


def fastreid_aqe(query_feat, gallery_feat, qe_times=1, qe_k=10, alpha=3.0):
    num_query = query_feat.shape[0]
    all_feat = np.concatenate([query_feat, gallery_feat]).astype(np.float64)
    norm_feat = all_feat / np.linalg.norm(all_feat, axis=1, keepdims=True)
    for _ in range(qe_times):
        sims = norm_feat @ norm_feat.T
        rows = []
        for sim in sims:
            init_rank = np.argpartition(-sim, range(1, qe_k + 1))
            weights = np.power(sim[init_rank[:qe_k]].reshape((-1, 1)), alpha)
            rows.append(np.mean(all_feat[init_rank[:qe_k], :] * weights, axis=0))
        all_feat = np.stack(rows)
        norm_feat = all_feat / np.linalg.norm(all_feat, axis=1, keepdims=True)
    return all_feat[:num_query], all_feat[num_query:]


def _features(seed, n, dim=24):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, dim))
    x = centres[rng.integers(0, 6, n)] + 0.6 * rng.normal(size=(n, dim))
    return (x * rng.uniform(0.5, 2.0, size=(n, 1))).astype(np.float32)  # norms far from 1


@pytest.mark.parametrize("k, alpha, times", [(5, 3.0, 1), (10, 3.0, 2), (3, 1.0, 1)])
def test_alpha_query_expansion_equals_fastreid(k, alpha, times):
    q, g = _features(0, 30), _features(1, 70)
    ours_q, ours_g = alpha_query_expansion(q, g, k=k, alpha=alpha, times=times)
    ref_q, ref_g = fastreid_aqe(q, g, qe_times=times, qe_k=k, alpha=alpha)
    np.testing.assert_allclose(ours_q, ref_q, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours_g, ref_g, rtol=1e-4, atol=1e-5)


def test_database_augmentation_is_the_weighted_mean_of_gallery_neighbours():
    g = _features(2, 50)
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    sims = unit @ unit.T
    for alpha in (0.0, 3.0):
        expected = np.stack([np.mean(g[np.argsort(-s, kind="stable")[:4]] * s[np.argsort(-s, kind="stable")[:4],
                                                                            None] ** alpha, axis=0) for s in sims])
        np.testing.assert_allclose(database_augmentation(g, k=4, alpha=alpha), expected, rtol=1e-4, atol=1e-5)
    # one neighbour (itself, similarity 1): nothing changes
    np.testing.assert_allclose(database_augmentation(g, k=1, alpha=3.0), g, rtol=1e-5)


def test_errors_name_the_argument():
    g = _features(3, 5)
    with pytest.raises(ValueError, match="k"):
        database_augmentation(g, k=6)
    with pytest.raises(ValueError, match="times"):
        alpha_query_expansion(g, g, times=0)
    with pytest.raises(ValueError, match="gallery"):
        alpha_query_expansion(g, g[:, :3])
