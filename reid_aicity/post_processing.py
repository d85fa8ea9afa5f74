"""DMT's inference post-processing (``utils/metrics.py:R1_mAP_eval.compute`` / ``track_ranking``),
each step switched by ``test.post``:

1. **Augmentation test** (``inference``): original + flipped (+ cropped) features, summed, normalised.
   Optionally (not in DMT, off by default) **database-side augmentation** (``dba``) of the gallery and
   **alpha query expansion** (``aqe``, fast-reid's) of the pooled features, re-normalised
   (``common.retrieval.query_expansion``).
2. **Re-ranking** (``rerank``): k-reciprocal re-ranking, k1=7, k2=2, lambda=0.6 (paper Sec. 3.3),
   ``common.retrieval.k_reciprocal_rerank`` on squared Euclidean distances.
3. **Weighted tracklet features** (``track``): each gallery track becomes one query-conditioned weighted
   feature (``common.retrieval.weighted_track_features``: weight 1/(mean distance to the queries that
   come within ``threshold`` of the track + ``eps``)); queries are ranked against the tracks (re-ranked
   when 2. is on) and each image takes its track's distance. Gallery images without a track are
   tracks of their own.
4. **Feature-level camera bias removal** (``fic``): features ``normalise((X_c^T X_c + n_c lam I)^-1
   (f - mu_c))`` with X_c the gallery images of camera c (``common.retrieval.remove_camera_bias``),
   and **inter-camera fusion** (``fic.fuse``): the distance is the average of the chains 2.-3. run on
   the plain and on the corrected features (``(distmat + distmat1) / 2`` in the code).
5. **Camera / orientation bias** (``bias``): ``D = D_r - camera_weight D_cam - view_weight D_view``
   (paper Eq. 4) with D_cam, D_view the query-to-image distances of the camera and orientation models
   (``attribute_models``).
6. **Camera verification** (``camera_verification``): +``same_camera_penalty`` where query and gallery
   share a camera (``RM_CAMERA``), +``group_penalty`` where one camera is a test-only camera
   (>= ``test.new_camera_min``, DMT: 40) and the other is not.

The order of application is the code's (bias inside the track ranking, camera terms last); the
ablation (``ABLATION_STEPS``) switches the steps on in the order of the paper's Table 4.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np
from mmengine.config import ConfigDict

from common.retrieval import (alpha_query_expansion, camera_group_penalty, database_augmentation,
                              k_reciprocal_rerank, l2_normalize, remove_camera_bias, same_camera_penalty,
                              track_to_image_distances, weighted_sum, weighted_track_features)

from .inference import TargetFeatures

POST_STEPS = ("dba", "aqe", "rerank", "track", "fic", "bias", "camera_verification")


def squared_euclidean(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """``[Q, D] x [G, D] -> [Q, G]`` float32 ``||q - g||^2`` (DMT ``euclidean_distance``)."""
    q, g = query.astype(np.float64), gallery.astype(np.float64)
    d = (q * q).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2.0 * q @ g.T
    return np.maximum(d, 0.0).astype(np.float32)


def separate_untracked(g_tracks: np.ndarray) -> np.ndarray:
    """Track IDs where every untracked image (-1) becomes a track of its own (IDs below the others)."""
    tracks = np.asarray(g_tracks, dtype=np.int64).copy()
    untracked = tracks < 0
    tracks[untracked] = tracks.min(initial=0) - 1 - np.arange(int(untracked.sum()))
    return tracks


def fic_features(feats: TargetFeatures, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Query and gallery features with the per-camera projection fitted on the gallery (DMT ``run_fic``)."""
    query = remove_camera_bias(feats.query, feats.q_cams, lam, reference=feats.gallery,
                               reference_cams=feats.g_cams)
    gallery = remove_camera_bias(feats.gallery, feats.g_cams, lam)
    return query, gallery


def retrieval_distance(query: np.ndarray, gallery: np.ndarray, g_tracks: np.ndarray, post: ConfigDict
                       ) -> np.ndarray:
    """Steps 2-3: ``[Q, G]`` plain, re-ranked, track-level or re-ranked track-level distances."""
    def distance(q: np.ndarray, g: np.ndarray) -> np.ndarray:
        if post.rerank.enabled:
            r = post.rerank
            return k_reciprocal_rerank(q, g, k1=min(r.k1, len(q) + len(g) - 1), k2=min(r.k2, len(q) + len(g)),
                                       lambda_value=r.lambda_value, use_gpu="auto")
        return squared_euclidean(q, g)

    if not post.track.enabled:
        return distance(query, gallery)
    track_feats, _, inverse = weighted_track_features(query, gallery, separate_untracked(g_tracks),
                                                      threshold=post.track.threshold, eps=post.track.eps)
    return track_to_image_distances(distance(query, track_feats), inverse)


def camera_verification(distmat: np.ndarray, q_cams: np.ndarray, g_cams: np.ndarray, same_camera_penalty_: float,
                        group_penalty: float, new_camera_min: int) -> np.ndarray:
    """Step 6: penalise same-camera pairs and pairs across the old / new camera groups."""
    d = same_camera_penalty(distmat, q_cams, g_cams, same_camera_penalty_)
    return camera_group_penalty(d, (q_cams >= new_camera_min).astype(np.int64),
                                (g_cams >= new_camera_min).astype(np.int64), group_penalty)


@dataclass
class AttributeDistances:
    """``[Q, G]`` distances of the camera model (D_cam) and the orientation model (D_view)."""

    camera: np.ndarray | None
    view: np.ndarray | None


def expanded_features(feats: TargetFeatures, post: ConfigDict) -> TargetFeatures:
    """``feats`` after DBA (gallery) and alpha-QE (queries and gallery pooled), re-normalised, when enabled."""
    if not (post.dba.enabled or post.aqe.enabled):
        return feats
    query, gallery = feats.query, feats.gallery
    if post.dba.enabled:
        gallery = database_augmentation(gallery, k=min(post.dba.k, len(gallery)), alpha=post.dba.alpha,
                                        times=post.dba.times)
    if post.aqe.enabled:
        query, gallery = alpha_query_expansion(query, gallery, k=min(post.aqe.k, len(query) + len(gallery)),
                                               alpha=post.aqe.alpha, times=post.aqe.times)
    return replace(feats, query=l2_normalize(query), gallery=l2_normalize(gallery))


def post_process(feats: TargetFeatures, post: ConfigDict, new_camera_min: int,
                 attributes: AttributeDistances | None = None) -> np.ndarray:
    """The ``[Q, G]`` distance matrix after the enabled steps (see the module docstring)."""
    feats = expanded_features(feats, post)
    distmat = retrieval_distance(feats.query, feats.gallery, feats.g_tracks, post)
    if post.fic.enabled:
        q1, g1 = fic_features(feats, post.fic.lam)
        corrected = retrieval_distance(q1, g1, feats.g_tracks, post)
        distmat = (distmat + corrected) / 2.0 if post.fic.fuse else corrected
    if post.bias.enabled:
        if attributes is None or (attributes.camera is None and attributes.view is None):
            raise ValueError("test.post.bias is enabled but no camera / orientation model distances were given; "
                             "set test.post.bias.camera_model / view_model to trained run directories")
        mats, weights = [distmat], [1.0]
        for d, w in ((attributes.camera, post.bias.camera_weight), (attributes.view, post.bias.view_weight)):
            if d is not None:
                mats.append(d)
                weights.append(-w)
        distmat = weighted_sum(mats, weights)
    if post.camera_verification.enabled:
        cv = post.camera_verification
        distmat = camera_verification(distmat, feats.q_cams, feats.g_cams, cv.same_camera_penalty,
                                      cv.group_penalty, new_camera_min)
    return distmat


#: Paper Table 4: (row name, feature set, post-processing steps switched on). The feature set is
#: "plain" (original view only) or "tta" (the augmentation test of ``test.views`` / ``test.crop_test``).
ABLATION_STEPS = (
    ("baseline", "plain", ()),
    ("+ augmentation test", "tta", ()),
    ("+ re-rank", "tta", ("rerank",)),
    ("+ weighted tracklet", "tta", ("rerank", "track")),
    ("+ camera verification", "tta", ("rerank", "track", "camera_verification")),
    ("+ inter-camera fusion", "tta", ("rerank", "track", "camera_verification", "fic")),
    ("+ camera/orientation bias", "tta", ("rerank", "track", "camera_verification", "fic", "bias")),
)


def with_steps(post: ConfigDict, steps: tuple[str, ...] | set[str]) -> ConfigDict:
    """A copy of ``post`` with exactly ``steps`` enabled (their other settings kept)."""
    out = ConfigDict({name: dict(post[name]) for name in POST_STEPS})
    for name in POST_STEPS:
        out[name]["enabled"] = name in steps
    return out


def enabled_steps(post: Mapping) -> tuple[str, ...]:
    return tuple(name for name in POST_STEPS if post[name]["enabled"])
