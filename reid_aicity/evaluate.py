"""Evaluate a trained model on the target set: ``python -m reid_aicity.evaluate <config> [key=value ...]
[--work-dir RUN] [--weights PATH]``.

The model (``--weights``: a run directory or checkpoint file; default: the run directory ``--work-dir``)
embeds the target's queries and gallery with the augmentation test, the post-processing chain of
``test.post`` turns the features into a distance matrix, and the run directory's ``evaluation/``
folder receives ``dist_mat.npy`` (for ``reid_aicity.ensemble``), ``track2.txt`` (top-100 gallery
indices per query, 1-based), the test features (``features.npy`` with ``features_index.csv``), the ranked
lists of the first ``test.ranked_list_queries`` queries (``figures/evaluation_ranked_lists.png``; green /
red frames when the target has identities), and, when the target is labelled (synthetic data, Split-Test,
VeRi-776, named folders), ``tables/evaluation.md|json`` with the mAP / CMC / mINP and, with
``test.ablation=True``, the cumulative post-processing ablation (paper Table 4). ``data.target`` picks the
retrieval set (``reid_aicity.data.load_target``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.device import resolve_device, seed_everything
from common.fileio import atomic_open
from common.reid.evaluation_files import save_features
from common.retrieval import plot_ranked_lists, topk_indices, write_aicity_track2
from common.runlog import RunLogger

from .attribute_models import attribute_distances
from .data import TargetSet, load_target
from .defaults import DEFAULTS
from .evaluation import map_convention, retrieval_scores
from .inference import TargetFeatures, extract_target_features
from .models import build_model, load_weights
from .post_processing import ABLATION_STEPS, AttributeDistances, enabled_steps, post_process, with_steps

#: Where ``python -m reid_aicity.evaluate`` writes in a run directory (the ensemble looks there too).
EVALUATION_DIR = "evaluation"

def save_submission(run: RunLogger, distmat: np.ndarray, prefix: str = "") -> None:
    """``<prefix>dist_mat.npy`` and ``<prefix>track2.txt`` (top-100, 1-based) in the run directory."""
    if not run.is_main:
        return
    with atomic_open(run.dir / f"{prefix}dist_mat.npy", "wb") as f:
        np.save(f, distmat.astype(np.float32))
    write_aicity_track2(run.dir / f"{prefix}track2.txt", topk_indices(distmat, min(100, distmat.shape[1])))


def ablation_rows(feats: dict[str, TargetFeatures], cfg: Config, attributes: AttributeDistances | None
                  ) -> list[dict[str, Any]]:
    """Scores of every cumulative step of ``ABLATION_STEPS`` (the bias row needs ``attributes``)."""
    rows = []
    for name, features, steps in ABLATION_STEPS:
        if "bias" in steps and attributes is None:
            continue
        distmat = post_process(feats[features], with_steps(cfg.test.post, steps), cfg.test.new_camera_min,
                               attributes)
        rows.append({"method": name, **retrieval_scores(distmat, feats[features].labels(), cfg.test)})
    return rows


def plot_ablation(rows: list[dict[str, Any]], title: str):
    """Bar chart of mAP and R1 per row (a matplotlib figure)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.3 * len(rows) + 2, 3.6))
    ax = fig.subplots()
    x = np.arange(len(rows))
    for offset, key in ((-0.2, "mAP"), (0.2, "R1")):
        values = [100 * r[key] for r in rows]
        bars = ax.bar(x + offset, values, 0.4, label=key)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(x, [r["method"] for r in rows], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return fig


def evaluate_model(model: torch.nn.Module, cfg: Config, run: RunLogger, device: torch.device, *,
                   target: TargetSet | None = None, name: str = "evaluation") -> dict[str, Any]:
    """Features, post-processing, submission files and (labelled target) scores of ``model``.

    Returns ``{"scores": {...}, "ablation": [...]}`` (empty when the target has no labels).
    """
    target = target if target is not None else load_target(cfg)
    model.to(device)

    def progress(batches):
        return run.progress(batches, desc="features", leave=False)

    feats = extract_target_features(model, cfg, target, device, progress=progress)
    post = cfg.test.post
    needs_attributes = post.bias.enabled or (cfg.test.ablation and (post.bias.camera_model or post.bias.view_model))
    attributes = attribute_distances(cfg, target, device) if needs_attributes else None
    distmat = post_process(feats, post, cfg.test.new_camera_min, attributes)
    save_submission(run, distmat)
    if run.is_main:
        save_features(run.dir, target.query, target.gallery, np.concatenate([feats.query, feats.gallery]),
                      feats.g_tracks)
    if cfg.test.save_figures and cfg.test.ranked_list_queries:
        ranked = topk_indices(distmat, min(10, distmat.shape[1]))
        labels = (feats.q_pids, feats.g_pids) if target.labelled else (None, None)  # frames only with labels
        fig = plot_ranked_lists([it.img_path for it in target.query], [it.img_path for it in target.gallery],
                                ranked, *labels, queries=list(range(min(cfg.test.ranked_list_queries,
                                                                        len(target.query)))), k=ranked.shape[1])
        run.save_figure(fig, f"{name}_ranked_lists")
    out: dict[str, Any] = {"scores": {}, "ablation": []}
    if not target.labelled:
        run.info(f"{target.name} has no ground truth: wrote dist_mat.npy, track2.txt, the features and the "
                 "ranked lists only")
        return out
    scores = retrieval_scores(distmat, feats.labels(), cfg.test)
    out["scores"] = scores
    steps = "+".join(enabled_steps(post)) or "none"
    run.save_table([{"target": target.name, "post-processing": steps, **scores}], name,
                   title=f"{target.name}: {map_convention(cfg.test)}; CMC")
    if cfg.test.ablation:
        plain = extract_target_features(model, cfg, target, device, views=["original"], crop_test=None,
                                        progress=progress)
        out["ablation"] = ablation_rows({"plain": plain, "tta": feats}, cfg, attributes)
        run.save_table(out["ablation"], f"{name}_ablation",
                       title=f"Post-processing ablation (paper Table 4; {map_convention(cfg.test)})")
        run.save_figure(plot_ablation(out["ablation"], "post-processing ablation"), f"{name}_ablation")
    run.save_json(out, f"{name}_results")
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_aicity.evaluate", description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument("--weights", default=None,
                        help="run directory or checkpoint file of the model (default: --work-dir)")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    seed_everything(cfg.seed)
    work_dir = work_dir_from_args(args)
    weights = Path(args.weights) if args.weights else work_dir
    model = build_model(cfg, 0)
    load_weights(model, weights)
    with RunLogger(work_dir / EVALUATION_DIR, cfg) as run:
        run.info(f"evaluating {weights} on {cfg.data.target}")
        return evaluate_model(model, cfg, run, resolve_device(cfg.device))


if __name__ == "__main__":
    main(sys.argv[1:])
