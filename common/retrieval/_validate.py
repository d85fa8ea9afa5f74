"""Input checks shared by the retrieval toolkit: every error names the argument and what to do."""
from __future__ import annotations

from typing import Any

import numpy as np


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensors (any device)
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def as_features(x: Any, name: str, dim: int | None = None, dtype: type = np.float32) -> np.ndarray:
    """Check and convert features to a C-contiguous ``(N, d)`` array of ``dtype``.

    Raises ``ValueError`` naming ``name`` for a wrong rank, an empty array, a dimension that
    differs from ``dim``, or NaN/infinite values (with the first offending rows).
    """
    arr = _to_numpy(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (N, d), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one row and one column")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(f"{name} has feature dimension {arr.shape[1]}, expected {dim} "
                         "(query and gallery features must come from the same model)")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(f"{name} contains NaN or infinite values in {bad.size} row(s), first rows "
                         f"{bad[:5].tolist()}; check the feature extractor (e.g. a diverged model)")
    return arr


def as_labels(x: Any, name: str, length: int | None = None, length_of: str = "") -> np.ndarray:
    """Check and convert integer labels (identities, cameras, tracks) to a 1-D int64 array.

    ``length``/``length_of`` give the expected length and what it comes from, for the message.
    """
    arr = _to_numpy(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {arr.shape}")
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise ValueError(f"{name} must hold integer labels, got dtype {arr.dtype}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} has {arr.shape[0]} labels but {length_of} has {length} items; "
                         "they must match one to one")
    return arr.astype(np.int64, copy=False)


def as_distmat(x: Any, name: str, shape: tuple[int, int] | None = None,
               dtype: type = np.float32) -> np.ndarray:
    """Check a ``(Q, G)`` distance matrix: 2-D, no NaN (``+inf`` is allowed as "never match")."""
    arr = _to_numpy(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (queries x gallery) matrix, got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)} (queries x gallery)")
    arr = np.asarray(arr, dtype=dtype)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN values; fix the distances before ranking")
    return arr


def check_k(k: int, n: int, name: str = "k", of: str = "the gallery", minimum: int = 1) -> int:
    """Check ``minimum <= k <= n`` and return ``int(k)``."""
    if isinstance(k, bool) or int(k) != k:
        raise ValueError(f"{name} must be an integer, got {k!r}")
    k = int(k)
    if k < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {k}")
    if k > n:
        raise ValueError(f"{name}={k} is larger than {of} ({n} items); use {name} <= {n}")
    return k


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_fraction(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value
