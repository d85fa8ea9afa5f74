"""The comparison runs (``reid_gan_filter.training_runs``, ``train``, ``ablation``, ``compare``) on the
``test``-scale synthetic set: which images a run trains on and with which labels, the pseudo-labels of the UDA
setting, resumed runs, the ablation's cells against the scoring run, the comparison table, and the errors.
Learning itself is tested on the demo-sized set (``test_demo.py``)."""
import json

import numpy as np
import pytest

import reid_gan_filter.training_runs as training_runs
from common.distributed import DistInfo
from common.gan.manifest import ManifestRow, read_manifest
from common.reid.dataset import ReIDItem
from reid_gan_filter import ablation, compare, train
from reid_gan_filter.generated_set import resolve_path
from reid_gan_filter.score import read_kept_manifest
from reid_gan_filter.synthetic_generated import GENERATED_DIR
from reid_gan_filter.training_sets import generated_rows, labelled_items, real_items, source_items

from .conftest import CONFIG_DIR, synthetic_config

CPU = DistInfo.single("cpu")
#: A short recipe: the tests check plumbing, not learning.
SHORT = {"train.recipe.epochs": 2, "train.recipe.warmup_epochs": 1, "train.recipe.steps": [1],
         "train.recipe.checkpoint_every": 1, "train.uda.rounds": 1, "train.uda.epochs_per_round": 1,
         "train.uda.k1": 6, "train.uda.k2": 2, "train.uda.min_samples": 2}


def train_config(root, score_run, setting="supervised", generated="filtered", **overrides):
    return synthetic_config(root, f"train_{setting}_synthetic.py", **{
        "train.generated": generated, "train.score_run": str(score_run), **SHORT, **overrides})


def test_labelled_items_take_their_source_label_and_camera(tmp_path):
    a, b, c = (str(tmp_path / f"{name}.jpg") for name in "abc")
    real = [ReIDItem(a, 7, 1, None), ReIDItem(b, 9, 2, None), ReIDItem(c, 9, 3, None)]
    rows = [ManifestRow(str(tmp_path / "a_0.jpg"), a, 7, 1, "cam4", "g"),
            ManifestRow(str(tmp_path / "b_0.jpg"), b, 9, 2, "cam5", "g"),
            ManifestRow(str(tmp_path / "c_0.jpg"), c, 9, 3, "cam6", "g")]
    # b unlabelled (-1, e.g. DBSCAN noise), c absent: they and their generated images are left out
    items = labelled_items(real, rows, {a: 0, b: -1})
    assert items == [ReIDItem(a, 0, 1, None), ReIDItem(str(tmp_path / "a_0.jpg"), 0, 1, None)]


def test_generated_rows_of_each_mode(synthetic_root, scored):
    work, result = scored
    real = real_items(train_config(synthetic_root, work))
    rows = {mode: generated_rows(train_config(synthetic_root, work, generated=mode), real)
            for mode in ("none", "all", "filtered")}
    assert rows["none"] == []
    manifest = read_manifest(synthetic_root / GENERATED_DIR / "manifest.csv")
    assert [r.generated_path for r in rows["all"]] == [resolve_path(r.generated_path) for r in manifest]
    assert rows["filtered"] == read_kept_manifest(work)
    assert len(rows["filtered"]) == int(result.selection.kept.sum()) < len(manifest)


@pytest.mark.parametrize("overrides, message", [
    ({"train.generated": "some"}, "train.generated"),
    ({"train.score_run": None}, "train.score_run"),
])
def test_generated_rows_errors(synthetic_root, scored, overrides, message):
    cfg = train_config(synthetic_root, scored[0], **overrides)
    with pytest.raises(ValueError, match=message):
        generated_rows(cfg, real_items(cfg))


def test_supervised_run_trains_on_real_and_kept_images_with_source_labels(synthetic_root, scored, tmp_path,
                                                                          monkeypatch):
    work, _ = scored
    cfg = train_config(synthetic_root, work)
    seen = {}

    def fake_fit(items, num_classes, run, arch, recipe, info, **kwargs):
        seen.update(items=items, num_classes=num_classes, recipe=recipe)

    monkeypatch.setattr(training_runs, "fit_reid_model", fake_fit)
    training_runs.run_supervised(cfg, _NullRun(), CPU)
    real = real_items(cfg)
    kept = read_kept_manifest(work)
    pids = sorted({it.pid for it in real})
    by_path = {it.img_path: it for it in real}
    assert seen["num_classes"] == len(pids)
    assert len(seen["items"]) == len(real) + len(kept)
    for item in seen["items"][:len(real)]:
        assert pids[item.pid] == by_path[item.img_path].pid
    for item, row in zip(seen["items"][len(real):], kept):
        source = by_path[row.source_path]
        assert item == ReIDItem(row.generated_path, pids.index(source.pid), source.camid, None)
    assert seen["recipe"] == cfg.train.recipe


class _NullRun:
    def info(self, message):
        pass


def test_pseudo_labels_recover_separated_clusters(synthetic_root, scored):
    # the demo's clustering (k1 10, k2 4, eps 0.5, min_samples 4) on 5 clusters of 10
    cfg = train_config(synthetic_root, scored[0], **{"train.uda.k1": 10, "train.uda.k2": 4, "train.uda.eps": 0.5,
                                                      "train.uda.min_samples": 4})
    rng = np.random.default_rng(0)
    centres = np.linalg.qr(rng.normal(size=(32, 5)))[0].T  # 5 orthonormal directions
    truth = np.repeat(np.arange(5), 10)
    features = centres[truth] + 0.05 * rng.normal(size=(50, 32))
    outlier = -centres.sum(0) + 0.3 * rng.normal(size=32)  # far from every cluster
    features = np.vstack([features, outlier])
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    labels = training_runs.pseudo_labels(features, cfg)
    assert labels[-1] == -1
    # the clusters found are the true ones, up to their numbering
    assert len(set(labels[:-1])) == 5 and -1 not in labels[:-1]
    assert all(len(set(labels[:-1][truth == k])) == 1 for k in range(5))


def test_supervised_run_end_to_end_and_resumed(synthetic_root, scored, tmp_path):
    cfg = train_config(synthetic_root, scored[0])
    first = training_runs.run_comparison(cfg, tmp_path / "run", CPU)
    assert set(first) == {"setting", "generated", "mAP", "R1", "R5", "mINP"}
    assert json.loads((tmp_path / "run" / "results.json").read_text()) == first
    checkpoints = sorted((tmp_path / "run" / "checkpoints").iterdir())
    stamps = [p.stat().st_mtime_ns for p in checkpoints]
    again = training_runs.run_comparison(cfg, tmp_path / "run", CPU)  # finished: nothing is trained again
    assert again == first
    assert [p.stat().st_mtime_ns for p in sorted((tmp_path / "run" / "checkpoints").iterdir())] == stamps


def test_uda_run_pseudo_labels_are_saved_and_read_back(synthetic_root, scored, source_root, tmp_path, monkeypatch):
    cfg = train_config(synthetic_root, scored[0], "uda", **{"train.uda.source.root": str(source_root)})
    first = training_runs.run_comparison(cfg, tmp_path / "run", CPU)
    saved = np.load(tmp_path / "run" / "round0" / "pseudo_labels.npz")["labels"]
    assert saved.shape == (len(real_items(cfg)),) and saved.max() >= 1
    assert "round0: pseudo-labels clusters" in (tmp_path / "run" / "run.log").read_text()

    def no_clustering(*args, **kwargs):
        raise AssertionError("a finished round clusters again")

    monkeypatch.setattr(training_runs, "pseudo_labels", no_clustering)
    assert training_runs.run_comparison(cfg, tmp_path / "run", CPU) == first
    # another run adapting the same source model trains no source model of its own
    cfg.merge_from_dict({"train.uda.source_weights": str(tmp_path / "run" / "source"), "train.generated": "none"})
    monkeypatch.undo()
    training_runs.run_comparison(cfg, tmp_path / "other", CPU)
    assert not (tmp_path / "other" / "source").exists()


@pytest.mark.parametrize("overrides, message", [
    ({"train.setting": "semi"}, "train.setting"),
    ({"train.uda.source.root": None}, "train.uda.source.root"),
    ({"train.uda.source.layout": "cuhk03"}, "train.uda.source.layout"),
])
def test_setting_and_source_errors(synthetic_root, scored, source_root, tmp_path, overrides, message):
    cfg = train_config(synthetic_root, scored[0], "uda", **{"train.uda.source.root": str(source_root), **overrides})
    with pytest.raises(ValueError, match=message):
        if "train.setting" in overrides:
            training_runs.run_comparison(cfg, tmp_path / "run", CPU)
        else:
            source_items(cfg)


def test_ablation_cells_select_like_the_scoring_run(synthetic_root, scored, tmp_path):
    work, result = scored
    cfg = train_config(synthetic_root, work, **{"ablation.consistency": [70.0, 100.0],
                                                "ablation.diversity": [70.0, 100.0], "ablation.train": False})
    cells = {(c["consistency"], c["diversity"]): c for c in ablation.run_ablation(cfg, tmp_path / "abl", CPU)}
    quality = {row["selection"]: row for row in result.quality}
    # the configured cut-offs (70 / 70) are the scoring run's selection; 100 keeps everything in that space
    assert read_kept_manifest(tmp_path / "abl" / "c70_d70") == read_kept_manifest(work)
    for key, name in (((70.0, 70.0), "intersection"), ((70.0, 100.0), "E_c alone"), ((100.0, 70.0), "E_d alone")):
        assert cells[key]["kept"] == quality[name]["kept"]
        assert cells[key]["precision"] == quality[name]["precision"]
        assert cells[key]["recall"] == quality[name]["recall"]
    assert cells[100.0, 100.0]["kept"] == len(result.rows) and cells[100.0, 100.0]["recall"] == 1.0
    saved = json.loads((tmp_path / "abl" / "ablation.json").read_text())
    assert len(saved["cells"]) == 4 and saved["setting"] is None
    assert (tmp_path / "abl" / "figures" / "ablation_heatmap.png").stat().st_size > 0


def test_ablation_trains_every_cell_and_uda_cells_share_the_source(synthetic_root, scored, source_root, tmp_path):
    cfg = train_config(synthetic_root, scored[0], "uda", **{
        "train.uda.source.root": str(source_root), "ablation.consistency": [70.0],
        "ablation.diversity": [70.0, 100.0], "train.recipe.epochs": 1, "train.recipe.steps": []})
    cells = ablation.run_ablation(cfg, tmp_path / "abl", CPU)
    assert [(c["consistency"], c["diversity"]) for c in cells] == [(70.0, 70.0), (70.0, 100.0)]
    for cell in cells:
        name = ablation.cell_name(cell["consistency"], cell["diversity"])
        results = json.loads((tmp_path / "abl" / name / "results.json").read_text())
        assert results["generated"] == "filtered" and cell["mAP"] == round(results["mAP"], 4)
    assert (tmp_path / "abl" / "c70_d70" / "source").is_dir()
    assert not (tmp_path / "abl" / "c70_d100" / "source").exists()


def test_ablation_errors(synthetic_root, scored, tmp_path):
    for overrides, message in (({"ablation.diversity": [70.0, 70.0]}, "ablation.diversity"),
                               ({"ablation.consistency": [70.0, 120.0]}, "percentile"),
                               ({"train.score_run": None}, "train.score_run"),
                               ({"train.score_run": str(tmp_path)}, "scores.json")):
        cfg = train_config(synthetic_root, scored[0], **{"ablation.train": False, **overrides})
        with pytest.raises((ValueError, FileNotFoundError), match=message):
            ablation.run_ablation(cfg, tmp_path / "abl", CPU)
    assert not (tmp_path / "abl").exists()


def test_train_command_line(synthetic_root, scored, tmp_path):
    args = [f"{k}={v}" for k, v in SHORT.items()]
    results = train.main([str(CONFIG_DIR / "train_supervised_synthetic.py"),
                          f"data.real.root={synthetic_root}", f"train.score_run={scored[0]}", "train.generated=none",
                          *args, "--work-dir", str(tmp_path / "run")])
    assert results["generated"] == "none"
    assert json.loads((tmp_path / "run" / "results.json").read_text()) == results


def test_compare_orders_the_runs_and_checks_them(tmp_path):
    runs = {"b": ("uda", "all", 0.5), "a": ("supervised", "filtered", 0.8), "c": ("supervised", "none", 0.6)}
    for name, (setting, generated, value) in runs.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(
            {"setting": setting, "generated": generated, "mAP": value, "R1": value, "R5": 1.0, "mINP": 0.1}))
    rows = compare.main([str(tmp_path / n) for n in runs] + ["--out", str(tmp_path / "table")])
    assert [(r["setting"], r["training set"], r["mAP"]) for r in rows] == [
        ("supervised", "real only", 0.6), ("supervised", "real + filtered", 0.8), ("uda", "real + all generated", 0.5)]
    assert json.loads((tmp_path / "table" / "tables" / "comparison.json").read_text()) == rows
    assert (tmp_path / "table" / "figures" / "comparison.png").stat().st_size > 0
    with pytest.raises(FileNotFoundError, match="results.json"):
        compare.main([str(tmp_path / "a"), str(tmp_path / "missing"), "--out", str(tmp_path / "t2")])
    assert not (tmp_path / "t2").exists()


def test_evaluate_a_run_on_its_real_split_and_on_unlabelled_folders(synthetic_root, scored, source_root, tmp_path):
    """``python -m reid_gan_filter.evaluate`` re-scores a finished run exactly as the run scored itself (the last
    round's weights in UDA), and on folders without identities writes features and pictures only."""
    import shutil

    from reid_gan_filter import evaluate

    cfg = train_config(synthetic_root, scored[0], "uda", **{"train.uda.source.root": str(source_root)})
    trained = training_runs.run_comparison(cfg, tmp_path / "run", CPU)
    assert evaluate.model_weights(tmp_path / "run") == tmp_path / "run" / "round0"
    again = evaluate.main([str(tmp_path / "run")])
    for key in ("mAP", "R1", "R5", "mINP"):
        assert again[key] == pytest.approx(trained[key], abs=1e-6)
    out = tmp_path / "run" / "evaluation_real"
    assert np.load(out / "features.npy").shape[0] == len(evaluate.retrieval_set(cfg, "real")[0]) + np.load(
        out / "distmat.npy").shape[1]
    query, gallery = evaluate.retrieval_set(cfg, "real")
    for folder, items in (("q", query[:3]), ("g", gallery[:8])):
        (tmp_path / folder).mkdir()
        for i, item in enumerate(items):
            shutil.copy(item.img_path, tmp_path / folder / f"image{i}.jpg")
    result = evaluate.main([str(tmp_path / "run"), "--split", "folders", f"evaluate.folders.query={tmp_path / 'q'}",
                            f"evaluate.folders.gallery={tmp_path / 'g'}"])
    out = tmp_path / "run" / "evaluation_folders"
    assert "mAP" not in result and np.load(out / "distmat.npy").shape == (3, 8)
    assert (out / "figures" / "ranked_lists.png").stat().st_size > 0 and not (out / "results.json").exists()
