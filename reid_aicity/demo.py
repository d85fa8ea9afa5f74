"""DMT end to end on synthetic data, on a CPU in a few minutes: ``python -m reid_aicity.demo --work-dir DIR``.

1. ``make_synthetic``: a small AI City-format data set (real-like cameras, a VehicleX-like set with
   orientations, detector boxes and their crops, a test set with three test-only cameras);
2. the camera and orientation models (``configs/camera_*``, ``configs/orientation_*``);
3. stage 1 (``configs/stage1_resnet18_ibn_a_synthetic.py``) and its post-processing ablation;
4. a randomly initialised network of the same architecture, for reference;
5. stage 2, variants v1 and v2 (``configs/stage2_*_synthetic_v1/v2.py``), from the stage-1 model;
6. the ensemble of the two stage-2 models and its ``track2.txt``.

Printed and saved in ``DIR/tables`` (Markdown + JSON) and ``DIR/figures/demo.png``:

* **post-processing ablation** of the stage-1 model in the shape of the paper's Table 4 (baseline,
  + augmentation test, + re-rank, + weighted tracklet, + camera verification, + inter-camera fusion,
  + camera/orientation bias), mAP (top-100) and R1 per row;
* **training stages** (paper Tables 3 and 5): random init, stage 1, stage 2 v1 / v2, with and without
  post-processing, and the ensemble, with the mAP of the queries from the test-only cameras.

Each step is an ordinary run directory under ``DIR`` (config, log, metrics, checkpoints, tables).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config

from common.config import load_config, run_demo_command
from common.device import resolve_device, seed_everything
from common.retrieval import metric_bars
from common.runlog import RunLogger

from .defaults import DEFAULTS
from .ensemble import run_ensemble
from .evaluate import evaluate_model
from .evaluation import map_convention
from .make_synthetic import SCALES, make_synthetic_dataset
from .models import build_model
from .post_processing import with_steps
from .train import run_training

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
TABLE_COLUMNS = ("mAP", "R1", "mAP_new_cams", "R1_new_cams")


def demo_config(name: str, overrides: dict[str, Any]) -> Config:
    """A synthetic config of ``configs/`` with ``overrides`` applied."""
    return load_config(CONFIG_DIR / name, overrides, schema=DEFAULTS)


def random_init_scores(cfg: Config, work_dir: Path) -> dict[str, Any]:
    """Plain-distance scores of the untrained network of ``cfg`` (no augmentation, no post-processing)."""
    seed_everything(cfg.seed)
    model = build_model(cfg, 0)
    cfg = Config(cfg.to_dict())
    cfg.test.views, cfg.test.crop_test, cfg.test.ablation, cfg.test.save_figures = ["original"], None, False, False
    cfg.test.post = with_steps(cfg.test.post, ())
    with RunLogger(work_dir, cfg, tensorboard=False) as run:
        return evaluate_model(model, cfg, run, resolve_device(cfg.device))["scores"]


def _row(name: str, scores: dict[str, Any]) -> dict[str, Any]:
    return {"method": name, **{k: round(float(scores[k]), 4) for k in TABLE_COLUMNS if k in scores}}


def summary_figure(ablation: list[dict], stages: list[dict]):
    """Two bar charts: the post-processing ablation (mAP, R1) and the stages (mAP, new-camera mAP)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.6))
    for ax, rows, keys, title in zip(fig.subplots(1, 2), (ablation, stages), (("mAP", "R1"), ("mAP", "mAP_new_cams")),
                                     ("Post-processing ablation, stage-1 model (cf. paper Table 4)",
                                      "Training stages (cf. paper Tables 3 and 5)")):
        metric_bars(ax, [r["method"] for r in rows], {k: [r.get(k, 0.0) for r in rows] for k in keys}, title)
    fig.tight_layout()
    return fig


def run_demo(work_dir: str | Path) -> dict[str, Any]:
    """Run the demo (see the module docstring) into ``work_dir``; returns its tables."""
    start = time.time()
    work = Path(work_dir)
    if resolve_device("auto").type == "cpu":
        torch.set_num_threads(1)  # tiny networks: one thread avoids OpenMP spin-waits on a shared CPU
    data = work / "data"
    print(f"[demo] writing the synthetic data set to {data}")
    make_synthetic_dataset(data, SCALES["demo"])
    base = {"data.root": str(data)}
    attributes = {"test.post.bias.camera_model": str(work / "camera"),
                  "test.post.bias.view_model": str(work / "orientation")}
    print("[demo] camera and orientation models")
    run_training(demo_config("camera_resnet18_ibn_a_synthetic.py", base), work / "camera")
    run_training(demo_config("orientation_resnet18_ibn_a_synthetic.py", base), work / "orientation")
    print("[demo] stage 1")
    stage1_cfg = demo_config("stage1_resnet18_ibn_a_synthetic.py", {**base, **attributes, "test.ablation": True})
    stage1 = run_training(stage1_cfg, work / "stage1")
    random_init = random_init_scores(stage1_cfg, work / "random_init")
    stage2 = {}
    for variant in ("v1", "v2"):
        print(f"[demo] stage 2 ({variant})")
        cfg = demo_config(f"stage2_resnet18_ibn_a_synthetic_{variant}.py",
                          {**base, **attributes, "model.init_from": str(work / "stage1"), "test.ablation": True})
        stage2[variant] = run_training(cfg, work / f"stage2_{variant}")
    print("[demo] ensemble")
    ensemble = run_ensemble(demo_config("ensemble_synthetic.py", {
        **base, "ensemble.members": [str(work / "stage2_v1"), str(work / "stage2_v2")]}), work / "ensemble")

    ablation = [_row(r["method"], r) for r in stage1["ablation"]]
    stages = [_row("random init", random_init),
              _row("stage 1", stage1["ablation"][0]), _row("stage 1 + post", stage1["ablation"][-1])]
    for variant, res in stage2.items():
        stages += [_row(f"stage 2 {variant}", res["ablation"][0]),
                   _row(f"stage 2 {variant} + post", res["ablation"][-1])]
    stages.append(_row("ensemble v1+v2 + post", ensemble))
    minutes = (time.time() - start) / 60
    with RunLogger(work, tensorboard=False) as run:
        convention = map_convention(load_config(CONFIG_DIR / "stage1_resnet18_ibn_a_synthetic.py",
                                                schema=DEFAULTS).test)
        run.save_table(ablation, "demo_post_processing_ablation",
                       title=f"Post-processing ablation of the stage-1 model (synthetic data; cf. paper Table 4; "
                       f"{convention})")
        run.save_table(stages, "demo_training_stages",
                       title=f"Training stages (synthetic data; {convention}; mAP_new_cams: queries of the "
                       "test-only cameras)")
        run.save_figure(summary_figure(ablation, stages), "demo")
        results = {"post_processing_ablation": ablation, "training_stages": stages, "minutes": round(minutes, 2)}
        run.save_json(results, "demo_results")
        run.info(f"[demo] finished in {minutes:.1f} min; tables in {run.dir / 'tables'}, "
                 f"figure {run.dir / 'figures' / 'demo.png'}, submission {work / 'ensemble' / 'track2.txt'}")
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return run_demo_command(run_demo, "reid_aicity", __doc__, argv, seeded=False)


if __name__ == "__main__":
    main(sys.argv[1:])
