"""Scores of a ranking: mAP over the top-100 list (as the AI City server scores it), CMC and mINP, for all
queries and for the queries of the test-only ("held-out") cameras.

Protocol (DMT ``eval_func``, Market-1501): gallery images of the query's identity *and* camera are
ignored. mAP is computed over the first ``test.top_k`` (100) ranked images, each AP divided by the number
of relevant items of ``test.ap_normalizer`` (``common.retrieval.evaluate_distmat``; ``map_convention`` says
which, for the tables); rank-k accuracies come from the same ranking; ``mAP_full`` and ``mINP`` use the
whole ranking.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from mmengine.config import ConfigDict

from common.retrieval import evaluate_distmat


#: How each ``test.ap_normalizer`` divides an AP (for the tables' titles).
AP_CONVENTIONS = {"all": "AP over all relevant items", "retrieved": "AP over the relevant items retrieved",
                  "min": "AP over min(K, relevant items)"}


def map_convention(test: ConfigDict) -> str:
    """What the tables' ``mAP`` is, e.g. ``"mAP@100, AP over all relevant items"``."""
    if not test.top_k:
        return "mAP over the full ranking"
    return f"mAP@{test.top_k}, {AP_CONVENTIONS[test.ap_normalizer]}"


def retrieval_scores(distmat: np.ndarray, labels: Mapping[str, np.ndarray], test: ConfigDict) -> dict[str, Any]:
    """Scores of a ``[Q, G]`` distance matrix.

    Args:
        labels: ``q_pids``, ``g_pids``, ``q_cams``, ``g_cams`` arrays (``TargetSet.arrays()``).
        test: the ``test`` config section (``top_k``, ``ap_normalizer``, ``new_camera_min``).

    Returns:
        ``mAP`` (top-k), ``R1``/``R5``/``R10``, ``mAP_full``, ``mINP``, ``queries``, and the same mAP / R1
        for queries from cameras >= ``test.new_camera_min`` (``mAP_new_cams``, ``R1_new_cams``) when
        there are any.
    """
    if (labels["q_pids"] < 0).any() or (labels["g_pids"] < 0).any():
        raise ValueError("the target set has no ground truth (vehicleID) for some images; it cannot be scored")
    top_k = min(test.top_k, distmat.shape[1]) if test.top_k else None  # None: the full ranking (VeRi-776)
    out = _scores(distmat, labels, np.ones(len(distmat), dtype=bool), top_k, test.ap_normalizer)
    new = labels["q_cams"] >= test.new_camera_min
    if new.any():
        held = _scores(distmat, labels, new, top_k, test.ap_normalizer)
        out.update(mAP_new_cams=held["mAP"], R1_new_cams=held["R1"])
    return out


def _scores(distmat: np.ndarray, labels: Mapping[str, np.ndarray], rows: np.ndarray, top_k: int,
            normalizer: str) -> dict[str, Any]:
    args = (distmat[rows], labels["q_pids"][rows], labels["g_pids"], labels["q_cams"][rows], labels["g_cams"])
    top = evaluate_distmat(*args, top_k=top_k, ap_normalizer=normalizer, max_rank=min(10, distmat.shape[1]))
    full = evaluate_distmat(*args, max_rank=1)
    scores = {"mAP": top.mAP, "R1": top.rank(1)}
    scores.update({f"R{k}": top.rank(k) for k in (5, 10) if k <= len(top.cmc)})
    scores.update(mAP_full=full.mAP, mINP=full.mINP, queries=top.num_valid_queries)
    return scores
