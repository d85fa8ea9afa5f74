"""common.retrieval.metrics equals a straightforward per-query implementation of the
Market-1501 protocol (and of the truncated top-K mAP), including ties, same-camera removal,
junk identities and queries without a valid match."""
import numpy as np
import pytest

from common.retrieval.metrics import evaluate_distmat, evaluate_ranked_lists


def reference(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=10, top_k=None,
              normalizer="retrieved", junk=(-1,)):
    """Per-query loop, written directly from the protocol definition."""
    cmcs, aps, inps, skipped = [], [], [], []
    for i in range(distmat.shape[0]):
        order = np.argsort(distmat[i], kind="stable")  # ties: lower gallery index first
        kept = [g for g in order
                if g_pids[g] not in junk
                and not (q_cams is not None and g_pids[g] == q_pids[i] and g_cams[g] == q_cams[i])]
        matches = np.array([g_pids[g] == q_pids[i] for g in kept], dtype=bool)
        n_rel = int(matches.sum())
        if n_rel == 0:
            skipped.append(i)
            continue
        inps.append(n_rel / (np.flatnonzero(matches)[-1] + 1))
        listed = matches[:top_k] if top_k is not None else matches
        hit_ranks = np.flatnonzero(listed)
        cmc = np.zeros(max_rank)
        if len(hit_ranks) and hit_ranks[0] < max_rank:
            cmc[hit_ranks[0]:] = 1
        cmcs.append(cmc)
        precisions = [listed[:r + 1].sum() / (r + 1) for r in hit_ranks]
        norm = {"retrieved": len(hit_ranks), "all": n_rel,
                "min": min(top_k if top_k is not None else n_rel, n_rel)}[normalizer]
        aps.append(sum(precisions) / norm if norm else 0.0)
    return np.mean(cmcs, axis=0), np.mean(aps), np.mean(inps), skipped


def random_case(seed, nq=40, ng=300, ids=25, cams=4, tie_levels=None):
    rng = np.random.default_rng(seed)
    q_pids = rng.integers(0, ids + 5, nq)  # ids >= 25 never occur in the gallery: no valid match
    g_pids = rng.integers(-1, ids, ng)     # -1: junk
    q_cams, g_cams = rng.integers(0, cams, nq), rng.integers(0, cams, ng)
    if tie_levels:
        distmat = rng.integers(0, tie_levels, (nq, ng)).astype(np.float32)  # many exact ties
    else:
        distmat = rng.random((nq, ng)).astype(np.float32)
    return distmat, q_pids, g_pids, q_cams, g_cams


@pytest.mark.parametrize("seed,tie_levels", [(0, None), (1, 5), (2, 30)])
@pytest.mark.parametrize("top_k,normalizer", [(None, "retrieved"), (20, "retrieved"), (20, "all"),
                                              (20, "min"), (7, "min")])
def test_equals_per_query_reference(seed, tie_levels, top_k, normalizer):
    distmat, qp, gp, qc, gc = random_case(seed, tie_levels=tie_levels)
    ours = evaluate_distmat(distmat, qp, gp, qc, gc, max_rank=10, top_k=top_k,
                            ap_normalizer=normalizer)
    cmc, m_ap, m_inp, skipped = reference(distmat, qp, gp, qc, gc, 10, top_k, normalizer)
    np.testing.assert_allclose(ours.cmc, cmc, atol=1e-12)
    assert ours.mAP == pytest.approx(m_ap, abs=1e-12)
    assert ours.mINP == pytest.approx(m_inp, abs=1e-12)
    assert ours.skipped_queries.tolist() == skipped
    assert ours.num_valid_queries + ours.num_skipped_queries == len(qp)
    assert 0 < ours.num_skipped_queries < len(qp)  # the case really has queries without a match


def test_same_camera_removal_and_no_camera_mode_differ_like_the_reference():
    distmat, qp, gp, qc, gc = random_case(3)
    with_cams = evaluate_distmat(distmat, qp, gp, qc, gc, max_rank=10)
    without = evaluate_distmat(distmat, qp, gp, max_rank=10)
    ref_without = reference(distmat, qp, gp, None, None, 10)
    assert without.mAP == pytest.approx(ref_without[1], abs=1e-12)
    assert without.num_valid_queries >= with_cams.num_valid_queries
    assert without.mAP != pytest.approx(with_cams.mAP)


def test_query_whose_matches_are_all_same_camera_is_skipped():
    distmat = np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], dtype=np.float32)
    q_pids, g_pids = np.array([7, 8]), np.array([7, 8, 9])
    q_cams, g_cams = np.array([1, 1]), np.array([1, 2, 1])
    res = evaluate_distmat(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=3)
    assert res.skipped_queries.tolist() == [0]  # its only match shares its camera
    assert res.num_valid_queries == 1
    # query 1: ranking [2 (pid 9), 1 (pid 8, hit)] -> first hit at rank 2, AP = 1/2, INP = 1/2
    assert res.mAP == pytest.approx(0.5) and res.mINP == pytest.approx(0.5)
    assert res.cmc.tolist() == [0.0, 1.0, 1.0]


def test_closed_form_ap_and_inp():
    # ranking: hit, miss, hit, miss -> AP = (1/1 + 2/3) / 2, INP = 2/3, rank-1 = 1
    distmat = np.array([[0.1, 0.2, 0.3, 0.4]])
    res = evaluate_distmat(distmat, [5], [5, 6, 5, 6], max_rank=4)
    assert res.mAP == pytest.approx((1 + 2 / 3) / 2)
    assert res.mINP == pytest.approx(2 / 3)
    assert res.rank(1) == 1.0
    # truncated to the top 2: one hit retrieved out of two relevant items; by default AP divides by all the
    # relevant items (0.5), "retrieved" by those in the list (1.0)
    assert evaluate_distmat(distmat, [5], [5, 6, 5, 6], max_rank=4, top_k=2).mAP == pytest.approx(0.5)
    assert evaluate_distmat(distmat, [5], [5, 6, 5, 6], max_rank=4, top_k=2,
                            ap_normalizer="retrieved").mAP == pytest.approx(1.0)


def test_ties_are_broken_by_gallery_index():
    distmat = np.zeros((1, 3))  # all tied: order 0, 1, 2
    assert evaluate_distmat(distmat, [1], [2, 1, 2], max_rank=3).mAP == pytest.approx(0.5)
    assert evaluate_distmat(distmat, [1], [1, 2, 2], max_rank=3).mAP == pytest.approx(1.0)


def test_ranked_lists_equal_distmat_scores():
    distmat, qp, gp, _, _ = random_case(4)
    gp = np.abs(gp)  # no junk: truncation before/after removals then coincide
    ranked = np.argsort(distmat, axis=1, kind="stable")[:, :30]
    for base in (0, 1):
        from_lists = evaluate_ranked_lists(ranked + base, qp, gp, max_rank=10, index_base=base)
        from_dist = evaluate_distmat(distmat, qp, gp, max_rank=10, top_k=30)
        np.testing.assert_allclose(from_lists.cmc, from_dist.cmc)
        assert from_lists.mAP == pytest.approx(from_dist.mAP, abs=1e-12)
        assert np.isnan(from_lists.mINP)


def test_chunking_does_not_change_the_result(monkeypatch):
    import common.retrieval.metrics as m
    distmat, qp, gp, qc, gc = random_case(5, nq=50)
    whole = evaluate_distmat(distmat, qp, gp, qc, gc, max_rank=10, top_k=15)
    monkeypatch.setattr(m, "_CHUNK_ELEMENTS", 3 * distmat.shape[1])  # 3 queries per chunk
    chunked = evaluate_distmat(distmat, qp, gp, qc, gc, max_rank=10, top_k=15)
    np.testing.assert_array_equal(whole.cmc, chunked.cmc)
    np.testing.assert_array_equal(whole.ap, chunked.ap)


def test_all_queries_invalid_gives_nan_and_counts():
    res = evaluate_distmat(np.zeros((2, 2)), [3, 4], [1, 2], max_rank=2)
    assert res.num_valid_queries == 0 and res.num_skipped_queries == 2 and np.isnan(res.mAP)


@pytest.mark.parametrize("kwargs,match", [
    (dict(q_pids=[1, 2, 3]), "q_pids has 3 labels but distmat \\(rows\\) has 2"),
    (dict(g_pids=[1]), "g_pids has 1 labels but distmat \\(columns\\) has 3"),
    (dict(q_camids=[0, 0]), "both q_camids and g_camids"),
    (dict(top_k=4), "top_k=4 is larger than the ranked list"),
    (dict(ap_normalizer="mean"), "ap_normalizer must be one of"),
])
def test_bad_input_names_the_argument(kwargs, match):
    args = dict(distmat=np.zeros((2, 3)), q_pids=[1, 2], g_pids=[1, 2, 3])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        evaluate_distmat(**args)


def test_nan_distances_and_bad_ranked_lists_are_rejected():
    with pytest.raises(ValueError, match="distmat contains NaN"):
        evaluate_distmat(np.array([[np.nan, 1.0]]), [1], [1, 2])
    with pytest.raises(ValueError, match="outside \\[1, 2\\].*index_base"):
        evaluate_ranked_lists(np.array([[0, 1]]), [1], [1, 2], index_base=1)
    with pytest.raises(ValueError, match="must not repeat"):
        evaluate_ranked_lists(np.array([[1, 1]]), [1], [1, 2])


@pytest.mark.parametrize("top_k", [None, 20])
def test_equals_reference_with_infinite_and_negative_distances(top_k):
    """+inf ("never match", e.g. a camera penalty) and negative values (distances minus bias terms) rank
    like any other value, ties among them by gallery index."""
    distmat, qp, gp, qc, gc = random_case(7, tie_levels=6)
    rng = np.random.default_rng(7)
    distmat[rng.random(distmat.shape) < 0.2] = np.inf
    distmat -= 3.0
    ours = evaluate_distmat(distmat, qp, gp, qc, gc, max_rank=10, top_k=top_k, ap_normalizer="all")
    cmc, m_ap, m_inp, _ = reference(distmat, qp, gp, qc, gc, 10, top_k, "all")
    np.testing.assert_allclose(ours.cmc, cmc, atol=1e-12)
    assert ours.mAP == pytest.approx(m_ap, abs=1e-12) and ours.mINP == pytest.approx(m_inp, abs=1e-12)
