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
