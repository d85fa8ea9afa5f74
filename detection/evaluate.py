"""COCO evaluation of a checkpoint with MMDetection's evaluator.

    python -m detection.evaluate <config> <checkpoint> [key=value ...] [--cfg-options ...]
                                 [--work-dir DIR]
    torchrun --nproc_per_node=K -m detection.evaluate ...   (the images split over K processes)

Prints the COCO bbox metrics and writes them to ``<work-dir>/tables/evaluation.{md,json}``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from mmengine.config import DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

from common.runlog import RunLogger
from .runtime import load_config, release_loader_workers, set_launcher

METRIC_NAMES = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l')


def evaluate(config: str | Path, checkpoint: str | Path, work_dir: str | Path,
             overrides: dict | None = None) -> dict[str, float]:
    """Run the config's test loop on ``checkpoint``; return the COCO metrics by short name."""
    cfg = load_config(config, overrides)
    cfg.work_dir = str(work_dir)
    cfg.load_from = str(checkpoint)
    set_launcher(cfg)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    release_loader_workers(runner)
    return {name: float(metrics[f'coco/{name}']) for name in METRIC_NAMES if f'coco/{name}' in metrics}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog='python -m detection.evaluate', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='detection config (.py)')
    parser.add_argument('checkpoint', help='MMEngine checkpoint (a training run or detection.convert)')
    parser.add_argument('overrides', nargs='*', action=DictAction, default={},
                        help='overrides as key.sub=value')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides, MMDetection style')
    parser.add_argument('--work-dir', default=None,
                        help='output folder (default: work_dirs/<config stem>/evaluation)')
    args = parser.parse_args(argv)
    work_dir = Path(args.work_dir or Path('work_dirs') / Path(args.config).stem / 'evaluation')
    metrics = evaluate(args.config, args.checkpoint, work_dir, {**args.overrides, **args.cfg_options})
    if not is_main_process():  # under torchrun, rank 0 writes the table
        return metrics
    with RunLogger(work_dir, tensorboard=False) as log:
        log.save_table([{'metric': k, 'value': round(v, 4)} for k, v in metrics.items()],
                       'evaluation', title=f'COCO bbox metrics of {Path(args.checkpoint).name}')
    return metrics


if __name__ == '__main__':
    main()
