"""Ranked lists on disk: the top-K gallery indices of each query, one query per line.

* generic: ``write_ranked_lists`` / ``read_ranked_lists`` (space-separated, 0- or 1-based);
* AI City Track 2 ``track2.txt``: 100 **1-based** gallery indices per line (DMT ``ensemble.py``);
* VisDA-2020 ``result.txt``: 100 **0-based** indices per line written as ``%05d``
  (``np.savetxt(..., fmt="%05d")`` in the official devkit and the winning code).

Files are written atomically (``common.fileio.atomic_open``); readers check every line and name
the file and line of a malformed entry. The challenges expect K = 100; the writers accept any K.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..fileio import atomic_open
from ._validate import as_distmat, check_k

_CHUNK_ELEMENTS = 1 << 22


def topk_indices(distmat: Any, k: int = 100) -> np.ndarray:
    """(Q, k) int64 gallery indices by ascending distance, ties broken by the lower index."""
    d = as_distmat(distmat, "distmat")
    k = check_k(k, d.shape[1], "k", "the gallery")
    out = np.empty((d.shape[0], k), dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // d.shape[1])
    for start in range(0, len(d), step):
        out[start:start + step] = np.argsort(d[start:start + step], axis=1, kind="stable")[:, :k]
    return out


def write_ranked_lists(path: str | Path, ranked: Any, *, index_base: int = 0,
                       fmt: str = "%d") -> Path:
    """Write (Q, K) 0-based gallery indices, shifted to ``index_base``, one query per line."""
    idx = _check_ranked(ranked, index_base)
    with atomic_open(path, "w") as f:
        np.savetxt(f, idx + index_base, fmt=fmt, delimiter=" ")
    return Path(path)


def read_ranked_lists(path: str | Path, *, index_base: int = 0) -> np.ndarray:
    """Read a ranked-list file back as (Q, K) 0-based int64 indices."""
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1, got {index_base}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no ranked-list file at {path}")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            values = [int(v) for v in fields]
        except ValueError:
            raise ValueError(f"{path}:{number}: expected integer gallery indices, got {line[:60]!r}") from None
        if rows and len(values) != len(rows[0]):
            raise ValueError(f"{path}:{number}: {len(values)} indices, but line 1 has {len(rows[0])}")
        if min(values) < index_base:
            raise ValueError(f"{path}:{number}: index {min(values)} is below the base {index_base}")
        rows.append(values)
    if not rows:
        raise ValueError(f"{path} holds no ranked list")
    return np.asarray(rows, dtype=np.int64) - index_base


def write_aicity_track2(path: str | Path, ranked: Any) -> Path:
    """AI City Track 2 submission: (Q, K) 0-based indices written 1-based, space-separated."""
    return write_ranked_lists(path, ranked, index_base=1)


def read_aicity_track2(path: str | Path) -> np.ndarray:
    """Parse a ``track2.txt`` back to (Q, K) 0-based indices."""
    return read_ranked_lists(path, index_base=1)


def write_visda_result(path: str | Path, ranked: Any) -> Path:
    """VisDA-2020 submission: (Q, K) 0-based indices as zero-padded ``%05d``, space-separated."""
    return write_ranked_lists(path, ranked, index_base=0, fmt="%05d")


def read_visda_result(path: str | Path) -> np.ndarray:
    """Parse a ``result.txt`` back to (Q, K) 0-based indices."""
    return read_ranked_lists(path, index_base=0)


def _check_ranked(ranked: Any, index_base: int) -> np.ndarray:
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1, got {index_base}")
    idx = np.asarray(ranked)
    if idx.ndim != 2 or idx.shape[1] == 0:
        raise ValueError(f"ranked must be a 2-D (queries x K) array of indices, got shape {idx.shape}")
    if not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"ranked must hold integer gallery indices, got dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError("ranked holds negative indices; pass 0-based gallery indices")
    repeated = (np.diff(np.sort(idx, axis=1), axis=1) == 0).any(axis=1)
    if repeated.any():
        raise ValueError(f"ranked row(s) {np.flatnonzero(repeated)[:5].tolist()} repeat a gallery index")
    return idx.astype(np.int64)
