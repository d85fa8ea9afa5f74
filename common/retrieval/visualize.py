"""Ranked-list pictures: each row shows a query and its top-k gallery images, correct matches
framed green and wrong ones red (as fast-reid's ``visualize_result`` and torchreid's ``visrank``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

QUERY_COLOUR = (0.12, 0.35, 0.85)
CORRECT_COLOUR = (0.0, 0.7, 0.0)
WRONG_COLOUR = (0.85, 0.0, 0.0)


def plot_ranked_lists(query_images: Sequence[Any], gallery_images: Sequence[Any], ranked: Any,
                      q_pids: Any = None, g_pids: Any = None, *, queries: Sequence[int] | None = None,
                      k: int = 10, cell_inches: float = 1.4, frame_width: float = 4.0) -> Any:
    """A matplotlib figure with one row per query: the query, then its top-``k`` gallery images.

    Args:
        query_images, gallery_images: image paths, or (H, W) / (H, W, 3) arrays.
        ranked: (Q, K) 0-based gallery indices, best first (e.g. ``writers.topk_indices``).
        q_pids, g_pids: identities; when given, frames are green (same identity) or red.
        queries: which query rows to draw (default: all).
        k: gallery images per row (at most K).

    Returns:
        ``matplotlib.figure.Figure``; save it with ``RunLogger.save_figure`` or ``fig.savefig``.
    """
    from matplotlib.figure import Figure

    order = np.asarray(ranked)
    if order.ndim != 2:
        raise ValueError(f"ranked must be a 2-D (queries x K) array, got shape {order.shape}")
    if order.shape[0] != len(query_images):
        raise ValueError(f"ranked has {order.shape[0]} rows but there are {len(query_images)} query images")
    if (q_pids is None) != (g_pids is None):
        raise ValueError("give both q_pids and g_pids (to colour the frames) or neither")
    k = min(k, order.shape[1])
    rows = list(range(len(order))) if queries is None else list(queries)
    fig = Figure(figsize=(cell_inches * (k + 1), cell_inches * 1.25 * len(rows)))
    axes = fig.subplots(len(rows), k + 1, squeeze=False)
    for r, qi in enumerate(rows):
        _show(axes[r, 0], query_images[qi], QUERY_COLOUR, frame_width, f"query {qi}")
        for c in range(k):
            gi = int(order[qi, c])
            colour = (0.5, 0.5, 0.5) if q_pids is None else (
                CORRECT_COLOUR if g_pids[gi] == q_pids[qi] else WRONG_COLOUR)
            _show(axes[r, c + 1], gallery_images[gi], colour, frame_width, f"{c + 1}: {gi}")
    fig.subplots_adjust(wspace=0.15, hspace=0.35)
    return fig


def _show(ax: Any, image: Any, colour: tuple[float, float, float], width: float, title: str) -> None:
    pixels = _load(image)
    ax.imshow(pixels, cmap="gray" if pixels.ndim == 2 else None, aspect="auto")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(colour)
        spine.set_linewidth(width)
    ax.set_title(title, fontsize=7)


def _load(image: Any) -> np.ndarray:
    if isinstance(image, (str, Path)):
        from PIL import Image

        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"no image at {path}")
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    arr = np.asarray(image)
    if arr.ndim not in (2, 3):
        raise ValueError(f"an image must be a path or an (H, W) / (H, W, 3) array, got shape {arr.shape}")
    return arr


def metric_bars(ax: Any, labels: Sequence[str], series: dict[str, Sequence[float]], title: str | None = None,
                rotation: float = 25, tick_size: float = 8) -> None:
    """Grouped bars on a matplotlib ``ax``: one group per label, one bar per ``series`` entry (name -> one
    fraction per label, drawn in %), each bar's value printed on it (the pipelines' mAP / R1 tables)."""
    x = np.arange(len(labels))
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, [100 * v for v in values], width, label=name)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(x, labels, rotation=rotation, ha="right" if rotation else "center", fontsize=tick_size)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
