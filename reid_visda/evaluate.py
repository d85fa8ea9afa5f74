"""Evaluate a trained network on a retrieval split: ``python -m reid_visda.evaluate <run_dir> [--split SPLIT]
[key=value ...]``, SPLIT one of ``val`` / ``test`` (VisDA-2020), ``market1501`` / ``dukemtmc`` / ``msmt17``
(``data.person_root``) or ``folders`` (``data.folders.query`` / ``gallery``).

A camera run (stage ``camera``) writes its camera distance and predicted cameras
(``evaluate_camera_model``), the ensemble's camera inputs. For the ReID stages:

Features are the L2-normalised sum of the original and flipped images' features (``tester.py``). The
distance is then post-processed (``post_processing``) when ``camera_model`` is set or no enabled step
needs one. Written to ``<run_dir>/evaluation_<split>/``, as the code's ``test.py`` writes them:
``distmat.npy`` (after re-ranking, before the camera terms: what the ensemble fuses), ``camdistmat.npy``,
``q_pred.npy`` / ``g_pred.npy`` (predicted camera classes), and ``result.txt`` (top-100 gallery indices
per query, 0-based, ``%05d``: the VisDA submission), plus the features (``features.npy`` with
``features_index.csv``) and the ranked lists of the first ``test.ranked_list_queries`` queries
(``figures/ranked_lists_<split>.png``, green / red frames when the split has identities). On a labelled split
(every split but VisDA's test and unnamed folders) the scores of every cumulative step are tabled
(``tables/evaluation_<split>.md|json``) and plotted.

Scores (validation): ``mAP`` and ``R1``/``R5``/``R10`` over the whole ranking with the Market-1501
protocol (the code's ``eval_func``), and ``mAP_top100``, the server's mAP over the top-100 list
(``common.retrieval`` ``ap_normalizer="retrieved"``; the organisers say the server's number is the higher
one).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.config import Config, DictAction

from common.config import load_config, parse_config_args
from common.device import resolve_device
from common.fileio import atomic_open
from common.reid.features import extract_features
from common.reid.evaluation_files import save_features
from common.retrieval import evaluate_distmat, metric_bars, plot_ranked_lists, topk_indices, write_visda_result
from common.runlog import RunLogger

from .camera_model import camera_classes, camera_classes_of_run, camera_outputs, load_camera_model
from .data import SPLITS, RetrievalSet, load_retrieval_set, test_loader
from .defaults import DEFAULTS
from .models import model_from_run
from .post_processing import (CAMERA_STEPS, DISTANCE_TERMS, POST_STEPS, PostInputs, distances_by_step,
                              enabled_steps, euclidean)
from .topology import load_topology, to_camera_classes

#: How the ablation rows are named (cumulative steps, cf. the report's "+ post processing").
STEP_NAMES = {"plain": "features", "camera_projection": "+ camera projection", "smoothing": "+ kNN smoothing",
              "rerank": "+ re-ranking", "camera_distance": "+ camera distance", "same_camera": "+ same-camera penalty",
              "topology": "+ topology"}


def retrieval_scores(distmat: np.ndarray, labels: dict[str, np.ndarray], top_k: int = 100) -> dict[str, float]:
    """Full-ranking mAP / R1 / R5 / R10 (Market-1501 protocol) and the top-``top_k`` server mAP."""
    args = (distmat, labels["q_pids"], labels["g_pids"], labels["q_cams"], labels["g_cams"])
    full = evaluate_distmat(*args, max_rank=min(10, distmat.shape[1]))
    top = evaluate_distmat(*args, max_rank=1, top_k=min(top_k, distmat.shape[1]), ap_normalizer="retrieved")
    scores = {"mAP": full.mAP, "R1": full.rank(1)}
    scores.update({f"R{k}": full.rank(k) for k in (5, 10) if k <= len(full.cmc)})
    scores.update(mAP_top100=top.mAP, queries=full.num_valid_queries)
    return scores


def post_processing_ready(cfg: Config) -> bool:
    """Whether the enabled post-processing steps can run (a camera model, or no camera step)."""
    steps = enabled_steps(cfg.test.post)
    return bool(steps) and (bool(cfg.camera_model) or not set(steps) & set(CAMERA_STEPS))


def post_inputs(query: np.ndarray, gallery: np.ndarray, rset: RetrievalSet, cfg: Config,
                device: torch.device) -> tuple[PostInputs, dict[str, np.ndarray]]:
    """The post-processing inputs of a split, and the camera outputs to save (``q_pred``, ``g_pred``,
    ``camdistmat`` inputs)."""
    inputs, saved = PostInputs(query, gallery), {}
    if not cfg.camera_model:
        return inputs, saved
    camera, camera_cfg = load_camera_model(cfg.camera_model)
    classes = camera_classes(cfg)
    cam_feats, preds = camera_outputs(camera, rset.query + rset.gallery, camera_cfg, device, cfg.test.camera_view)
    nq = len(rset.query)
    cams = preds
    if cfg.test.post.cameras == "labels":
        cams = to_camera_classes([item.camid for item in rset.query + rset.gallery], classes, f"the {rset.name} split")
    elif cfg.test.post.cameras != "predicted":
        raise ValueError(f"test.post.cameras must be 'predicted' or 'labels', got {cfg.test.post.cameras!r}")
    inputs.q_cams, inputs.g_cams = cams[:nq], cams[nq:]
    inputs.q_cam_feats, inputs.g_cam_feats = cam_feats[:nq], cam_feats[nq:]
    if cfg.test.post.topology.enabled:
        inputs.topology = load_topology(cfg)
    saved.update(q_pred=preds[:nq], g_pred=preds[nq:])
    return inputs, saved


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_open(path, "wb") as f:
        np.save(f, array)


def evaluate_model(model: torch.nn.Module, cfg: Config, run_dir: str | Path, device: torch.device,
                   split: str = "val") -> dict[str, Any]:
    """Evaluate ``model`` on ``split`` into ``<run_dir>/evaluation_<split>`` (see the module docstring).

    Returns:
        ``{"scores": final scores, "plain": scores without post-processing, "ablation": rows}`` on the
        validation split (scores empty on the test split), plus ``"dir"``.
    """
    rset = load_retrieval_set(cfg, split)
    out_dir = Path(run_dir) / f"evaluation_{split}"
    with RunLogger(out_dir, cfg, tensorboard=False) as run:
        items = rset.query + rset.gallery
        feats = extract_features(model, test_loader(cfg, items), device, views=cfg.test.views,
                                 progress=lambda it: run.progress(it, desc=f"{split} features", leave=False)).features
        nq = len(rset.query)
        query, gallery = feats[:nq].numpy(), feats[nq:].numpy()
        post, inputs, saved = cfg.test.post, PostInputs(query, gallery), {}
        if post_processing_ready(cfg):
            inputs, saved = post_inputs(query, gallery, rset, cfg, device)
        else:
            if enabled_steps(post):
                run.info("post-processing skipped: its camera steps need camera_model (a camera run)")
            post = {**post, **{step: {**post[step], "enabled": False} for step in POST_STEPS}}
        steps = distances_by_step(inputs, post)
        _save_npy(out_dir / "distmat.npy", [dist for name, dist in steps if name not in DISTANCE_TERMS][-1])
        if inputs.q_cam_feats is not None:
            _save_npy(out_dir / "camdistmat.npy", euclidean(inputs.q_cam_feats, inputs.g_cam_feats))
        for name, array in saved.items():
            _save_npy(out_dir / f"{name}.npy", array)
        final = steps[-1][1]
        write_visda_result(out_dir / "result.txt", topk_indices(final, min(cfg.test.top_k, final.shape[1])))
        save_features(out_dir, rset.query, rset.gallery, feats.numpy())
        labelled = split != "test" and all(item.pid >= 0 for item in items)  # VisDA's test split: pid 0 everywhere
        if cfg.test.save_figures and cfg.test.ranked_list_queries:
            ranked = topk_indices(final, min(10, final.shape[1]))
            labels = rset.arrays()
            fig = plot_ranked_lists([it.img_path for it in rset.query], [it.img_path for it in rset.gallery], ranked,
                                    *((labels["q_pids"], labels["g_pids"]) if labelled else (None, None)),
                                    queries=list(range(min(cfg.test.ranked_list_queries, nq))), k=ranked.shape[1])
            run.save_figure(fig, f"ranked_lists_{split}")
        results: dict[str, Any] = {"scores": {}, "plain": {}, "ablation": [], "dir": str(out_dir)}
        if labelled:
            labels = rset.arrays()
            shown = steps if cfg.test.ablation else [steps[0], steps[-1]]
            for name, dist in shown:
                row = {"step": STEP_NAMES[name], **retrieval_scores(dist, labels, cfg.test.top_k)}
                results["ablation"].append(row)
            results["plain"] = results["ablation"][0]
            results["scores"] = results["ablation"][-1]
            run.save_table([{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                            for r in results["ablation"]], f"evaluation_{split}",
                           title=f"{split}: mAP / CMC after each post-processing step")
            if cfg.test.save_figures:
                run.save_figure(score_bars(results["ablation"], "step"), f"evaluation_{split}")
        run.save_json(results, "results")
        run.info(f"evaluation of the {split} split written to {out_dir}")
    return results


def evaluate_camera_model(model: torch.nn.Module, cfg: Config, run_dir: str | Path, device: torch.device,
                          split: str = "val") -> dict[str, Any]:
    """A camera run's outputs on ``split`` into ``<run_dir>/evaluation_<split>`` (the code's ``test_camera_*``
    runs): ``camdistmat.npy`` (Euclidean distance of the L2-normalised camera features, queries x gallery),
    ``q_pred.npy`` / ``g_pred.npy`` (predicted camera classes) for the ensemble, and on the validation split
    the camera accuracy. Images are read through ``test.camera_view`` at the run's test size."""
    rset = load_retrieval_set(cfg, split)
    out_dir = Path(run_dir) / f"evaluation_{split}"
    items = rset.query + rset.gallery
    feats, preds = camera_outputs(model, items, cfg, device, cfg.test.camera_view)
    nq = len(rset.query)
    with RunLogger(out_dir, cfg, tensorboard=False) as run:
        _save_npy(out_dir / "camdistmat.npy", euclidean(feats[:nq], feats[nq:]))
        _save_npy(out_dir / "q_pred.npy", preds[:nq])
        _save_npy(out_dir / "g_pred.npy", preds[nq:])
        results: dict[str, Any] = {"dir": str(out_dir)}
        if split == "val":
            truth = to_camera_classes([item.camid for item in items], camera_classes_of_run(run_dir), "the val split")
            results["camera_accuracy"] = float(np.mean(preds == truth))
            run.info(f"camera accuracy on the validation images: {results['camera_accuracy']:.4f}")
        run.save_json(results, "results")
    return results


def score_bars(rows: list[dict[str, Any]], label: str, title: str | None = None):
    """Bar chart of mAP and R1 (in %) per row; ``label`` names the key holding each row's name."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.2 * len(rows) + 3, 3.8))
    metric_bars(fig.subplots(), [r[label] for r in rows], {k: [r[k] for r in rows] for k in ("mAP", "R1")}, title)
    fig.tight_layout()
    return fig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_visda.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run directory of python -m reid_visda.train")
    parser.add_argument("--split", choices=SPLITS, default="val",
                        help="val / test (VisDA-2020), market1501 / dukemtmc / msmt17 (data.person_root), or "
                             "folders (data.folders.query / gallery)")
    parser.add_argument("overrides", nargs="*", action=DictAction, default={},
                        help="config overrides (key.sub=value), e.g. camera_model=work_dirs/camera")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={}, help="overrides, MMDetection style")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    model, _ = model_from_run(args.run_dir)
    cfg = load_config(Path(args.run_dir) / "config.py", {**args.overrides, **args.cfg_options}, schema=DEFAULTS)
    device = resolve_device(cfg.device)
    evaluate = evaluate_camera_model if cfg.stage == "camera" else evaluate_model
    return evaluate(model.to(device), cfg, args.run_dir, device, args.split)


if __name__ == "__main__":
    main(sys.argv[1:])
