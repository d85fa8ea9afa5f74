"""Selection rules on hand-made scores: thresholds and percentiles, the three scopes, intersection and union,
ties, groups with gaps and single-row groups, against NumPy's percentiles and hand counts."""
import numpy as np
import pytest

from reid_gan_filter.selection import combine, cutoffs, group_percentiles, scope_groups, select_generated


def _settings(c_rule="percentile", c_value=50.0, d_rule="percentile", d_value=50.0, how="intersection"):
    return {"consistency": {"rule": c_rule, "value": c_value}, "diversity": {"rule": d_rule, "value": d_value},
            "combine": how}


def test_group_percentiles_equal_numpy_per_group():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=500)
    groups = rng.choice([3, 7, 1000, -2, 41], size=500)  # gaps and a negative label: no empty group appears
    scores[:40] = 0.25  # ties
    for q in (0.0, 12.5, 50.0, 77.7, 100.0):
        cut = group_percentiles(scores, groups, q)
        for g in np.unique(groups):
            of = groups == g
            assert np.all(cut[of] == np.percentile(scores[of], q)), (q, g)


def test_threshold_keeps_sides_and_ties():
    scores = np.array([0.1, 0.2, 0.2, 0.3])
    groups = np.array([0, 1, 2, 3])  # the scope does not matter for thresholds
    sel = select_generated(scores, scores, groups, _settings("threshold", 0.2, "threshold", 0.2))
    assert sel.keep_consistency.tolist() == [True, True, True, False]  # <= 0.2, both tied rows kept
    assert sel.keep_diversity.tolist() == [False, True, True, True]  # >= 0.2
    assert sel.kept.tolist() == [False, True, True, False]
    assert np.all(sel.cutoff_consistency == 0.2)


def test_percentile_counts_in_each_scope():
    # two sources of identity 5 and one source of identity 9, four images each
    consistency = np.array([1, 2, 3, 4, 10, 20, 30, 40, 5, 6, 7, 8], dtype=float)
    diversity = consistency[::-1].copy()
    sources = np.repeat([0, 1, 2], 4)
    pids = np.array([5] * 8 + [9] * 4)
    settings = _settings(c_value=75.0, d_value=75.0)
    per_source = select_generated(consistency, diversity, scope_groups("source", sources, pids), settings)
    # 75th percentile of (1, 2, 3, 4) is 3.25: the three closest of every source
    assert per_source.keep_consistency.reshape(3, 4).sum(axis=1).tolist() == [3, 3, 3]
    assert per_source.keep_consistency.tolist()[:4] == [True, True, True, False]
    per_identity = select_generated(consistency, diversity, scope_groups("identity", sources, pids), settings)
    assert per_identity.keep_consistency[:8].sum() == 6 and per_identity.keep_consistency[8:].sum() == 3
    assert per_identity.cutoff_consistency[0] == np.percentile(consistency[:8], 75)
    glob = select_generated(consistency, diversity, scope_groups("global", sources, pids), settings)
    assert glob.keep_consistency.sum() == 9
    assert not glob.keep_consistency[5:8].any()  # the farthest source loses all of its far images
    # diversity keeps the far side: (100 - 75)th percentile
    assert glob.cutoff_diversity[0] == np.percentile(diversity, 25)
    assert np.array_equal(glob.keep_diversity, diversity >= np.percentile(diversity, 25))


def test_intersection_and_union():
    c = np.array([0.1, 0.1, 0.9, 0.9])
    d = np.array([0.1, 0.9, 0.1, 0.9])
    groups = np.zeros(4, dtype=int)
    inter = select_generated(c, d, groups, _settings("threshold", 0.5, "threshold", 0.5, "intersection"))
    union = select_generated(c, d, groups, _settings("threshold", 0.5, "threshold", 0.5, "union"))
    assert inter.kept.tolist() == [False, True, False, False]
    assert union.kept.tolist() == [True, True, False, True]
    with pytest.raises(ValueError, match="unknown combination 'both'"):
        combine(inter.keep_consistency, inter.keep_diversity, "both")


def test_single_row_groups_all_ties_and_no_rows():
    scores = np.array([3.0, 1.0, 2.0])
    cut = cutoffs(scores, np.array([0, 1, 2]), "percentile", 10.0, "low")
    assert np.array_equal(cut, scores)  # a group of one keeps its row
    tied = select_generated(np.ones(5), np.ones(5), np.zeros(5), _settings(c_value=20.0, d_value=20.0))
    assert tied.kept.all()  # every row sits at the cut-off
    empty = select_generated(np.zeros(0), np.zeros(0), np.zeros(0, dtype=int), _settings())
    assert empty.kept.shape == (0,) and empty.kept.dtype == bool


def test_bad_settings_and_scores_are_named():
    scores, groups = np.array([0.1, 0.2]), np.zeros(2, dtype=int)
    with pytest.raises(ValueError, match="percentage in \\(0, 100\\]"):
        cutoffs(scores, groups, "percentile", 0.0, "low")
    with pytest.raises(ValueError, match="unknown selection rule 'top-k'"):
        cutoffs(scores, groups, "top-k", 5, "low")
    with pytest.raises(ValueError, match="unknown selection scope 'camera'"):
        scope_groups("camera", groups, groups)
    with pytest.raises(ValueError, match="1 non-finite value.*row 1"):
        select_generated(np.array([0.1, np.nan]), scores, groups, _settings())


def test_one_hundred_thousand_rows_per_source():
    rng = np.random.default_rng(1)
    n = 100_000
    c, d = rng.random(n), rng.random(n)
    sources = rng.integers(0, 25_000, n)
    sel = select_generated(c, d, scope_groups("source", sources, sources // 4), _settings(c_value=80, d_value=70))
    assert sel.kept.shape == (n,)
    for g in np.unique(sources)[:200]:  # against a per-group reference
        of = sources == g
        assert np.array_equal(sel.keep_consistency[of], c[of] <= np.percentile(c[of], 80))
        assert np.array_equal(sel.keep_diversity[of], d[of] >= np.percentile(d[of], 30))
