"""The ensemble against the code's ``utils/ensemble.py`` re-stated, the re-organised trees written by
``prepare_data``, and the pixel-mean CamStyle dataset."""

import numpy as np
import pytest
from PIL import Image

from common.config import load_config
from common.person import load_bias_eliminate_tree
from common.retrieval import read_visda_result
from reid_visda.data import CamStyleMeanDataset
from reid_visda.defaults import DEFAULTS
from reid_visda.ensemble import run_ensemble

from .conftest import TARGET_CAMERAS
from .test_stages import CONFIGS


def official_ensemble(distmats, weights, camdistmats, q_pred, g_pred, topo):
    """utils/ensemble.py with its float16 accumulators (topology passed in)."""
    final = np.zeros(distmats[0].shape).astype(np.float16)
    for d, w in zip(distmats, weights):
        final += d * w
    final /= sum(weights)
    cam = np.zeros(distmats[0].shape).astype(np.float16)
    for d in camdistmats:
        cam += d * 1
    cam /= len(camdistmats)
    final -= cam * 0.1
    final += np.equal(q_pred.reshape(-1, 1), g_pred.T) * 1.0
    return final - final * topo[q_pred][:, g_pred]


def test_ensemble_equals_the_code(visda_trees, tmp_path):
    tree = load_bias_eliminate_tree(eval_root=visda_trees / "Corrected_valid")
    q, g = len(tree.query), len(tree.gallery)
    rng = np.random.default_rng(0)
    members = []
    for name in ("a", "b"):
        folder = tmp_path / name / "evaluation_val"
        folder.mkdir(parents=True)
        np.save(folder / "distmat.npy", rng.uniform(0, 2, (q, g)).astype(np.float32))
        np.save(folder / "camdistmat.npy", rng.uniform(0, 1.4, (q, g)).astype(np.float32))
        members.append(tmp_path / name)
    np.save(members[0] / "evaluation_val" / "q_pred.npy", rng.integers(0, 5, q))
    np.save(members[0] / "evaluation_val" / "g_pred.npy", rng.integers(0, 5, g))
    topo = rng.uniform(0, 0.3, (5, 5)).astype(np.float32)
    np.save(tmp_path / "topology.npy", topo)
    cfg = load_config(CONFIGS / "ensemble_synthetic.py", {
        "data.root": str(visda_trees), "ensemble.members": [str(m) for m in members], "ensemble.weights": [2, 1],
        "ensemble.camera_members": [str(m) for m in members], "ensemble.camera_predictions": str(members[0]),
        "test.post.topology.matrix": str(tmp_path / "topology.npy")}, schema=DEFAULTS)
    results = run_ensemble(cfg, tmp_path / "ensemble")
    load = lambda m, n: np.load(m / "evaluation_val" / n)  # noqa: E731
    expected = official_ensemble([load(m, "distmat.npy") for m in members], [2, 1],
                                 [load(m, "camdistmat.npy") for m in members], load(members[0], "q_pred.npy"),
                                 load(members[0], "g_pred.npy"), topo)
    ranked = read_visda_result(tmp_path / "ensemble" / "result.txt")
    assert ranked.shape == (q, min(100, g))
    best = expected[np.arange(q)[:, None], ranked]
    assert (np.diff(best, axis=1) >= -1e-3).all()  # sorted by the code's distance (up to float16 ties)
    np.testing.assert_array_equal(ranked[:, 0], np.argsort(expected, axis=1, kind="stable")[:, 0])
    assert [r["model"] for r in results["rows"]][-1] == "ensemble topology"


def test_missing_member_is_named(visda_trees, tmp_path):
    cfg = load_config(CONFIGS / "ensemble_synthetic.py", {"data.root": str(visda_trees),
                                                         "ensemble.members": [str(tmp_path / "nowhere")],
                                                         "ensemble.weights": [1]}, schema=DEFAULTS)
    with pytest.raises(FileNotFoundError, match="ensemble member .*nowhere: no distmat.npy"):
        run_ensemble(cfg, tmp_path / "out")


def test_prepared_trees_read_back(visda_trees):
    source = load_bias_eliminate_tree(visda_trees / "Corrected_personX", transferred="spgan", group_sizes=(5,))
    assert source.num_train_pids == 6 and len(source.camstyle) == 5 * len(source.train)
    target = load_bias_eliminate_tree(visda_trees / "Corrected_target_training", group_sizes=(5,))
    assert sorted({item.camid for item in target.train}) == list(TARGET_CAMERAS)
    assert len({item.pid for item in target.train}) == 6  # the synthetic identities, for pseudo-label quality
    with pytest.raises(ValueError, match="group"):
        load_bias_eliminate_tree(visda_trees / "Corrected_target_training")  # official sizes (6, 8)


def test_camstyle_mean_image(tmp_path):
    from common.reid.dataset import ReIDItem

    paths = []
    for i, value in enumerate((10, 20, 62)):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(np.full((8, 4, 3), value, np.uint8)).save(paths[-1])
    items = [ReIDItem(p, 0, 0, i) for i, p in enumerate(paths)]
    dataset = CamStyleMeanDataset(items[:1], items[1:], [[0, 1]], size=(8, 4))
    # the mean 30.67 is truncated to uint8, as the code's np.mean(...).astype(np.uint8)
    assert np.asarray(dataset[0]["img"]).max() == 30 and dataset[0]["path"] == paths[0]
