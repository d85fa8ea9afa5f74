"""Evaluate a trained model of this pipeline on a retrieval set: ``python -m reid_gan_filter.evaluate RUN_DIR
[--split SPLIT] [key=value ...]``.

``RUN_DIR`` is a run of ``python -m reid_gan_filter.train`` (its ``config.py``; the weights of its last
``round<r>/`` in the UDA setting, else its own) or E_c's ``consistency_encoder/``. ``SPLIT``: ``real`` (the
query / gallery of the config's ``data.real``, default), ``market1501`` / ``dukemtmc`` / ``msmt17`` (under
``evaluate.person_root``) or ``folders`` (``evaluate.folders.query`` / ``gallery``; identities and cameras from
names ``<id>_c<camera>...`` when every name has them). ``RUN_DIR/evaluation_<split>/`` receives
``distmat.npy``, the features (``features.npy`` + ``features_index.csv``), the ranked lists of the first
``evaluate.ranked_list_queries`` queries (``figures/ranked_lists.png``) and, when the split has identities,
``results.json`` with mAP / R1 / R5 / mINP (Market-1501 protocol, full ranking).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from mmengine.config import Config, DictAction

from common.config import load_config, parse_config_args
from common.device import resolve_device
from common.fileio import atomic_open
from common.person import PERSON_DATASETS
from common.reid.evaluation_files import folder_items, save_features
from common.retrieval import evaluate_distmat, plot_ranked_lists, topk_indices
from common.runlog import RunLogger

from .defaults import DEFAULTS
from .encoders import load_reid_model
from .training_runs import features_of
from .training_sets import evaluation_split

SPLITS = ("real", *PERSON_DATASETS, "folders")


def model_weights(run_dir: Path) -> Path:
    """Where a run's final weights are: its last ``round<r>/`` (UDA), else the run directory."""
    rounds = sorted((p for p in run_dir.glob("round*") if p.name[5:].isdigit()), key=lambda p: int(p.name[5:]))
    return rounds[-1] if rounds else run_dir


def retrieval_set(cfg: Config, split: str) -> tuple[list, list]:
    """``(query, gallery)`` items of ``split``."""
    if split == "real":
        splits = evaluation_split(cfg)
        return splits.query, splits.gallery
    if split in PERSON_DATASETS:
        splits = PERSON_DATASETS[split](cfg.evaluate.person_root)
        return splits.query, splits.gallery
    if split == "folders":
        folders = cfg.evaluate.folders
        if not (folders.query and folders.gallery):
            raise ValueError("split 'folders' needs evaluate.folders.query and evaluate.folders.gallery")
        return folder_items(folders.query, "evaluate.folders.query"), folder_items(folders.gallery,
                                                                                   "evaluate.folders.gallery")
    raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")


def evaluate_run(run_dir: str | Path, split: str = "real", overrides: dict | None = None) -> dict[str, Any]:
    """Evaluate ``run_dir``'s model on ``split`` into ``run_dir/evaluation_<split>`` (see the module docstring)."""
    run_dir = Path(run_dir)
    cfg = load_config(run_dir / "config.py", overrides or {}, schema=DEFAULTS)
    query, gallery = retrieval_set(cfg, split)
    arch = cfg.encoders.reid
    model = load_reid_model(model_weights(run_dir), arch.backbone, arch.head, arch.pixel_mean, arch.pixel_std)
    device = str(resolve_device(cfg.device))
    out_dir = run_dir / f"evaluation_{split}"
    with RunLogger(out_dir, cfg, tensorboard=False) as run:
        q, g = features_of(model, query, cfg, device), features_of(model, gallery, cfg, device)
        dist = 2.0 - 2.0 * q @ g.T
        with atomic_open(out_dir / "distmat.npy", "wb") as f:
            np.save(f, dist.astype(np.float32))
        save_features(out_dir, query, gallery, np.concatenate([q, g]))
        labelled = all(item.pid >= 0 for item in list(query) + list(gallery))
        pids = lambda items: np.asarray([it.pid for it in items])  # noqa: E731
        cams = lambda items: np.asarray([it.camid for it in items])  # noqa: E731
        if cfg.evaluate.ranked_list_queries:
            ranked = topk_indices(dist, min(10, dist.shape[1]))
            fig = plot_ranked_lists([it.img_path for it in query], [it.img_path for it in gallery], ranked,
                                    *((pids(query), pids(gallery)) if labelled else (None, None)),
                                    queries=list(range(min(cfg.evaluate.ranked_list_queries, len(query)))),
                                    k=ranked.shape[1])
            run.save_figure(fig, "ranked_lists")
        results: dict[str, Any] = {"split": split, "weights": str(model_weights(run_dir))}
        if labelled:
            m = evaluate_distmat(dist, pids(query), pids(gallery), cams(query), cams(gallery),
                                 max_rank=min(5, dist.shape[1]))
            results.update(mAP=m.mAP, R1=m.rank(1), R5=m.rank(min(5, len(m.cmc))), mINP=m.mINP)
            run.save_json(results, "results")
            run.info(f"{split}: " + ", ".join(f"{k} {results[k]:.4f}" for k in ("mAP", "R1", "R5", "mINP")))
        else:
            run.info(f"{split} has no identities: wrote the distances, features and ranked lists only")
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(prog="python -m reid_gan_filter.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run directory of python -m reid_gan_filter.train (or E_c's)")
    parser.add_argument("--split", choices=SPLITS, default="real")
    parser.add_argument("overrides", nargs="*", action=DictAction, default={}, help="config overrides (key=value)")
    args = parse_config_args(parser, argv)  # overrides before or after --split
    return evaluate_run(args.run_dir, args.split, args.overrides)


if __name__ == "__main__":
    main(sys.argv[1:])
