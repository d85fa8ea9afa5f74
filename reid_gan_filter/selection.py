"""Which generated images to keep, from their consistency and diversity scores (vectorised; 10^5+ rows).

In each space a rule gives every row a cut-off and keeps the row when its score is on the good side of it:
consistency distances are good when small (``keep if score <= cut-off``), diversity distances when large
(``keep if score >= cut-off``). Rows at the cut-off are kept (ties go together).

* ``rule="threshold"``: ``value`` is the cut-off itself, the same for every row (the scope does not matter);
* ``rule="percentile"``: ``value`` is the percentage of each group to keep: the cut-off is the group's
  ``value``-th percentile of the consistency distances, or its ``(100 - value)``-th percentile of the
  diversity distances (NumPy's default linear interpolation), so ``value=100`` keeps every row and a group
  always keeps its best row.

Groups (``scope``): ``"source"`` (the images generated from one real image), ``"identity"`` (from one pid) or
``"global"`` (all rows). Groups are the distinct labels present, so there is no empty group; a group of one
row keeps it under a percentile rule.

The kept set combines the two selections: ``"intersection"`` (the paper: consistent *and* diverse) or
``"union"``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

SCOPES = ("source", "identity", "global")
RULES = ("threshold", "percentile")
COMBINES = ("intersection", "union")
#: Which side of the cut-off is good, per space.
PREFER = {"consistency": "low", "diversity": "high"}


def _check_scores(scores: np.ndarray, name: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"{name} scores must be a 1-D array, got shape {scores.shape}")
    bad = ~np.isfinite(scores)
    if bad.any():
        raise ValueError(f"{name} scores hold {int(bad.sum())} non-finite value(s), e.g. at row "
                         f"{int(np.flatnonzero(bad)[0])}; check the encoder and the images")
    return scores


def group_percentiles(scores: np.ndarray, groups: np.ndarray, q: float) -> np.ndarray:
    """The ``q``-th percentile (NumPy's linear interpolation) of each row's group -> ``(N,)``.

    Args:
        scores: ``(N,)`` values.
        groups: ``(N,)`` group labels (any integers; order and gaps do not matter).
        q: percentile in [0, 100].
    """
    scores, groups = np.asarray(scores, dtype=np.float64), np.asarray(groups)
    if scores.shape != groups.shape:
        raise ValueError(f"scores {scores.shape} and groups {groups.shape} must have one shape")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must lie in [0, 100], got {q}")
    if scores.size == 0:
        return scores.copy()
    _, label = np.unique(groups, return_inverse=True)
    order = np.lexsort((scores, label))
    ordered = scores[order]
    sizes = np.bincount(label)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = q / 100 * (sizes - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, sizes - 1)
    t = position - below
    a, b = ordered[starts + below], ordered[starts + above]
    diff = b - a
    # NumPy's _lerp: from the nearer end, so that t = 0 or 1 gives an element exactly
    cut = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return cut[label]


def cutoffs(scores: np.ndarray, groups: np.ndarray, rule: str, value: float, prefer: str) -> np.ndarray:
    """Each row's cut-off under ``rule`` (see the module docstring) -> ``(N,)``.

    Args:
        scores, groups: ``(N,)`` scores and group labels.
        rule: ``"threshold"`` or ``"percentile"``.
        value: the threshold, or the percentage of each group to keep (in (0, 100]).
        prefer: ``"low"`` (small scores are good) or ``"high"``.
    """
    if prefer not in ("low", "high"):
        raise ValueError(f"prefer must be 'low' or 'high', got {prefer!r}")
    if rule == "threshold":
        return np.full(np.shape(scores), float(value))
    if rule != "percentile":
        raise ValueError(f"unknown selection rule '{rule}': choose one of {', '.join(RULES)}")
    if not 0 < value <= 100:
        raise ValueError(f"a percentile rule keeps a percentage in (0, 100] of each group, got {value}")
    return group_percentiles(scores, groups, value if prefer == "low" else 100 - value)


def combine(keep_consistency: np.ndarray, keep_diversity: np.ndarray, how: str) -> np.ndarray:
    """``"intersection"`` or ``"union"`` of two ``(N,)`` bool selections."""
    if how == "intersection":
        return keep_consistency & keep_diversity
    if how == "union":
        return keep_consistency | keep_diversity
    raise ValueError(f"unknown combination '{how}': choose one of {', '.join(COMBINES)}")


def scope_groups(scope: str, sources: np.ndarray, pids: np.ndarray) -> np.ndarray:
    """``(N,)`` group labels of the rows under ``scope`` from their ``(N,)`` source indices and pids."""
    if scope == "source":
        return np.asarray(sources)
    if scope == "identity":
        return np.asarray(pids)
    if scope == "global":
        return np.zeros(len(sources), dtype=np.int64)
    raise ValueError(f"unknown selection scope '{scope}': choose one of {', '.join(SCOPES)}")


@dataclass
class Selection:
    """The two selections, their cut-offs (per row) and the kept set, all ``(N,)``."""

    keep_consistency: np.ndarray
    keep_diversity: np.ndarray
    cutoff_consistency: np.ndarray
    cutoff_diversity: np.ndarray
    kept: np.ndarray


def select_generated(consistency: np.ndarray, diversity: np.ndarray, groups: np.ndarray,
                     settings: Mapping[str, Any]) -> Selection:
    """Apply a ``selection`` config section to ``(N,)`` consistency and diversity scores.

    Args:
        consistency, diversity: ``(N,)`` distances of each generated image to its source.
        groups: ``(N,)`` group labels of the section's ``scope`` (``scope_groups``).
        settings: ``consistency`` and ``diversity`` (each ``rule`` and ``value``) and ``combine``.
    """
    consistency = _check_scores(consistency, "consistency")
    diversity = _check_scores(diversity, "diversity")
    if not consistency.shape == diversity.shape == np.shape(groups):
        raise ValueError(f"consistency {consistency.shape}, diversity {diversity.shape} and groups "
                         f"{np.shape(groups)} must have one shape")
    cuts = {}
    for space, scores in (("consistency", consistency), ("diversity", diversity)):
        rule = settings[space]
        cuts[space] = cutoffs(scores, groups, rule["rule"], rule["value"], PREFER[space])
    keep_c, keep_d = consistency <= cuts["consistency"], diversity >= cuts["diversity"]  # ties kept
    kept = combine(keep_c, keep_d, settings["combine"])
    return Selection(keep_c, keep_d, cuts["consistency"], cuts["diversity"], kept)


def check_selection(settings: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for an unknown scope, rule or combination, or a percentile outside (0, 100], before
    any image is scored (``select_generated`` on no rows)."""
    empty = np.zeros(0)
    select_generated(empty, empty, scope_groups(settings["scope"], empty, empty), settings)
