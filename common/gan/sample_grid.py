"""Sample grids: a PNG with one row per sample image and one column per view (input, translations)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from torchvision.utils import make_grid

from ..fileio import atomic_open
from .datasets import to_image


def save_sample_grid(columns: Sequence[torch.Tensor], path: str | Path, padding: int = 2) -> Path:
    """Write ``columns`` (each (N, 3, H, W) in [-1, 1], N rows) as one PNG, atomically.

    Row ``i`` shows ``columns[0][i], columns[1][i], ...`` from left to right.
    """
    if not columns or len({c.shape for c in columns}) != 1:
        raise ValueError(f"sample grid columns must share one shape, got {[tuple(c.shape) for c in columns]}")
    tiles = torch.stack([c.detach().float().cpu() for c in columns], dim=1).flatten(0, 1)
    grid = make_grid(tiles, nrow=len(columns), padding=padding, pad_value=1.0)
    with atomic_open(path, "wb") as f:
        to_image(grid).save(f, format="PNG")
    return Path(path)
