"""Make MMEngine 0.10.7 checkpoints load and resume under torch >= 2.6 without unsafe loading.

torch 2.6 made ``torch.load(weights_only=True)`` the default. MMEngine checkpoints carry the
``MessageHub`` state: ``HistoryBuffer`` objects holding NumPy arrays and scalars, whose pickled
state also names HistoryBuffer's statistics methods through ``builtins.getattr``. Rather than
turning safety off (``weights_only=False``), we allowlist exactly those types, and stand in for
``getattr`` with a function that only resolves HistoryBuffer's own statistics methods: a general
``getattr`` in the allowlist would let a crafted file reach arbitrary code.
"""
from __future__ import annotations

import numpy as np
import torch

# NumPy dtypes a HistoryBuffer or a scalar metric can hold; object dtypes are deliberately absent.
_NUMERIC_DTYPES = (np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32,
                   np.uint64, np.float16, np.float32, np.float64)

# HistoryBuffer's built-in statistics (registered lazily, on the first instance).
_BUILTIN_STATISTICS = ("min", "max", "current", "mean")

_registered = False


def _history_buffer_getattr(obj: object, name: str) -> object:
    """``getattr`` restricted to ``HistoryBuffer``'s registered statistics methods."""
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = set(_BUILTIN_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise ValueError(f"refusing getattr({obj!r}, {name!r}) while loading a checkpoint: only "
                     "HistoryBuffer statistics methods are allowed")


def _numpy_globals() -> list:
    multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    entries: list = [np.ndarray, np.dtype]
    entries += [type(np.dtype(t)) for t in _NUMERIC_DTYPES]
    # Files written with NumPy 1.x name numpy.core.*, NumPy 2.x numpy._core.*: allow both spellings.
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        entries += [(multiarray._reconstruct, f"{module}._reconstruct"),
                    (multiarray.scalar, f"{module}.scalar")]
    return entries


def allow_mmengine_checkpoints() -> None:
    """Allowlist the types in MMEngine checkpoints for ``torch.load(weights_only=True)``. Idempotent."""
    global _registered
    if _registered:
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    torch.serialization.add_safe_globals([
        HistoryBuffer,
        (_history_buffer_getattr, "builtins.getattr"),
        *_numpy_globals(),
    ])
    _registered = True
