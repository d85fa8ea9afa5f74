"""Train one DMT model: ``python -m reid_aicity.train <config> [key=value ...] [--work-dir DIR] [--resume]``.

The config's ``stage`` selects what is trained: ``stage1`` (supervised, real + synthetic + cropped
data), ``stage2`` (UDA on the target set from a stage-1 run, ``model.init_from``), ``camera`` or
``orientation`` (the attribute models of the post-processing). Multi-process training:
``torchrun --nproc_per_node=K -m reid_aicity.train <config>`` (NCCL on GPUs, gloo on CPU).

The run directory receives the resolved ``config.py``, ``run.log``, ``metrics.jsonl``, TensorBoard
events and ``checkpoints/``; stage 1 and 2 are then evaluated on the target (``reid_aicity.evaluate``):
``dist_mat.npy``, ``track2.txt`` and, for a labelled target, ``tables/evaluation.md|json``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.distributed import barrier, cleanup_distributed, init_distributed
from common.device import seed_everything
from common.runlog import RunLogger

from .attribute_models import check_attribute_models, run_camera_model, run_orientation_model
from .defaults import DEFAULTS, STAGES
from .evaluate import evaluate_model
from .stage1 import run_stage1
from .stage2_uda import run_stage2

RUNNERS = {"stage1": run_stage1, "stage2": run_stage2, "camera": run_camera_model,
           "orientation": run_orientation_model}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_aicity.train", description=__doc__.splitlines()[0],
                                     epilog=f"stages: {', '.join(STAGES)}")
    return add_config_arguments(parser)


def run_training(cfg: Config, work_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train ``cfg.stage`` into ``work_dir`` (and evaluate stage 1 / 2); returns the evaluation results."""
    if cfg.stage not in RUNNERS:
        raise ValueError(f"unknown stage '{cfg.stage}': choose one of {', '.join(STAGES)}")
    if cfg.evaluate_after_training and cfg.stage in ("stage1", "stage2"):
        check_attribute_models(cfg)  # before hours of training, not after
    info = init_distributed(cfg.device)
    seed_everything(cfg.seed, cfg.deterministic)
    results: dict[str, Any] = {}
    with RunLogger(work_dir, cfg, rank=info.rank) as run:
        run.info(f"{cfg.stage}: run directory {run.dir}, device {info.device}, {info.world_size} process(es)")
        model = RUNNERS[cfg.stage](cfg, run, info, resume=resume)
        if cfg.evaluate_after_training and cfg.stage in ("stage1", "stage2") and info.is_main:
            results = evaluate_model(model, cfg, run, info.device)
        barrier()
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    try:
        return run_training(cfg, work_dir_from_args(args), resume=args.resume)
    finally:
        cleanup_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
