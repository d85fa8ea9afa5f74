"""The pictures of a scoring run: score histograms with their cut-offs, the consistency-diversity scatter, and
per generator the best kept and the worst rejected images next to their sources.

"Best" and "worst" rank the rows by ``joint_rank``: the smaller of a row's rank among all rows in
consistency (1: the closest to its source) and in diversity (1: the farthest), so a high joint rank is good
in both spaces at once.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from common.gan.manifest import ManifestRow
from common.reid.dataset import load_image

from .selection import Selection

#: Marker of each quality in the scatter plot (others: ``"o"``).
MARKERS = {"good": "o", "copy": "s", "break": "^"}
TILE_HEIGHT = 128


def _cutoff_marks(ax: plt.Axes, cut: np.ndarray, vertical: bool, space: str) -> None:
    """One line at a common cut-off, or the range of per-group cut-offs shaded with their median dashed."""
    line, span = (ax.axvline, ax.axvspan) if vertical else (ax.axhline, ax.axhspan)
    if cut.size and np.ptp(cut) == 0:
        line(float(cut[0]), color="k", lw=1.5, label=f"{space} cut-off")
    elif cut.size:
        span(float(cut.min()), float(cut.max()), color="k", alpha=0.08, label=f"{space} cut-offs (per group)")
        line(float(np.median(cut)), color="k", lw=1.2, ls="--", label=f"median {space} cut-off")


def score_histograms(consistency: np.ndarray, diversity: np.ndarray, selection: Selection,
                     qualities: np.ndarray | None = None, bins: int = 40) -> Figure:
    """Histograms of both scores (per quality when known) with the cut-offs of each space."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    spaces = (("consistency", "consistency (E_c) distance, small = same identity", consistency,
               selection.cutoff_consistency),
              ("diversity", "diversity (E_d) distance, large = new look", diversity, selection.cutoff_diversity))
    for ax, (space, label, scores, cut) in zip(axes, spaces):
        edges = np.histogram_bin_edges(scores, bins=bins)
        if qualities is None:
            ax.hist(scores, bins=edges, color="tab:blue", alpha=0.7, label="all")
        else:
            for quality in sorted(set(qualities.tolist())):
                ax.hist(scores[qualities == quality], bins=edges, alpha=0.55, label=quality)
        _cutoff_marks(ax, cut, True, space)
        ax.set_xlabel(label)
        ax.set_ylabel("generated images")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def score_scatter(consistency: np.ndarray, diversity: np.ndarray, selection: Selection,
                  qualities: np.ndarray | None = None, max_points: int = 20000, seed: int = 0) -> Figure:
    """Consistency vs diversity, kept rows green and rejected red (markers by quality when known); at most
    ``max_points`` rows drawn (a fixed random subset)."""
    n = len(consistency)
    shown = np.arange(n) if n <= max_points else np.sort(np.random.default_rng(seed).choice(n, max_points, False))
    fig, ax = plt.subplots(figsize=(6.5, 5.2))
    groups = [("all", np.ones(n, dtype=bool))] if qualities is None else [
        (q, qualities == q) for q in sorted(set(qualities.tolist()))]
    for name, of in groups:
        for kept, colour, state in ((True, "tab:green", "kept"), (False, "tab:red", "rejected")):
            idx = shown[(of & (selection.kept == kept))[shown]]
            if idx.size:
                ax.scatter(consistency[idx], diversity[idx], s=10, c=colour, alpha=0.6, marker=MARKERS.get(name, "o"),
                           label=f"{name}, {state}" if qualities is not None else state)
    _cutoff_marks(ax, selection.cutoff_consistency, True, "consistency")
    _cutoff_marks(ax, selection.cutoff_diversity, False, "diversity")
    ax.set_xlabel("consistency (E_c) distance to the source")
    ax.set_ylabel("diversity (E_d) distance to the source")
    ax.set_title(f"{int(selection.kept.sum())} of {n} kept" + (f" ({len(shown)} drawn)" if len(shown) < n else ""))
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def joint_rank(consistency: np.ndarray, diversity: np.ndarray) -> np.ndarray:
    """``(N,)`` in (0, 1]: min(rank of closeness in consistency, rank of distance in diversity) / N."""
    n = len(consistency)
    close = np.empty(n)
    close[np.argsort(-consistency, kind="stable")] = np.arange(1, n + 1)
    far = np.empty(n)
    far[np.argsort(diversity, kind="stable")] = np.arange(1, n + 1)
    return np.minimum(close, far) / max(n, 1)


def _pair_tile(row: ManifestRow) -> np.ndarray:
    """Source and generated image side by side, each ``TILE_HEIGHT`` pixels high."""
    tiles = []
    for path in (row.source_path, row.generated_path):
        img = load_image(path)
        tiles.append(np.asarray(img.resize((max(1, round(img.width * TILE_HEIGHT / img.height)), TILE_HEIGHT),
                                           Image.Resampling.BICUBIC)))
    gap = np.full((TILE_HEIGHT, 4, 3), 255, dtype=np.uint8)
    return np.concatenate([tiles[0], gap, tiles[1]], axis=1)


def pair_grid(rows: Sequence[ManifestRow], best: Sequence[int], worst: Sequence[int], consistency: np.ndarray,
              diversity: np.ndarray, title: str) -> Figure:
    """Two rows of (source | generated) pairs: the ``best`` kept and the ``worst`` rejected row indices, each
    with its two scores."""
    columns = max(len(best), len(worst), 1)
    fig, axes = plt.subplots(2, columns, figsize=(1.6 * columns, 5.0), squeeze=False)
    for r, (label, picked) in enumerate((("best kept", best), ("worst rejected", worst))):
        for c in range(columns):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(picked):
                i = picked[c]
                ax.imshow(_pair_tile(rows[i]))
                ax.set_title(f"c {consistency[i]:.3g}\nd {diversity[i]:.3g}", fontsize=7)
        axes[r, 0].text(-0.1, 0.5, label, transform=axes[r, 0].transAxes, rotation=90, va="center", ha="right")
    fig.suptitle(f"{title}: source | generated", fontsize=10)
    fig.tight_layout()
    return fig
