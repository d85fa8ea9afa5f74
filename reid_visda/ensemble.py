"""The ensemble of the VisDA-2020 winner (the code's ``utils/ensemble.py``):
``python -m reid_visda.ensemble <config> [key=value ...] [--work-dir DIR]``.

1. the weighted mean of the members' re-ranked distances (``distmat.npy`` of ``reid_visda.evaluate``;
   the code's weights 2, 1, 2, 1, 2, 1, 2, 1 for ResNet50-IBN-a, ResNet50-IBN-b, ResNet101-IBN-a and
   HRNet-W18 at 384x128, then at 384x192);
2. minus 0.1 x the mean camera distance of the camera members (``camdistmat.npy``), plus 1 where the
   predicted cameras (``q_pred.npy`` / ``g_pred.npy`` of ``ensemble.camera_predictions``) agree, and the
   topology term (the ``test.post`` switches and weights);
3. ``result.txt``: top-100 gallery indices per query, 0-based, ``%05d``; on the validation split, the
   scores of every member and of the ensemble.

A member is an evaluation directory (``.../evaluation_<split>``) or a run directory holding one for
``ensemble.split``; a missing member or file stops with its name. As the code does, the sums are
accumulated in float16 (``ensemble.half_precision``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.retrieval import topk_indices, write_visda_result
from common.runlog import RunLogger

from .data import load_retrieval_set
from .defaults import DEFAULTS
from .evaluate import retrieval_scores
from .post_processing import camera_terms
from .topology import load_topology


def member_file(member: str | Path, name: str, split: str) -> Path:
    """``name`` in an evaluation directory, or in ``<run dir>/evaluation_<split>``."""
    member = Path(member)
    for folder in (member, member / f"evaluation_{split}"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"ensemble member {member}: no {name} in it or in {member / f'evaluation_{split}'}; "
                            f"evaluate it first (python -m reid_visda.evaluate {member} --split {split})")


def fuse(paths: Sequence[Path], weights: Sequence[float], half_precision: bool) -> np.ndarray:
    """Weighted mean of the ``[Q, G]`` matrices at ``paths`` (accumulated in float16 if ``half_precision``)."""
    if len(paths) != len(weights):
        raise ValueError(f"{len(paths)} ensemble members but {len(weights)} weights")
    total = None
    for path, weight in zip(paths, weights):
        dist = np.load(path)
        if total is None:
            total = np.zeros(dist.shape, dtype=np.float16 if half_precision else np.float32)
        if dist.shape != total.shape:
            raise ValueError(f"{path} has shape {dist.shape}, the first member {total.shape}")
        total += dist * weight
    total /= sum(weights)
    return total


def run_ensemble(cfg: Config, work_dir: str | Path) -> dict[str, Any]:
    """Fuse the members of ``cfg.ensemble`` into ``work_dir`` (see the module docstring); returns the scores."""
    e = cfg.ensemble
    if not e.members:
        raise ValueError("ensemble.members is empty: list the evaluation or run directories to fuse")
    dist = fuse([member_file(m, "distmat.npy", e.split) for m in e.members], e.weights, e.half_precision)
    camera_dist = q_cams = g_cams = topology = None
    if e.camera_members:
        camera_dist = fuse([member_file(m, "camdistmat.npy", e.split) for m in e.camera_members],
                           [1.0] * len(e.camera_members), e.half_precision)
    if e.camera_predictions:
        q_cams = np.load(member_file(e.camera_predictions, "q_pred.npy", e.split))
        g_cams = np.load(member_file(e.camera_predictions, "g_pred.npy", e.split))
    if cfg.test.post.topology.enabled:
        topology = load_topology(cfg)
    steps = [("fused", dist)] + camera_terms(dist, cfg.test.post, q_cams, g_cams, camera_dist, topology)
    final = steps[-1][1].astype(np.float32)
    with RunLogger(work_dir, cfg, tensorboard=False) as run:
        write_visda_result(run.dir / "result.txt", topk_indices(final, min(cfg.test.top_k, final.shape[1])))
        results: dict[str, Any] = {"members": list(e.members), "weights": list(e.weights)}
        if e.split == "val":
            labels = load_retrieval_set(cfg, "val").arrays()
            rows = [{"model": str(m), **retrieval_scores(np.load(member_file(m, "distmat.npy", "val")), labels)}
                    for m in e.members]
            rows += [{"model": f"ensemble {name}", **retrieval_scores(d.astype(np.float32), labels)}
                     for name, d in steps]
            run.save_table([{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
                           "ensemble", title="Members and ensemble (validation)")
            results.update(rows=rows, scores=rows[-1])
        run.save_json(results, "ensemble")
        run.info(f"ensemble of {len(e.members)} member(s): {run.dir / 'result.txt'}")
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    parser = add_config_arguments(argparse.ArgumentParser(prog="python -m reid_visda.ensemble",
                                                          description=__doc__.splitlines()[0]))
    args = parse_config_args(parser, argv)
    return run_ensemble(config_from_args(args, schema=DEFAULTS), work_dir_from_args(args))


if __name__ == "__main__":
    main(sys.argv[1:])
