"""Train and evaluate one comparison run: ``python -m reid_gan_filter.train <config> [key=value ...]
[--work-dir DIR]``.

``train.setting`` is ``supervised`` or ``uda`` and ``train.generated`` is ``none`` (real images only), ``all``
(every generated image of ``data.generated``) or ``filtered`` (the images kept by a scoring run,
``train.score_run``; ``python -m reid_gan_filter.score`` makes one). The run directory receives the resolved
``config.py``, ``run.log``, ``metrics.jsonl``, the checkpoints (``source/`` and ``round<r>/`` sub-runs in the
UDA setting) and ``results.json`` with mAP, R1, R5 and mINP on the real query / gallery
(``reid_gan_filter.training_runs``). A rerun resumes from the checkpoints. Several processes:
``torchrun --nproc_per_node=K -m reid_gan_filter.train <config>`` (NCCL on GPUs, gloo on CPU; the
identities per batch, ``ims_per_batch / num_instances``, divisible by K).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.device import seed_everything
from common.distributed import cleanup_distributed, init_distributed

from .training_runs import run_comparison
from .defaults import DEFAULTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_gan_filter.train", description=__doc__.splitlines()[0])
    return add_config_arguments(parser)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    info = init_distributed(cfg.device)
    seed_everything(cfg.seed)
    try:
        return run_comparison(cfg, work_dir_from_args(args), info)
    finally:
        cleanup_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
