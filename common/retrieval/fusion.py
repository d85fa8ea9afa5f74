"""Combining distance matrices: ensembles of models and additive bias terms.

* ``average_distances``: weighted mean of several models' (Q, G) distance matrices (VisDA:
  weights 2,1,2,1,... over 8 models; DMT sums 16 matrices, which ranks like their mean).
* ``weighted_sum``: sum of w_i D_i with any signs, e.g. DMT's D_r - 0.1 D_cam - 0.05 D_view and
  VisDA's D - 0.1 D_cam.

Matrices may be arrays or paths to ``.npy`` files; files are memory-mapped and accumulated row
block by row block, so only the float32 result is held in memory.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

_ROWS_PER_BLOCK = 1024


def weighted_sum(distmats: Sequence[Any], weights: Sequence[float]) -> np.ndarray:
    """(Q, G) float32 ``sum_i weights[i] * distmats[i]``."""
    mats = [_load(d, f"distmats[{i}]") for i, d in enumerate(distmats)]
    if not mats:
        raise ValueError("distmats is empty: give at least one (Q, G) matrix")
    if len(weights) != len(mats):
        raise ValueError(f"weights has {len(weights)} entries but distmats has {len(mats)}")
    shape = mats[0].shape
    for i, m in enumerate(mats):
        if m.ndim != 2 or m.shape != shape:
            raise ValueError(f"distmats[{i}] has shape {m.shape}, expected {shape} like distmats[0]")
    out = np.zeros(shape, dtype=np.float32)
    for start in range(0, shape[0], _ROWS_PER_BLOCK):
        rows = slice(start, start + _ROWS_PER_BLOCK)
        for i, (m, w) in enumerate(zip(mats, weights)):
            block = np.asarray(m[rows], dtype=np.float32)
            if np.isnan(block).any():
                raise ValueError(f"distmats[{i}] contains NaN values")
            out[rows] += np.float32(w) * block
    return out


def average_distances(distmats: Sequence[Any], weights: Sequence[float] | None = None) -> np.ndarray:
    """(Q, G) float32 weighted mean ``sum_i w_i D_i / sum_i w_i`` (equal weights by default)."""
    weights = [1.0] * len(distmats) if weights is None else list(weights)
    total = float(np.sum(weights))
    if total <= 0 or min(weights, default=0) < 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {weights}")
    return weighted_sum(distmats, [w / total for w in weights])


def _load(d: Any, name: str) -> np.ndarray:
    if isinstance(d, (str, Path)):
        path = Path(d)
        if not path.is_file():
            raise FileNotFoundError(f"{name}: no such distance-matrix file {path}")
        return np.load(path, mmap_mode="r")
    return np.asarray(d)
