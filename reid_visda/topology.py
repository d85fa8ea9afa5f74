"""The camera-transition ("topology") matrix of the post-processing, estimated from labelled data:
``python -m reid_visda.topology <config> [key=value ...] [--work-dir DIR]``.

The technical report (Sec. 2.4) builds "a topology map representing the probability of showing up under a
certain camera based on the given camera labels in validation set"; the code ships the result as a
hard-coded 5 x 5 matrix whose rows sum to 1. ``estimate_camera_transition`` measures it: over all
same-identity (query, gallery) pairs of a labelled split, T[a, b] is the fraction of the pairs with the
query in camera a whose gallery image is in camera b. Rows of cameras without such pairs are 0 (no
adjustment). Cameras are the camera model's classes (``camera_classes``).

The command writes ``topology.npy`` (what ``test.post.topology.matrix`` reads), ``topology.json``, a
table and a heat-map PNG.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.fileio import atomic_open
from common.runlog import RunLogger

from .camera_model import camera_classes
from .data import load_retrieval_set
from .defaults import DEFAULTS


def estimate_camera_transition(q_pids: Sequence[int], q_cams: Sequence[int], g_pids: Sequence[int],
                               g_cams: Sequence[int], num_cams: int) -> np.ndarray:
    """``[C, C]`` row-normalised counts of same-identity (query camera, gallery camera) pairs.

    Args:
        q_pids, q_cams: ``[Q]`` query identities and camera classes in ``[0, num_cams)``.
        g_pids, g_cams: ``[G]`` gallery identities and camera classes.
        num_cams: C.
    """
    q_pids, q_cams, g_pids, g_cams = (np.asarray(a, dtype=np.int64) for a in (q_pids, q_cams, g_pids, g_cams))
    if len(q_pids) != len(q_cams) or len(g_pids) != len(g_cams):
        raise ValueError("each query and gallery image needs one identity and one camera")
    for name, cams in (("query", q_cams), ("gallery", g_cams)):
        if len(cams) and (cams.min() < 0 or cams.max() >= num_cams):
            raise ValueError(f"{name} cameras must be classes in [0, {num_cams}), got [{cams.min()}, {cams.max()}]")
    counts = np.zeros((num_cams, num_cams), dtype=np.float64)
    same = q_pids[:, None] == g_pids[None, :]
    q_idx, g_idx = np.nonzero(same)
    np.add.at(counts, (q_cams[q_idx], g_cams[g_idx]), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0).astype(np.float32)


def to_camera_classes(cams: Sequence[int], classes: Sequence[int], what: str) -> np.ndarray:
    """Map camera ids to the camera model's classes (their index in ``classes``)."""
    index = {int(c): i for i, c in enumerate(classes)}
    unknown = sorted({int(c) for c in cams} - set(index))
    if unknown:
        raise ValueError(f"{what} has cameras {unknown} that the camera model does not know (its classes: "
                         f"{list(classes)})")
    return np.asarray([index[int(c)] for c in cams], dtype=np.int64)


def validation_topology(cfg: Config) -> np.ndarray:
    """T measured on ``data.val_dir`` over the camera classes of ``cfg.camera_model`` (or, without one,
    the cameras of the target training set)."""
    classes = camera_classes(cfg)
    val = load_retrieval_set(cfg, "val").arrays()
    q_cams = to_camera_classes(val["q_cams"], classes, "the validation query")
    g_cams = to_camera_classes(val["g_cams"], classes, "the validation gallery")
    return estimate_camera_transition(val["q_pids"], q_cams, val["g_pids"], g_cams, len(classes))


def load_topology(cfg: Config) -> np.ndarray:
    """``test.post.topology.matrix``: a ``.npy`` file, or ``"estimate"`` (``validation_topology``)."""
    source = cfg.test.post.topology.matrix
    if source == "estimate":
        return validation_topology(cfg)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"test.post.topology.matrix: {path} not found (make it with python -m "
                                "reid_visda.topology, or set 'estimate')")
    matrix = np.load(path)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{path}: the topology matrix must be square, got shape {matrix.shape}")
    return matrix.astype(np.float32)


def topology_figure(matrix: np.ndarray, classes: Sequence[int]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2, 3.6))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="viridis", vmin=0)
    for (a, b), value in np.ndenumerate(matrix):
        ax.text(b, a, f"{value:.2f}", ha="center", va="center", fontsize=7, color="w")
    ax.set_xticks(range(len(classes)), [str(c) for c in classes])
    ax.set_yticks(range(len(classes)), [str(c) for c in classes])
    ax.set_xlabel("gallery camera")
    ax.set_ylabel("query camera")
    ax.set_title("P(match in gallery camera | query camera)", fontsize=9)
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> np.ndarray:
    import matplotlib

    matplotlib.use("Agg")
    parser = add_config_arguments(argparse.ArgumentParser(prog="python -m reid_visda.topology",
                                                          description=__doc__.splitlines()[0]))
    args = parse_config_args(parser, argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    matrix = validation_topology(cfg)
    classes = camera_classes(cfg)
    with RunLogger(work_dir_from_args(args), cfg, tensorboard=False) as run:
        with atomic_open(run.dir / "topology.npy", "wb") as f:
            np.save(f, matrix)
        run.save_json({"camera_classes": list(classes), "matrix": matrix.tolist()}, "topology")
        run.save_table([{"query camera": c, **{f"g{d}": round(float(v), 4) for d, v in zip(classes, row)}}
                        for c, row in zip(classes, matrix)], "topology", title="Camera-transition matrix T")
        run.save_figure(topology_figure(matrix, classes), "topology")
        run.info(f"topology matrix written to {run.dir / 'topology.npy'}")
    return matrix


if __name__ == "__main__":
    main(sys.argv[1:])
