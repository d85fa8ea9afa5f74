"""Ensemble of several models' distance matrices and the AI City submission: ``python -m
reid_aicity.ensemble <config> [key=value ...] [--work-dir DIR]``.

DMT (``ensemble.py``) sums the 16 ``dist_mat.npy`` files of its 8 backbones x 2 stage-2 variants
(each already post-processed, camera penalties included), ranks the gallery for each query and
writes ``track2.txt``: one line per query (in ``image_query`` label order) with the 1-based indices
of its 100 nearest gallery images (``image_test`` label order). ``ensemble.members`` lists run
directories (their ``dist_mat.npy``, or ``evaluation/dist_mat.npy`` after ``python -m reid_aicity.evaluate``:
the newer, and the log says which) or ``.npy`` files; ``ensemble.weights`` weights the sum. The
run directory receives ``dist_mat.npy``, ``track2.txt`` and, for a labelled target, the scores.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.retrieval import weighted_sum
from common.runlog import RunLogger

from .data import load_target
from .defaults import DEFAULTS
from .evaluate import EVALUATION_DIR, save_submission
from .evaluation import map_convention, retrieval_scores

DISTMAT_FILE = "dist_mat.npy"


def member_path(member: str | Path) -> Path:
    """The distance-matrix file of an ensemble member: a ``.npy`` file, or in a run directory its
    ``dist_mat.npy`` (written by the training run's evaluation) or ``evaluation/dist_mat.npy`` (written by
    ``python -m reid_aicity.evaluate``), the newer of the two when both exist."""
    path = Path(member)
    if path.is_dir():
        found = [p for p in (path / DISTMAT_FILE, path / EVALUATION_DIR / DISTMAT_FILE) if p.is_file()]
        if not found:
            raise FileNotFoundError(f"ensemble member {member}: no {DISTMAT_FILE} in it or in its {EVALUATION_DIR}/; "
                                    "evaluate that model first")
        return max(found, key=lambda p: p.stat().st_mtime_ns)
    if not path.is_file():
        raise FileNotFoundError(f"ensemble member {member}: no such distance-matrix file; evaluate that model first")
    return path


def ensemble_distances(members: Sequence[str | Path], weights: Sequence[float] | None = None) -> np.ndarray:
    """``[Q, G]`` ``sum_i w_i D_i`` of the members' distance matrices (all weights 1 by default)."""
    if not members:
        raise ValueError("ensemble.members is empty: list the run directories or .npy files to combine")
    weights = [1.0] * len(members) if weights is None else list(weights)
    return weighted_sum([member_path(m) for m in members], weights)


def run_ensemble(cfg: Config, work_dir: str | Path) -> dict[str, Any]:
    """Combine ``cfg.ensemble.members``, write the submission and (labelled target) the scores."""
    distmat = ensemble_distances(cfg.ensemble.members, cfg.ensemble.weights)
    with RunLogger(work_dir, cfg, tensorboard=False) as run:
        for member in cfg.ensemble.members:
            run.info(f"ensemble member {member}: {member_path(member)}")
        save_submission(run, distmat)
        run.info(f"ensemble of {len(cfg.ensemble.members)} distance matrices {distmat.shape}: "
                 f"{run.dir / 'track2.txt'}")
        target = load_target(cfg)
        if len(target.query) != distmat.shape[0] or len(target.gallery) != distmat.shape[1]:
            raise ValueError(f"the distance matrices are {distmat.shape}, but the target has {len(target.query)} "
                             f"queries and {len(target.gallery)} gallery images; check data.root / data.target")
        if not target.labelled:
            return {}
        scores = retrieval_scores(distmat, target.arrays(), cfg.test)
        run.save_table([{"members": len(cfg.ensemble.members), **scores}], "ensemble",
                       title=f"Ensemble ({map_convention(cfg.test)})")
        run.save_json(scores, "ensemble_results")
        return scores


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_aicity.ensemble", description=__doc__.splitlines()[0])
    return add_config_arguments(parser)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    return run_ensemble(cfg, work_dir_from_args(args))


if __name__ == "__main__":
    main(sys.argv[1:])
