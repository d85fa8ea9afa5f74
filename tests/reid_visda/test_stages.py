"""Each stage of the pipeline on the tiny synthetic trees (stand-in GAN folders): it trains, leaves its
record, evaluates, and resumes exactly."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from common.config import load_config
from common.retrieval import read_visda_result
from common.runlog import read_metrics
from reid_visda.defaults import DEFAULTS
from reid_visda.models import model_from_run
from reid_visda.train import run_training

from .conftest import TARGET_CAMERAS, tiny_overrides

CONFIGS = Path(__file__).resolve().parents[2] / "reid_visda" / "configs"


def config(name, trees, **extra):
    return load_config(CONFIGS / name, tiny_overrides(trees, **extra), schema=DEFAULTS)


@pytest.fixture(scope="module")
def camera_run(visda_trees, tmp_path_factory):
    work = tmp_path_factory.mktemp("camera")
    results = run_training(config("camera_resnet18_ibn_a_synthetic.py", visda_trees, **{
        "sampler.num_instances": 4, "solver.max_epochs": 2, "solver.steps": [1]}), work)
    return work, results


@pytest.fixture(scope="module")
def baseline_run(visda_trees, camera_run, tmp_path_factory):
    work = tmp_path_factory.mktemp("baseline")
    results = run_training(config("baseline_resnet18_ibn_a_synthetic.py", visda_trees, camera_model=str(camera_run[0])),
                           work)
    return work, results


def test_camera_model_record(camera_run):
    work, results = camera_run
    assert json.loads((work / "camera_classes.json").read_text()) == list(TARGET_CAMERAS)
    assert json.loads((work / "evaluation_val" / "results.json").read_text()) == results
    q_pred, g_pred = (np.load(work / "evaluation_val" / f"{s}_pred.npy") for s in ("q", "g"))
    assert np.load(work / "evaluation_val" / "camdistmat.npy").shape == (len(q_pred), len(g_pred))
    model, cfg = model_from_run(work)
    assert cfg.stage == "camera" and model.head.classifier.weight.shape[0] == len(TARGET_CAMERAS)


def test_baseline_record_and_evaluation(baseline_run, visda_trees):
    work, results = baseline_run
    rows = [r for r in read_metrics(work / "metrics.jsonl") if "epoch_loss" in r]
    assert [r["epoch"] for r in rows] == [0, 1]
    assert {"epoch_loss_ce_original", "epoch_loss_triplet_original", "epoch_loss_ce_camstyle",
            "epoch_loss_triplet_camstyle"} <= set(rows[0])
    evaluation = work / "evaluation_val"
    q = len(list((visda_trees / "Corrected_valid" / "test_probe").glob("*.jpg")))
    g = len(list((visda_trees / "Corrected_valid" / "test_gallery").glob("*.jpg")))
    assert np.load(evaluation / "distmat.npy").shape == (q, g)
    assert np.load(evaluation / "camdistmat.npy").shape == (q, g)
    assert set(np.load(evaluation / "q_pred.npy")) <= set(range(len(TARGET_CAMERAS)))
    ranked = read_visda_result(evaluation / "result.txt")
    assert ranked.shape == (q, min(100, g)) and ranked.min() >= 0 and ranked.max() < g
    lines = (evaluation / "result.txt").read_text().splitlines()
    assert all(len(token) == 5 for token in lines[0].split())  # %05d
    steps = [row["step"] for row in results["ablation"]]
    assert steps[0] == "features" and steps[-1] == "+ topology" and len(steps) == 7
    assert results["scores"] == results["ablation"][-1]
    assert (evaluation / "figures" / "evaluation_val.png").is_file()
    assert np.load(evaluation / "features.npy").shape[0] == q + g
    assert (evaluation / "figures" / "ranked_lists_val.png").stat().st_size > 0


def test_evaluate_on_a_market_layout_and_on_unlabelled_folders(baseline_run, visda_trees, tmp_path):
    """Any checkpoint on another retrieval set: Market-1501's layout (scored) and a folder pair without
    identities (features and ranked lists only)."""
    import csv
    import shutil

    from reid_visda import evaluate

    from common.config import load_config
    from reid_visda.data import load_retrieval_set
    from reid_visda.defaults import DEFAULTS

    work, _ = baseline_run
    val = load_retrieval_set(load_config(work / "config.py", schema=DEFAULTS), "val")
    probe, gallery = [it.img_path for it in val.query], [it.img_path for it in val.gallery]
    market = tmp_path / "persons" / "market1501"
    for folder, items in (("query", val.query), ("bounding_box_test", val.gallery),
                          ("bounding_box_train", val.gallery[:4])):
        (market / folder).mkdir(parents=True)
        for i, item in enumerate(items):  # Market-1501 names: <pid>_c<camera 1-6>s1_<frame>_<box>.jpg
            shutil.copy(item.img_path, market / folder / f"{item.pid:04d}_c{item.camid % 6 + 1}s1_{i:06d}_00.jpg")
    out = evaluate.main([str(work), "--split", "market1501", f"data.person_root={tmp_path / 'persons'}",
                         "camera_model=None"])
    evaluation = work / "evaluation_market1501"
    assert out["scores"]["mAP"] > 0 and (evaluation / "tables" / "evaluation_market1501.md").is_file()
    index = list(csv.DictReader((evaluation / "features_index.csv").open()))
    assert len(index) == len(probe) + len(gallery) and index[0]["split"] == "query"
    for folder, images in (("q", probe[:3]), ("g", gallery[:12])):
        (tmp_path / folder).mkdir()
        for i, image in enumerate(images):
            shutil.copy(image, tmp_path / folder / f"photo{i}.jpg")
    out = evaluate.main([str(work), "--split", "folders", f"data.folders.query={tmp_path / 'q'}",
                         f"data.folders.gallery={tmp_path / 'g'}", "camera_model=None"])
    evaluation = work / "evaluation_folders"
    assert out["scores"] == {} and np.load(evaluation / "distmat.npy").shape == (3, 12)
    assert (evaluation / "figures" / "ranked_lists_folders.png").stat().st_size > 0


def test_direct_transfer_reads_original_images_without_camstyle(visda_trees, tmp_path):
    run_training(config("table1_direct_transfer_synthetic.py", visda_trees, evaluate_after_training=False,
                        camera_model=None, **{"solver.max_epochs": 1, "solver.steps": [1]}), tmp_path)
    rows = [r for r in read_metrics(tmp_path / "metrics.jsonl") if "epoch_loss" in r]
    assert "epoch_loss_ce_original" in rows[0] and "epoch_loss_ce_camstyle" not in rows[0]


def adaptation_config(trees, init_from, camera, stage="adaptation", **extra):
    name = "adaptation_synthetic.py" if stage == "adaptation" else "finetune_synthetic.py"
    return config(name, trees, **{"model.init_from": str(init_from), "camera_model": str(camera),
                                  "adaptation.original_fraction": 0.5, "adaptation.k1": 6, "adaptation.k2": 2,
                                  "adaptation.eps": 0.6, "adaptation.min_samples": 2,
                                  "adaptation.pseudo_label_every": 1,
                                  "adaptation.top_clusters": 8, "adaptation.outliers.count": 4, **extra})


def test_adaptation_and_finetune(baseline_run, camera_run, visda_trees, tmp_path):
    run_training(adaptation_config(visda_trees, baseline_run[0], camera_run[0], evaluate_after_training=False),
                 tmp_path / "adaptation")
    # the code trains on the labels made before the first epoch (adaptation.relabel="initial")
    assert [p.name for p in (tmp_path / "adaptation" / "pseudo_labels").iterdir()] == ["epoch_000.npz"]
    assert np.load(tmp_path / "adaptation" / "pseudo_labels" / "epoch_000.npz")["labels"].max() < 8
    model, _ = model_from_run(tmp_path / "adaptation")
    assert [c.weight.shape[0] for c in model.classifiers] == [6, 8]  # source identities, top clusters
    results = run_training(adaptation_config(visda_trees, tmp_path / "adaptation", camera_run[0], stage="finetune",
                                             **{"adaptation.relabel": "every"}), tmp_path / "finetune")
    labels = [np.load(tmp_path / "finetune" / "pseudo_labels" / f"epoch_{e:03d}.npz")["labels"] for e in (0, 1)]
    assert all(len(lab) == len(labels[0]) and lab.max() < 12 for lab in labels)  # relabelled every epoch
    model, _ = model_from_run(tmp_path / "finetune")
    assert [c.weight.shape[0] for c in model.classifiers] == [6, 12]  # + the outlier classes
    assert results["ablation"][-1]["step"] == "+ topology"


def test_adaptation_resumes_exactly(baseline_run, camera_run, visda_trees, tmp_path):
    cfg = adaptation_config(visda_trees, baseline_run[0], camera_run[0], evaluate_after_training=False,
                            **{"adaptation.relabel": "every"})
    run_training(cfg, tmp_path / "straight")
    cfg.solver.max_epochs = 1
    run_training(cfg, tmp_path / "resumed")
    cfg.solver.max_epochs = 2
    run_training(cfg, tmp_path / "resumed", resume=True)
    straight, resumed = (model_from_run(tmp_path / name)[0].state_dict() for name in ("straight", "resumed"))
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], rtol=0, atol=0, msg=key)


def test_adaptation_needs_a_starting_point(visda_trees, tmp_path):
    cfg = config("adaptation_synthetic.py", visda_trees, **{"model.init_from": None})
    with pytest.raises(ValueError, match="set model.init_from"):
        run_training(cfg, tmp_path)
