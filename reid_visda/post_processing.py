"""Test-time post-processing of the VisDA-2020 winner (the code's ``R1_mAP_reranking.compute``), each
step switched by ``test.post`` and applied in this order:

1. ``camera_projection``: per predicted camera, subtract the gallery camera mean and apply the ridge
   projection ``(X_c^T X_c + n_c lam I)^-1`` fitted on the gallery (lam 0.02), then L2-normalise
   (``common.retrieval.remove_camera_bias``);
2. ``smoothing``: kNN feature smoothing, 3 rounds with k 50 and beta 0.03: the gallery against the
   (projected) gallery, then the queries against the smoothed gallery (``mergesetfeat``,
   ``common.retrieval.knn_feature_smoothing`` with ``carry_knn`` as the code loops);
3. ``rerank``: k-reciprocal re-ranking (k1 30, k2 8, lambda 0.3). Without it the distance is the
   Euclidean one of the features, as the code's plain evaluator computes it;
4. ``camera_distance``: ``d -= 0.1 x`` the Euclidean distance of the L2-normalised camera-model features;
5. ``same_camera``: ``d += 1`` where the predicted query and gallery cameras agree;
6. ``topology``: ``d -= d x T[q_cam, g_cam]`` with a camera-transition matrix T (``topology``).

The features enter rounded to float16, as the code casts them (``half_precision_features``).
``distances_by_step`` returns the distance after every enabled step, for the ablation table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from common.retrieval import (camera_transition_adjustment, k_reciprocal_rerank, knn_feature_smoothing,
                              remove_camera_bias, same_camera_penalty)

#: The steps, in the order of application (keys of ``test.post``).
POST_STEPS = ("camera_projection", "smoothing", "rerank", "camera_distance", "same_camera", "topology")
#: Steps that need cameras or camera features.
CAMERA_STEPS = ("camera_projection", "camera_distance", "same_camera", "topology")
#: Steps applied to a distance (``camera_terms``; the ensemble applies them to its fused distance).
DISTANCE_TERMS = ("camera_distance", "same_camera", "topology")


@dataclass
class PostInputs:
    """What the post-processing reads.

    Attributes:
        query, gallery: ``[Q, D]`` / ``[G, D]`` L2-normalised ReID features.
        q_cams, g_cams: ``[Q]`` / ``[G]`` camera classes (predicted by the camera model), or ``None``.
        q_cam_feats, g_cam_feats: ``[Q, Dc]`` / ``[G, Dc]`` camera-model features, or ``None``.
        topology: ``[C, C]`` camera-transition matrix over the camera classes, or ``None``.
    """

    query: np.ndarray
    gallery: np.ndarray
    q_cams: np.ndarray | None = None
    g_cams: np.ndarray | None = None
    q_cam_feats: np.ndarray | None = None
    g_cam_feats: np.ndarray | None = None
    topology: np.ndarray | None = None


def euclidean(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """``[Q, D] x [G, D] -> [Q, G]`` float32 ``sqrt(max(||q - g||^2, 1e-12))`` (the code's ``euclidean_dist``)."""
    q, g = np.asarray(query, np.float64), np.asarray(gallery, np.float64)
    sq = (q * q).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2.0 * q @ g.T
    return np.sqrt(np.maximum(sq, 1e-12)).astype(np.float32)


def enabled_steps(post: Mapping) -> list[str]:
    """The switched-on steps of a ``test.post`` section, in order."""
    return [step for step in POST_STEPS if post[step]["enabled"]]


def _require(inputs: PostInputs, step: str, *fields: str) -> None:
    missing = [f for f in fields if getattr(inputs, f) is None]
    if missing:
        raise ValueError(f"post-processing step '{step}' needs {', '.join(missing)}: set camera_model to a camera "
                         f"run (and, for topology, a matrix), or disable test.post.{step}")


def distances_by_step(inputs: PostInputs, post: Mapping) -> list[tuple[str, np.ndarray]]:
    """``[(name, [Q, G] distance)]``: ``"plain"`` first, then the distance after each enabled step."""
    query, gallery = inputs.query.astype(np.float32), inputs.gallery.astype(np.float32)
    if post["half_precision_features"]:
        query, gallery = (x.astype(np.float16).astype(np.float32) for x in (query, gallery))
    steps = enabled_steps(post)
    out = [("plain", euclidean(query, gallery))]
    if "camera_projection" in steps:
        _require(inputs, "camera_projection", "q_cams", "g_cams")
        lam = post["camera_projection"]["lam"]
        query, gallery = (remove_camera_bias(query, inputs.q_cams, lam, reference=gallery,
                                             reference_cams=inputs.g_cams),
                          remove_camera_bias(gallery, inputs.g_cams, lam))
        out.append(("camera_projection", euclidean(query, gallery)))
    if "smoothing" in steps:
        s = post["smoothing"]
        kwargs = dict(knn=min(s["knn"], len(gallery)), beta=s["beta"], alpha=s["alpha"], rounds=s["rounds"],
                      carry_knn=s["carry_knn"])
        gallery = knn_feature_smoothing(gallery, gallery, **kwargs)
        query = knn_feature_smoothing(query, gallery, **kwargs)
        out.append(("smoothing", euclidean(query, gallery)))
    dist = out[-1][1]
    if "rerank" in steps:
        r = post["rerank"]
        dist = k_reciprocal_rerank(query, gallery, k1=r["k1"], k2=r["k2"], lambda_value=r["lambda_value"])
        out.append(("rerank", dist))
    camera_dist = None
    if "camera_distance" in steps:
        _require(inputs, "camera_distance", "q_cam_feats", "g_cam_feats")
        camera_dist = euclidean(inputs.q_cam_feats, inputs.g_cam_feats)
    return out + camera_terms(dist, post, inputs.q_cams, inputs.g_cams, camera_dist, inputs.topology)


def camera_terms(distmat: np.ndarray, post: Mapping, q_cams: np.ndarray | None, g_cams: np.ndarray | None,
                 camera_dist: np.ndarray | None, topology: np.ndarray | None) -> list[tuple[str, np.ndarray]]:
    """Steps 4-6 on a ``[Q, G]`` distance, given the ``[Q, G]`` camera-feature distance (the ensemble
    applies them to its fused distance with the mean camera distance, ``utils/ensemble.py``);
    ``[(name, distance after the step)]`` for each enabled step."""
    steps = enabled_steps(post)
    given = PostInputs(distmat, distmat, q_cams, g_cams, camera_dist, camera_dist, topology)
    dist, out = distmat, []
    if "camera_distance" in steps:
        _require(given, "camera_distance", "q_cam_feats")
        dist = dist - np.float32(post["camera_distance"]["weight"]) * camera_dist
        out.append(("camera_distance", dist))
    if "same_camera" in steps:
        _require(given, "same_camera", "q_cams", "g_cams")
        dist = same_camera_penalty(dist, q_cams, g_cams, post["same_camera"]["penalty"])
        out.append(("same_camera", dist))
    if "topology" in steps:
        _require(given, "topology", "q_cams", "g_cams", "topology")
        dist = camera_transition_adjustment(dist, q_cams, g_cams, topology, post["topology"]["weight"])
        out.append(("topology", dist))
    return out
