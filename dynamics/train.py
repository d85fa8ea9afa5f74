"""Run one figure experiment: ``python -m dynamics.train <config> [key=value ...] [--work-dir DIR]``.

The config names its experiment (``experiment = "..."``, see ``dynamics.experiments``) and its
settings; ``scale=paper`` switches to the paper's run counts and epochs. The run directory gets
the resolved config, ``run.log``, ``metrics.jsonl``, TensorBoard events, ``figures/*.png``,
``results.json`` (the numbers behind the figure) and ``tables/summary.md|json`` (also printed).
``--resume`` continues the training loops of a long run from their last checkpoint.
"""
from __future__ import annotations

import argparse
import sys
import time

import matplotlib

from common.config import add_config_arguments, parse_config_args, work_dir_from_args
from common.device import seed_everything
from common.runlog import RunLogger

from .experiments import EXPERIMENTS, load_experiment_config


def build_parser() -> argparse.ArgumentParser:
    epilog = "experiments:\n" + "\n".join(f"  {k:24s} {v}" for k, v in EXPERIMENTS.items())
    parser = argparse.ArgumentParser(prog="python -m dynamics.train", description=__doc__.splitlines()[0],
                                     epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    return add_config_arguments(parser)


def main(argv: list[str] | None = None) -> dict:
    """Parse arguments, run the experiment, return its results (also written to the run directory)."""
    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    cfg, module = load_experiment_config(args)
    seed_everything(cfg.seed)
    start = time.time()
    with RunLogger(work_dir_from_args(args), cfg) as run:
        run.info(f"experiment {cfg.experiment} ({EXPERIMENTS[cfg.experiment]}), scale={cfg.scale}, "
                 f"run directory {run.dir}")
        results = module.run(cfg, run, resume=args.resume)
        run.info(f"finished in {time.time() - start:.1f} s; figures in {run.dir / 'figures'}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
