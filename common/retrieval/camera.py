"""Camera-bias removal and camera-based distance adjustments, as used by DMT (AI City 2021) and the
VisDA-2020 winner.

* ``remove_camera_bias``: the ``compute_P2`` / ``meanfeat_sub`` projection of both solutions
  (DMT's "FIC"): for camera c with reference features X_c (n_c x d) and mean mu_c,
  f <- normalise((X_c^T X_c + n_c lam I)^-1 (f - mu_c)). DMT: lam = 0.0005 in stage 2 and
  TEST.LA = 0.11 at test time (the paper says 0.18); VisDA: lam = 0.02.
* ``same_camera_penalty`` / ``camera_group_penalty``: add a constant where the query and gallery
  cameras agree (DMT ``RM_CAMERA`` +10, VisDA +1 with predicted cameras), or where they fall in
  different camera groups (DMT: +10 across cameras < 40 and >= 40).
* ``camera_transition_adjustment``: d <- d - w d T[c_q, c_g] with a camera-transition matrix T
  (VisDA's "topology" term).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ._validate import as_distmat, as_features, as_labels
from .knn import l2_normalize


def remove_camera_bias(features: Any, cams: Any, lam: float, *, reference: Any = None,
                       reference_cams: Any = None) -> np.ndarray:
    """Per-camera mean subtraction and ridge projection, then L2 normalisation.

    Args:
        features: (N, d) features to correct.
        cams: (N,) camera label of each feature.
        lam: ridge strength (> 0 unless every camera has at least d reference features).
        reference: (M, d) features the means and projections are fitted on (DMT at test time and
            VisDA: the gallery; DMT stage 2: all target features). Default: ``features``.
        reference_cams: (M,) their cameras (default: ``cams``).

    Returns:
        (N, d) float32 corrected, unit-norm features.
    """
    x = as_features(features, "features", dtype=np.float64)
    c = as_labels(cams, "cams", len(x), "features")
    if (reference is None) != (reference_cams is None):
        raise ValueError("give both reference and reference_cams, or neither")
    ref = x if reference is None else as_features(reference, "reference", dim=x.shape[1],
                                                  dtype=np.float64)
    rc = c if reference_cams is None else as_labels(reference_cams, "reference_cams", len(ref),
                                                     "reference")
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    unknown = np.setdiff1d(c, rc)
    if len(unknown):
        raise ValueError(f"cams {unknown[:5].tolist()} have no reference features; every camera "
                         "to correct needs reference features from the same camera")
    out = np.empty_like(x)
    eye = np.eye(x.shape[1])
    for cam in np.unique(c):
        xc = ref[rc == cam]
        gram = xc.T @ xc + len(xc) * lam * eye
        try:
            factor = cho_factor(gram)
        except LinAlgError as e:
            raise ValueError(f"camera {cam}: X^T X + n lam I is singular ({len(xc)} reference "
                             f"features in {x.shape[1]} dimensions); use lam > 0") from e
        rows = c == cam
        out[rows] = cho_solve(factor, (x[rows] - xc.mean(axis=0)).T).T
    return l2_normalize(out)


def same_camera_penalty(distmat: Any, q_cams: Any, g_cams: Any, penalty: float) -> np.ndarray:
    """(Q, G) ``distmat + penalty * [q_cam == g_cam]``."""
    d, qc, gc = _check(distmat, q_cams, g_cams)
    return d + np.float32(penalty) * (qc[:, None] == gc[None, :])


def camera_group_penalty(distmat: Any, q_groups: Any, g_groups: Any, penalty: float) -> np.ndarray:
    """(Q, G) ``distmat + penalty * [group(q) != group(g)]``; groups are labels per item (e.g.
    ``cams >= 40`` for DMT's old/new AI City cameras)."""
    d, qg, gg = _check(distmat, q_groups, g_groups, names=("q_groups", "g_groups"))
    return d + np.float32(penalty) * (qg[:, None] != gg[None, :])


def camera_transition_adjustment(distmat: Any, q_cams: Any, g_cams: Any, transition: Any,
                                 weight: float = 1.0) -> np.ndarray:
    """(Q, G) ``d - weight * d * T[q_cam, g_cam]`` for a (C, C) transition matrix T; cameras must
    be indices 0..C-1."""
    d, qc, gc = _check(distmat, q_cams, g_cams)
    t = np.asarray(transition, dtype=np.float32)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"transition must be a square (C, C) matrix, got shape {t.shape}")
    for name, cams in (("q_cams", qc), ("g_cams", gc)):
        if len(cams) and (cams.min() < 0 or cams.max() >= len(t)):
            raise ValueError(f"{name} must be camera indices in [0, {len(t) - 1}] to index "
                             f"transition, got values in [{cams.min()}, {cams.max()}]")
    return d - np.float32(weight) * d * t[qc][:, gc]


def _check(distmat: Any, q: Any, g: Any, names: tuple[str, str] = ("q_cams", "g_cams")
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = as_distmat(distmat, "distmat")
    return (d, as_labels(q, names[0], d.shape[0], "distmat (rows)"),
            as_labels(g, names[1], d.shape[1], "distmat (columns)"))
