"""track2.txt (1-based, 100 per line), the ensemble, and top-100 mAP / CMC with held-out cameras."""
import numpy as np
import pytest

from common.config import load_config
from common.retrieval import read_aicity_track2
from common.runlog import RunLogger
from reid_aicity.defaults import DEFAULTS
from reid_aicity.ensemble import ensemble_distances
from reid_aicity.evaluate import save_submission
from reid_aicity.evaluation import retrieval_scores

TEST = load_config("reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py", schema=DEFAULTS).test


def test_track2_txt_is_one_based_with_100_per_line(tmp_path):
    distmat = np.random.default_rng(0).random((3, 150)).astype(np.float32)
    with RunLogger(tmp_path, tensorboard=False) as run:
        save_submission(run, distmat)
    lines = (tmp_path / "track2.txt").read_text().splitlines()
    assert len(lines) == 3
    for line, row in zip(lines, distmat):
        values = [int(v) for v in line.split(" ")]
        assert len(values) == 100 and min(values) >= 1 and max(values) <= 150
        assert values == (np.argsort(row, kind="stable")[:100] + 1).tolist()
    np.testing.assert_array_equal(read_aicity_track2(tmp_path / "track2.txt"),
                                  np.argsort(distmat, axis=1, kind="stable")[:, :100])
    np.testing.assert_array_equal(np.load(tmp_path / "dist_mat.npy"), distmat)


def test_ensemble_sums_member_distance_matrices(tmp_path):
    a, b = np.eye(2, 3, dtype=np.float32), np.full((2, 3), 0.5, np.float32)
    (tmp_path / "m1").mkdir()
    np.save(tmp_path / "m1" / "dist_mat.npy", a)
    np.save(tmp_path / "b.npy", b)
    np.testing.assert_allclose(ensemble_distances([tmp_path / "m1", tmp_path / "b.npy"]), a + b)
    np.testing.assert_allclose(ensemble_distances([tmp_path / "m1", tmp_path / "b.npy"], [2, -1]), 2 * a - b)
    with pytest.raises(FileNotFoundError, match="evaluate that model first"):
        ensemble_distances([tmp_path / "missing_run"])


def test_scores_hand_case_with_held_out_cameras():
    # query 0 (camera 1, vehicle 7): ranking g0 (vehicle 7, camera 1: ignored, same camera),
    # g1 (vehicle 8), g2 (vehicle 7, hit at rank 2), g3 (vehicle 7, hit at rank 3): AP = (1/2 + 2/3) / 2.
    # query 1 (camera 41, vehicle 9): g4 first: AP 1.
    distmat = np.array([[0, 1, 2, 3, 9], [9, 9, 9, 9, 0]], np.float32)
    labels = {"q_pids": np.array([7, 9]), "g_pids": np.array([7, 8, 7, 7, 9]),
              "q_cams": np.array([1, 41]), "g_cams": np.array([1, 2, 2, 3, 42])}
    scores = retrieval_scores(distmat, labels, TEST)
    ap0 = (1 / 2 + 2 / 3) / 2
    assert scores["mAP"] == pytest.approx((ap0 + 1) / 2)
    assert scores["R1"] == pytest.approx(0.5)
    assert scores["mAP_new_cams"] == pytest.approx(1.0) and scores["R1_new_cams"] == 1.0
    with pytest.raises(ValueError, match="no ground truth"):
        retrieval_scores(distmat, {**labels, "g_pids": np.array([7, 8, 7, 7, -1])}, TEST)


def test_top_k_map_divides_by_all_relevant_items_by_default():
    # top-2 lists; query 0 has two relevant items and finds one at rank 1: AP 1/2 over all relevant items
    # (the default), 1 over the retrieved ones (the server's convention, test.ap_normalizer="retrieved")
    distmat = np.array([[0, 1, 2, 3]], np.float32)
    labels = {"q_pids": np.array([7]), "g_pids": np.array([7, 8, 9, 7]), "q_cams": np.array([1]),
              "g_cams": np.array([2, 2, 2, 2])}
    from reid_aicity.evaluation import map_convention

    two = TEST.copy()
    two.top_k = 2
    assert retrieval_scores(distmat, labels, two)["mAP"] == pytest.approx(0.5)
    assert map_convention(two) == "mAP@2, AP over all relevant items"
    two.ap_normalizer = "retrieved"
    assert retrieval_scores(distmat, labels, two)["mAP"] == pytest.approx(1.0)
    assert map_convention(two) == "mAP@2, AP over the relevant items retrieved"


def test_ensemble_finds_a_re_evaluated_run(tmp_path):
    """A run directory holds dist_mat.npy from training and, after python -m reid_aicity.evaluate,
    evaluation/dist_mat.npy: the ensemble reads the newer one; a member with neither is named."""
    import os

    from reid_aicity.ensemble import member_path

    run = tmp_path / "run"
    (run / "evaluation").mkdir(parents=True)
    np.save(run / "evaluation" / "dist_mat.npy", np.ones((1, 2), np.float32))
    assert member_path(run) == run / "evaluation" / "dist_mat.npy"  # evaluated only
    np.save(run / "dist_mat.npy", np.zeros((1, 2), np.float32))
    os.utime(run / "dist_mat.npy", ns=(1, 1))  # the training run's file is the older
    assert member_path(run) == run / "evaluation" / "dist_mat.npy"
    np.testing.assert_allclose(ensemble_distances([run, run]), np.full((1, 2), 2.0))
    os.utime(run / "evaluation" / "dist_mat.npy", ns=(0, 0))
    assert member_path(run) == run / "dist_mat.npy"
    with pytest.raises(FileNotFoundError, match="ensemble member .*other"):
        ensemble_distances([run, tmp_path / "other"])


def test_dmt_track_distance_files_are_spread_over_the_tracks_images(tmp_path):
    """track_cam_rk.npy is [queries, gallery tracks], tracks in ascending id order (DMT's sorted(set(...)))."""
    from common.reid.dataset import ReIDItem
    from reid_aicity.attribute_models import attribute_distance, read_track_distance
    from reid_aicity.data import TargetSet

    query = [ReIDItem("q0.jpg", 1, 1, None), ReIDItem("q1.jpg", 2, 1, None)]
    gallery = [ReIDItem(f"g{i}.jpg", 1, 2, track) for i, track in enumerate([30, 10, 30, 20])]
    target = TargetSet(query, gallery, "test")
    per_track = np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]], np.float32)  # tracks 10, 20, 30
    np.save(tmp_path / "track_cam_rk.npy", per_track)
    expected = per_track[:, [2, 0, 2, 1]]
    np.testing.assert_array_equal(read_track_distance(tmp_path / "track_cam_rk.npy", target), expected)
    np.testing.assert_array_equal(attribute_distance(str(tmp_path / "track_cam_rk.npy"), None, target, None),
                                  expected)
    np.save(tmp_path / "wrong.npy", per_track[:, :2])
    with pytest.raises(ValueError, match=r"wrong.npy: shape \(2, 2\), but test has 2 queries and 3 gallery tracks"):
        read_track_distance(tmp_path / "wrong.npy", target)
    untracked = TargetSet(query, gallery[:3] + [ReIDItem("g3.jpg", 1, 2, None)], "test")
    with pytest.raises(ValueError, match="needs a track for every gallery image"):
        read_track_distance(tmp_path / "track_cam_rk.npy", untracked)
