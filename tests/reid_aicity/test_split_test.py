"""The seeded Split-Test carved from the training set by identity."""
import pytest

from reid_aicity.datasets import load_aic21_track2
from reid_aicity.split_test import carve_split_test


def test_split_is_seeded_disjoint_and_queries_have_cross_camera_matches(tiny_root):
    train = load_aic21_track2(tiny_root).train
    split = carve_split_test(train, num_ids=3, seed=5)
    assert split.held_out_pids == carve_split_test(train, num_ids=3, seed=5).held_out_pids
    assert any(carve_split_test(train, num_ids=3, seed=s).held_out_pids != split.held_out_pids for s in range(6, 10))
    held = set(split.held_out_pids)
    assert {it.pid for it in split.query} == held == {it.pid for it in split.gallery}
    assert len(split.train) + len(split.query) + len(split.gallery) == len(train)
    assert sorted({it.pid for it in split.train}) == list(range(len({it.pid for it in train}) - 3))
    # one query per (identity, camera), no track; each has a gallery image of its identity elsewhere
    assert len({(q.pid, q.camid) for q in split.query}) == len(split.query)
    assert all(q.extra == -1 for q in split.query)
    for q in split.query:
        assert any(g.pid == q.pid and g.camid != q.camid for g in split.gallery)
    assert not {q.img_path for q in split.query} & {g.img_path for g in split.gallery}


def test_too_many_identities_is_an_error(tiny_root):
    train = load_aic21_track2(tiny_root).train
    with pytest.raises(ValueError, match="lower data.split_test.num_ids"):
        carve_split_test(train, num_ids=1000)
