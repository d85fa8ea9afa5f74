"""Which GAN-generated images are good for ReID, end to end on synthetic data on a CPU:
``python -m reid_gan_filter.demo --work-dir DIR``.

1. ``make_synthetic``: a Market-1501-format set of synthetic people and, for every real training image,
   generated images of known quality (good style changes, near-copies, identity-breaking edits), plus a
   PersonX-like labelled source domain (``common.person``) for the UDA setting;
2. ``score``: E_c (a light ReID model trained on the real images) and E_d (colour/texture statistics), the
   selection and its precision / recall per encoder and for the intersection; ``ablation``: the same for a
   grid of cut-offs (``configs/ablation_synthetic.py``, heat-maps in ``DIR/ablation/figures``);
3. ``train``: the same light ReID model trained with the real images only, with all generated images and with
   the kept ones, in the supervised and in the UDA setting (``configs/train_*_synthetic.py``); the supervised
   "real only" model is E_c itself (the same training), and the three UDA runs adapt one source model.

Printed and saved in ``DIR/tables`` (Markdown + JSON) and ``DIR/figures/demo_comparison.png``: the comparison
table (mAP / R1 / R5 / mINP on the held-out query / gallery) and the selection's precision / recall.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import torch

from common.config import load_config, run_demo_command
from common.device import resolve_device, seed_everything
from common.distributed import DistInfo
from common.person.make_synthetic import SCALES as PERSON_SCALES
from common.person.make_synthetic import make_synthetic_dataset
from common.runlog import RunLogger

from .ablation import run_ablation
from .compare import SETTINGS, TRAINING_SETS, comparison_row, save_comparison
from .training_runs import evaluate, run_comparison
from .encoders import load_reid_model
from .defaults import DEFAULTS
from .score import run_scoring
from .synthetic_generated import SCALES, make_generated_set

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


def run_demo(work_dir: str | Path, seed: int = 0) -> dict[str, Any]:
    """Run the demo (see the module docstring) into ``work_dir``; returns its tables."""
    start = time.time()
    work = Path(work_dir)
    device = str(resolve_device("auto"))
    if device == "cpu":
        torch.set_num_threads(1)  # tiny networks: one thread avoids OpenMP spin-waits on a shared CPU
    data = work / "data"
    spec = SCALES["demo"]
    print(f"[demo] writing the synthetic real + generated set and a source domain to {data}")
    make_generated_set(data, dataclasses.replace(spec, market=dataclasses.replace(spec.market, seed=seed)))
    make_synthetic_dataset(data / "source", dataclasses.replace(PERSON_SCALES["demo"], seed=seed,
                                                                source_images_per_camera=1), layout="visda")
    paths = {"data.real.root": str(data), "data.generated.manifest": str(data / "generated" / "manifest.csv"),
             "data.ground_truth": str(data / "generated" / "quality_synthetic.csv"), "seed": seed}
    print("[demo] scoring the generated images")
    seed_everything(seed)
    score = run_scoring(load_config(CONFIG_DIR / "score_synthetic.py", paths, schema=DEFAULTS), work / "score")
    print("[demo] selection cut-offs: kept images and their precision / recall over a grid")
    run_ablation(load_config(CONFIG_DIR / "ablation_synthetic.py", {**paths, "train.score_run": str(work / "score")},
                             schema=DEFAULTS), work / "ablation", DistInfo.single(device))
    rows = []
    for setting in SETTINGS:
        for generated, name in TRAINING_SETS.items():
            print(f"[demo] {setting}: {name}")
            # the three UDA runs adapt the same source model: the first trains it
            source = str(work / "uda_none" / "source") if setting == "uda" and generated != "none" else None
            cfg = load_config(CONFIG_DIR / f"train_{setting}_synthetic.py", {
                **paths, "train.generated": generated, "train.score_run": str(work / "score"),
                "train.uda.source.root": str(data / "source"), "train.uda.source_weights": source}, schema=DEFAULTS)
            if setting == "supervised" and generated == "none":
                # E_c is this run: the same model, recipe (train_supervised_synthetic.py), images and seed
                encoder = work / "score" / "consistency_encoder"
                model = load_reid_model(encoder, cfg.encoders.reid.backbone, cfg.encoders.reid.head)
                result = {"setting": setting, "generated": generated, **evaluate(model, cfg, device)}
            else:
                seed_everything(seed)
                result = run_comparison(cfg, work / f"{setting}_{generated}", DistInfo.single(device))
            rows.append(comparison_row(result))
    minutes = (time.time() - start) / 60
    with RunLogger(work, tensorboard=False) as run:
        run.save_table(score.quality or [], "demo_selection_quality",
                       title="Kept generated images: precision / recall of the good ones")
        save_comparison(run, rows, "demo_comparison",
                        "Training with real only / all / filtered generated images (synthetic held-out set)")
        out = {"comparison": rows, "selection_quality": score.quality, "minutes": round(minutes, 2)}
        run.save_json(out, "demo_results")
        run.info(f"[demo] finished in {minutes:.1f} min; tables in {run.dir / 'tables'}, "
                 f"figure {run.dir / 'figures' / 'demo_comparison.png'}")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return run_demo_command(run_demo, "reid_gan_filter", __doc__, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
