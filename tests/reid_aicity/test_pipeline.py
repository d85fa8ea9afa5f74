"""The entry points end to end on the tiny synthetic data set: train (all stages), evaluate, ensemble,
and an exact ``--resume`` of stage 2."""
import shutil

import numpy as np
import torch

from common.checkpoint import load_checkpoint
from reid_aicity import ensemble, evaluate, export, train
from reid_aicity.models import checkpoint_manager

CONFIGS = "reid_aicity/configs"
TINY = ["input.size_train=[32,32]", "input.size_test=[32,32]", "input.padding=2", "solver.ims_per_batch=16",
        "solver.log_every=2", "test.save_figures=False"]


def _train(name, root, work_dir, *overrides):
    return train.main([f"{CONFIGS}/{name}", f"data.root={root}", *TINY, *overrides, "--work-dir", str(work_dir)])


def _final_state(run_dir):
    return load_checkpoint(checkpoint_manager(run_dir).latest())["components"]["model"]


def test_all_stages_evaluate_ensemble_and_resume(tiny_root, tmp_path):
    s1 = tmp_path / "stage1"
    results = _train("stage1_resnet18_ibn_a_synthetic.py", tiny_root, s1, "solver.max_epochs=2", "solver.steps=[1]",
                     "solver.warmup_epochs=1")
    num_query, num_gallery = np.load(s1 / "dist_mat.npy").shape
    lines = (s1 / "track2.txt").read_text().splitlines()
    assert len(lines) == num_query and all(len(line.split()) == num_gallery for line in lines)  # G < 100
    assert 0 < results["scores"]["mAP"] <= 1 and (s1 / "tables" / "evaluation.json").is_file()
    assert (s1 / "config.py").is_file() and (s1 / "metrics.jsonl").is_file() and checkpoint_manager(s1).latest()
    report = export.main([str(s1)])  # ONNX: onnxruntime checked against PyTorch inside
    assert report.path == s1 / "model.onnx" and report.path.stat().st_size > 0

    for stage in ("camera", "orientation"):
        _train(f"{stage}_resnet18_ibn_a_synthetic.py", tiny_root, tmp_path / stage, "solver.max_epochs=1",
               "solver.steps=[1]", "solver.warmup_epochs=1")
        assert checkpoint_manager(tmp_path / stage).latest() is not None

    out = evaluate.main([f"{CONFIGS}/stage1_resnet18_ibn_a_synthetic.py", f"data.root={tiny_root}", *TINY,
                         "test.ablation=True", f"test.post.bias.camera_model={tmp_path / 'camera'}",
                         f"test.post.bias.view_model={tmp_path / 'orientation'}", "--work-dir", str(s1)])
    assert [row["method"] for row in out["ablation"]][-1] == "+ camera/orientation bias"
    assert (s1 / "evaluation" / "tables" / "evaluation_ablation.md").is_file()
    split = evaluate.main([f"{CONFIGS}/stage1_resnet18_ibn_a_synthetic.py", f"data.root={tiny_root}", *TINY,
                           "data.target=split_test", "data.split_test.num_ids=3", "--work-dir", str(tmp_path / "split"),
                           "--weights", str(s1)])
    assert split["scores"]["queries"] == 6 and 0 < split["scores"]["mAP"] <= 1  # 3 vehicles x 2 cameras

    s2_args = ["solver.max_epochs=2", "stage2.cluster_every=2", "stage2.iters_per_epoch=2", "stage2.k1=5",
               "stage2.k2=2", "stage2.min_samples=2", "stage2.eps=0.8", f"model.init_from={s1}",
               f"test.post.bias.camera_model={tmp_path / 'camera'}",
               f"test.post.bias.view_model={tmp_path / 'orientation'}"]
    s2 = tmp_path / "stage2"
    _train("stage2_resnet18_ibn_a_synthetic_v2.py", tiny_root, s2, *s2_args)
    labels = np.load(s2 / "round0" / "pseudo_labels.npz")["labels"]
    assert labels.max() >= 1 and len(labels) == num_query + num_gallery

    # an interrupted run: the last epoch's checkpoint and the final weights are gone
    resumed = tmp_path / "stage2_resumed"
    shutil.copytree(s2, resumed)
    shutil.rmtree(resumed / "checkpoints")
    round_ckpts = sorted((resumed / "round0" / "checkpoints").iterdir())
    round_ckpts[-1].unlink()
    _train("stage2_resnet18_ibn_a_synthetic_v2.py", tiny_root, resumed, *s2_args, "--resume")
    a, b = _final_state(s2), _final_state(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    # two pseudo-label rounds: the second starts from the first round's weights and re-clusters
    two = tmp_path / "stage2_two_rounds"
    _train("stage2_resnet18_ibn_a_synthetic_v1.py", tiny_root, two, *s2_args, "stage2.cluster_every=1",
           "evaluate_after_training=False")
    assert (two / "round1" / "pseudo_labels.npz").is_file() and checkpoint_manager(two).latest() is not None

    scores = ensemble.main([f"{CONFIGS}/ensemble_synthetic.py", f"data.root={tiny_root}",
                            f"ensemble.members=[{s1},{s2}]", "--work-dir", str(tmp_path / "ensemble")])
    assert 0 < scores["mAP"] <= 1
    assert len((tmp_path / "ensemble" / "track2.txt").read_text().splitlines()) == num_query
