"""Scores of the generated images: the distance of each one to its own source image, in each space.

``consistency`` is the distance in E_c's space (small: the identity is kept) and ``diversity`` the distance in
E_d's space (large: the image adds something its source has not). Each image (source or generated) is encoded
once per space (``feature_cache``); the distance of row ``i`` compares the features of its generated image
with those of its source.

Distances (``METRICS``, per space by config):

* ``"cosine"``: ``1 - <a, b> / (|a| |b|)``, in [0, 2]; scale-free, what ReID compares L2-normalised
  features by (for unit vectors ``|a - b|^2 = 2 (1 - cos)``, so both rank alike);
* ``"euclidean"``: ``|a - b|``; keeps magnitudes, which for the colour/texture statistics are the amount
  of colour or texture change.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from common.gan.manifest import ManifestRow

from .encoders import ImageEncoder
from .feature_cache import encode_images

METRICS = ("cosine", "euclidean")
SPACES = ("consistency", "diversity")
#: Rows per block of the distance computation: bounds the memory of the gathered float64 blocks (8192 x 2048-d:
#: 134 MB each).
BLOCK_ROWS = 8192


def pair_distances(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Row-wise distances of two ``(N, D)`` feature arrays -> ``(N,)`` float64.

    ``"cosine"``: ``1 - cos(a_i, b_i)`` (a zero vector counts as orthogonal to everything); ``"euclidean"``:
    ``|a_i - b_i|``.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}': choose one of {', '.join(METRICS)}")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"pair_distances needs two (N, D) arrays of one shape, got {a.shape} and {b.shape}")
    if metric == "euclidean":
        return np.sqrt(np.square(a - b).sum(axis=1))
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cos = np.divide((a * b).sum(axis=1), norms, out=np.zeros(len(a)), where=norms > 0)
    return 1.0 - cos


@dataclass
class PairIndex:
    """The distinct images of a generated set (its sources first, then the generated images) and, per row,
    the position of its generated image and of its source in that list."""

    images: list[str]
    generated: np.ndarray
    source: np.ndarray


def pair_index(rows: Sequence[ManifestRow]) -> PairIndex:
    """The ``PairIndex`` of checked rows (``generated_set.check_rows``: absolute paths)."""
    sources = sorted({row.source_path for row in rows})
    position = {path: i for i, path in enumerate(sources)}
    generated = np.arange(len(sources), len(sources) + len(rows))
    source = np.fromiter((position[row.source_path] for row in rows), dtype=np.int64, count=len(rows))
    return PairIndex(sources + [row.generated_path for row in rows], generated, source)


def space_distances(features: np.ndarray, index: PairIndex, metric: str) -> np.ndarray:
    """``(N,)`` distances of each row's generated image to its source, from ``(len(index.images), D)`` features,
    in blocks of ``BLOCK_ROWS`` rows."""
    out = np.empty(len(index.generated), dtype=np.float64)
    for start in range(0, len(out), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        out[block] = pair_distances(features[index.generated[block]], features[index.source[block]], metric)
    return out


@dataclass
class SpaceScores:
    """One space's ``(N,)`` distances and how many feature chunks were reused from the cache / computed."""

    distances: np.ndarray
    reused_chunks: int
    computed_chunks: int


def score_rows(rows: Sequence[ManifestRow], encoders: Mapping[str, ImageEncoder], metrics: Mapping[str, str],
               cache_dir: str | Path, **encode_kwargs: Any) -> dict[str, SpaceScores]:
    """The distance of every row's generated image to its source in each space.

    Args:
        rows: checked rows.
        encoders, metrics: per space name (``SPACES``): its encoder and its metric.
        cache_dir: the feature cache (``feature_cache``).
        **encode_kwargs: ``chunk_size``, ``batch_size``, ``num_workers``, ``device``, ``progress`` of
            ``feature_cache.encode_images``.
    """
    index = pair_index(rows)
    scores = {}
    for space, encoder in encoders.items():
        encoded = encode_images(encoder, index.images, cache_dir, desc=f"{space} features", **encode_kwargs)
        scores[space] = SpaceScores(space_distances(encoded.features, index, metrics[space]),
                                    encoded.reused_chunks, encoded.computed_chunks)
    return scores
