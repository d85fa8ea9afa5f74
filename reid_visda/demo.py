"""The VisDA-2020 winner end to end on synthetic data, on a CPU in a few minutes:
``python -m reid_visda.demo --work-dir DIR``.

1. ``common.person.make_synthetic``: a small VisDA-2020-format data set (a clean game-like source with six
   cameras; a real-like target with its own palette, blur, noise and five styled training cameras);
   ``prepare_data`` re-organises it into the official ``Corrected_*`` trees;
2. ``common.gan``: SPGAN (source -> target) translates the source into ``trainval_spgan/``; a StarGAN over the
   target cameras writes one copy per camera of every target image (``trainval_camstyle/``) and of every
   translated source image (``trainval_spgan_camstyle/``); both print their domain distances;
3. the camera model, then the three baselines of the report's Table 1 (direct transfer, + SPGAN,
   + CamStyle), adaptation from the CamStyle baseline and finetuning from the adapted model, each an
   ordinary run directory under ``DIR`` evaluated on the validation split;
4. the table in the shape of the report's Table 1 (mAP / R1 per row, the last row with the post-processing)
   with its bar chart, and the post-processing ablation of the finetuned model.

Printed and saved in ``DIR/tables`` (Markdown + JSON) and ``DIR/figures/demo_table1.png``.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config

from common.config import load_config, run_demo_command
from common.device import resolve_device
from common.gan.defaults import DEFAULTS as GAN_DEFAULTS
from common.gan.generate import generate
from common.gan.train import run_gan_training
from common.person.make_synthetic import SCALES, make_synthetic_dataset
from common.runlog import RunLogger

from .defaults import DEFAULTS
from .evaluate import score_bars
from .prepare_data import TREES, prepare_visda_trees
from .train import run_training

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
#: Table 1 rows: (row, run directory, config, score: "plain" (no post-processing) or "scores" (all of it)).
TABLE1 = (("Direct transfer", "direct_transfer", "table1_direct_transfer_synthetic.py", "plain"),
          ("+ SPGAN", "spgan", "table1_spgan_synthetic.py", "plain"),
          ("+ CamStyle", "baseline", "baseline_resnet18_ibn_a_synthetic.py", "plain"),
          ("+ Domain adaptation", "adaptation", "adaptation_synthetic.py", "plain"),
          ("+ Finetuning", "finetune", "finetune_synthetic.py", "plain"),
          ("+ Post processing", "finetune", None, "scores"))
COLUMNS = ("mAP", "R1", "R5", "R10")
#: The demo's data: the ``demo`` scale with a larger validation set (128 identities, ~640 gallery images):
#: the post-processing estimates per-camera statistics on the gallery, which a few dozen images per
#: camera do not give.
DEMO_VAL_IDS = 128


def demo_config(name: str, overrides: dict[str, Any]) -> Config:
    return load_config(CONFIG_DIR / name, overrides, schema=DEFAULTS)


def run_gans(trees: Path, work: Path, seed: int) -> dict[str, Any]:
    """Step 2: train SPGAN and the CamStyle StarGAN, write their image sets; returns their results."""
    source, target = trees / TREES["source"], trees / TREES["target"]
    spgan_cfg = load_config(CONFIG_DIR / "gan_spgan_synthetic.py", {
        "data.source.root": str(source / "trainval"), "data.target.root": str(target / "trainval"), "seed": seed},
        schema=GAN_DEFAULTS)
    spgan = run_gan_training(spgan_cfg, work / "gan_spgan")
    generate(work / "gan_spgan", source / "trainval", source / "trainval_spgan")
    stargan_cfg = load_config(CONFIG_DIR / "gan_stargan_synthetic.py", {
        "data.train.root": str(target / "trainval"), "seed": seed}, schema=GAN_DEFAULTS)
    stargan = run_gan_training(stargan_cfg, work / "gan_camstyle")
    generate(work / "gan_camstyle", target / "trainval", target / "trainval_camstyle")
    generate(work / "gan_camstyle", source / "trainval_spgan", source / "trainval_spgan_camstyle")
    return {"spgan": spgan, "stargan": stargan}


def _row(name: str, scores: dict[str, Any]) -> dict[str, Any]:
    return {"method": name, **{k: round(float(scores[k]), 4) for k in COLUMNS if k in scores}}


def run_demo(work_dir: str | Path, seed: int = 0) -> dict[str, Any]:
    """Run the demo (see the module docstring) into ``work_dir``; returns its tables."""
    start = time.time()
    work = Path(work_dir)
    if resolve_device("auto").type == "cpu":
        torch.set_num_threads(1)  # tiny networks: one thread avoids OpenMP spin-waits on a shared CPU
    raw, trees = work / "data" / "visda_raw", work / "data" / "visda"
    print(f"[demo] writing the synthetic VisDA data set to {raw} and its Corrected_* trees to {trees}")
    make_synthetic_dataset(raw, dataclasses.replace(SCALES["demo"], val_ids=DEMO_VAL_IDS, seed=seed), layout="visda")
    prepare_visda_trees(raw, trees)
    print("[demo] SPGAN and the CamStyle StarGAN")
    gans = run_gans(trees, work, seed)
    base = {"data.root": str(trees), "seed": seed, "camera_model": str(work / "camera")}
    print("[demo] camera model")
    run_training(demo_config("camera_resnet18_ibn_a_synthetic.py", {**base, "camera_model": None}), work / "camera")
    results = {}
    for row, run_name, config, _ in TABLE1:
        if config is None or run_name in results:
            continue
        print(f"[demo] {row.lstrip('+ ')}")
        overrides = dict(base)
        if run_name == "adaptation":
            overrides["model.init_from"] = str(work / "baseline")
        if run_name == "finetune":
            overrides["model.init_from"] = str(work / "adaptation")
        results[run_name] = run_training(demo_config(config, overrides), work / run_name)
    table = [_row(row, results[run_name][score]) for row, run_name, _, score in TABLE1]
    ablation = [_row(r["step"], r) for r in results["finetune"]["ablation"]]
    distances = gans["spgan"].get("domain_distance", []) + gans["stargan"].get("domain_distance", [])
    minutes = (time.time() - start) / 60
    with RunLogger(work, tensorboard=False) as run:
        run.save_table(distances, "demo_domain_distance", title="Fréchet domain distance before / after translation")
        run.save_table(table, "demo_table1", title="Synthetic VisDA validation, cf. the report's Table 1")
        run.save_table(ablation, "demo_post_processing", title="Post-processing steps of the finetuned model")
        run.save_figure(score_bars(table, "method", "Synthetic VisDA validation set (cf. the report's Table 1)"),
                        "demo_table1")
        out = {"table1": table, "post_processing": ablation, "domain_distance": distances, "minutes": round(minutes, 2)}
        run.save_json(out, "demo_results")
        run.info(f"[demo] finished in {minutes:.1f} min; tables in {run.dir / 'tables'}, "
                 f"figure {run.dir / 'figures' / 'demo_table1.png'}")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return run_demo_command(run_demo, "reid_visda", __doc__, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
