"""What an evaluation run leaves besides its scores, shared by the ReID pipelines: the test features with an
index (``features.npy`` + ``features_index.csv``), and a retrieval set read from a plain folder pair.

``features.npy`` is ``[Q + G, D]`` float32, the queries first; ``features_index.csv`` has one line per row:
``row, split (query|gallery), path, pid, camid, track`` (-1 where unknown), so the features can be reused
(e.g. another re-ranking, an ensemble) without running the model again.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..fileio import atomic_open
from .dataset import ReIDItem, check_items

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
#: ``<identity>_c<camera>...``: VeRi-776 (``0002_c002_...``), Market-1501 (``0002_c1s1_...``), DukeMTMC-reID.
ID_CAMERA_NAME = re.compile(r"^(\d+)_c(\d+)")


def folder_items(folder: str | Path, what: str) -> list[ReIDItem]:
    """The images of ``folder`` in name order; identity and camera from names ``<id>_c<camera>...`` when every
    name has that form, else unlabelled (identity -1, camera 0). ``what`` names the folder in errors."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{what}: folder not found: {folder}")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"{what}: no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    matches = [ID_CAMERA_NAME.match(p.name) for p in paths]
    if all(matches):
        return check_items([(str(p), int(m.group(1)), int(m.group(2))) for p, m in zip(paths, matches)],
                           name=f"{what} ({folder})")
    return check_items([(str(p), -1, 0) for p in paths], name=f"{what} ({folder})")


def save_features(directory: str | Path, query: Sequence[ReIDItem], gallery: Sequence[ReIDItem],
                  features: np.ndarray, tracks: Sequence[int] | None = None) -> None:
    """Write ``features.npy`` (``[Q + G, D]``) and ``features_index.csv`` into ``directory`` (atomically).

    Args:
        tracks: ``[G]`` gallery track ids (-1: none), or ``None``.
    """
    directory = Path(directory)
    items = list(query) + list(gallery)
    if len(features) != len(items):
        raise ValueError(f"{len(features)} feature rows for {len(query)} queries and {len(gallery)} gallery images")
    gallery_tracks = [-1] * len(gallery) if tracks is None else [int(t) for t in tracks]
    with atomic_open(directory / "features.npy", "wb") as f:
        np.save(f, np.asarray(features, dtype=np.float32))
    with atomic_open(directory / "features_index.csv", "w") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "split", "path", "pid", "camid", "track"])
        for row, item in enumerate(items):
            split, track = ("query", -1) if row < len(query) else ("gallery", gallery_tracks[row - len(query)])
            writer.writerow([row, split, item.img_path, item.pid, item.camid, track])
