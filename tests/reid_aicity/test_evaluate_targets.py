"""``python -m reid_aicity.evaluate`` on other retrieval sets than AI City's: VeRi-776 (full-ranking mAP) and a
plain query / gallery folder pair without labels; every run writes the distance matrix, the features with their
index and the ranked-list picture."""
import csv
import shutil

import numpy as np
import pytest
import torch

from common.config import load_config
from reid_aicity import evaluate
from reid_aicity.data import load_target
from reid_aicity.defaults import DEFAULTS
from reid_aicity.models import build_model

CONFIG = "reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py"
TINY = ["input.size_train=[32,32]", "input.size_test=[32,32]", "test.post.fic.enabled=False", "test.crop_test=None"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A randomly initialised model of the synthetic config, as a state-dict file."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "model.pth"
    torch.save(build_model(load_config(CONFIG, schema=DEFAULTS), 0).state_dict(), path)
    return path


def _copy_as(items, folder, name):
    folder.mkdir(parents=True)
    for i, item in enumerate(items):
        shutil.copy(item.img_path, folder / name(i, item))


def _outputs(run):
    index = list(csv.DictReader((run / "features_index.csv").open()))
    return np.load(run / "features.npy"), index, np.load(run / "dist_mat.npy")


def test_veri776_target_scores_the_full_ranking(tiny_root, tmp_path, weights):
    target = load_target(load_config(CONFIG, {"data.root": str(tiny_root), "data.target": "split_test"},
                                     schema=DEFAULTS))
    veri = tmp_path / "data" / "VeRi"
    veri_name = lambda i, it: f"{it.pid:04d}_c{it.camid:03d}_{i:08d}_0.jpg"  # noqa: E731
    _copy_as(target.query, veri / "image_query", veri_name)
    _copy_as(target.gallery, veri / "image_test", veri_name)
    (veri / "image_train").mkdir()
    shutil.copy(next((veri / "image_test").iterdir()), veri / "image_train")
    out = evaluate.main([CONFIG, f"data.root={tmp_path / 'data'}", "data.target=veri776", "test.top_k=None", *TINY,
                         "--weights", str(weights), "--work-dir", str(tmp_path / "run")])
    run = tmp_path / "run" / "evaluation"
    feats, index, dist = _outputs(run)
    assert dist.shape == (len(target.query), len(target.gallery))
    assert feats.shape[0] == len(index) == len(target.query) + len(target.gallery)
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)
    assert [r["split"] for r in index[:2]] == ["query", "query"] and index[-1]["split"] == "gallery"
    assert int(index[0]["pid"]) == target.query[0].pid
    assert "mAP over the full ranking" in (run / "tables" / "evaluation.md").read_text()
    assert 0 < out["scores"]["mAP"] == pytest.approx(out["scores"]["mAP_full"])
    assert (run / "figures" / "evaluation_ranked_lists.png").stat().st_size > 0


def test_unlabelled_folder_pair_gives_features_and_pictures(tiny_root, tmp_path, weights):
    target = load_target(load_config(CONFIG, {"data.root": str(tiny_root), "data.target": "split_test"},
                                     schema=DEFAULTS))
    anonymous = lambda i, it: f"image{i:04d}.jpg"  # noqa: E731
    _copy_as(target.query[:5], tmp_path / "q", anonymous)
    _copy_as(target.gallery[:20], tmp_path / "g", anonymous)
    out = evaluate.main([CONFIG, f"data.root={tiny_root}", "data.target=folders",
                         f"data.folders.query={tmp_path / 'q'}", f"data.folders.gallery={tmp_path / 'g'}",
                         "test.ranked_list_queries=3", *TINY,
                         "--weights", str(weights), "--work-dir", str(tmp_path / "run")])
    run = tmp_path / "run" / "evaluation"
    feats, index, dist = _outputs(run)
    assert out["scores"] == {} and dist.shape == (5, 20) and feats.shape[0] == 25
    assert {r["pid"] for r in index} == {"-1"}
    assert (run / "figures" / "evaluation_ranked_lists.png").stat().st_size > 0
    assert not (run / "tables" / "evaluation.md").exists()


def test_bad_folders_are_named(tmp_path):
    cfg = load_config(CONFIG, {"data.target": "folders", "data.folders.query": str(tmp_path / "missing"),
                               "data.folders.gallery": str(tmp_path)}, schema=DEFAULTS)
    with pytest.raises(FileNotFoundError, match="data.folders.query: folder not found"):
        load_target(cfg)
    cfg.data.folders.query = str(tmp_path)
    with pytest.raises(FileNotFoundError, match="data.folders.query: no images"):
        load_target(cfg)
    cfg.data.target = "market"
    with pytest.raises(ValueError, match="data.target must be one of test, split_test, veri776, folders"):
        load_target(cfg)
