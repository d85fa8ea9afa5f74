"""Train one stage of the VisDA-2020 winner: ``python -m reid_visda.train <config> [key=value ...]
[--work-dir DIR] [--resume]``.

The config's ``stage`` selects what is trained: ``baseline`` (source + CamStyle), ``camera`` (the target
camera classifier), ``adaptation`` (source + pseudo-labelled target, from a baseline run in
``model.init_from``) or ``finetune`` (the same from an adaptation run, with the camera distance and the
outlier classes). Multi-process training: ``torchrun --nproc_per_node=K -m reid_visda.train <config>``
(NCCL on GPUs, gloo on CPU).

The run directory receives the resolved ``config.py``, ``run.log``, ``metrics.jsonl``, TensorBoard events
and ``checkpoints/``; the run is then evaluated on the validation split (``reid_visda.evaluate``:
``evaluation_val/``; the camera model reports its camera accuracy).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.device import seed_everything
from common.distributed import barrier, cleanup_distributed, init_distributed
from common.runlog import RunLogger

from .adaptation import run_adaptation
from .baseline import run_baseline
from .camera_model import train_camera_model
from .defaults import DEFAULTS, STAGES
from .evaluate import evaluate_camera_model, evaluate_model

RUNNERS = {"baseline": run_baseline, "camera": train_camera_model, "adaptation": run_adaptation,
           "finetune": run_adaptation}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_visda.train", description=__doc__.splitlines()[0],
                                     epilog=f"stages: {', '.join(STAGES)}")
    return add_config_arguments(parser)


def run_training(cfg: Config, work_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train ``cfg.stage`` into ``work_dir`` and evaluate it; returns the evaluation results."""
    if cfg.stage not in RUNNERS:
        raise ValueError(f"unknown stage '{cfg.stage}': choose one of {', '.join(STAGES)}")
    info = init_distributed(cfg.device)
    seed_everything(cfg.seed, cfg.deterministic)
    results: dict[str, Any] = {}
    with RunLogger(work_dir, cfg, rank=info.rank) as run:
        run.info(f"{cfg.stage}: run directory {run.dir}, device {info.device}, {info.world_size} process(es)")
        model = RUNNERS[cfg.stage](cfg, run, info, resume=resume)
        if cfg.evaluate_after_training and info.is_main:
            evaluate = evaluate_camera_model if cfg.stage == "camera" else evaluate_model
            results = evaluate(model, cfg, run.dir, info.device, "val")
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
