"""Split-Test: a retrieval set carved from the labelled training set, for offline evaluation.

The AI City test labels are not public, so DMT evaluates on a "Split-Test" taken from CityFlowV2's
training set (18,701 images of 88 vehicles, paper Sec. 4.2). The split script is not published; this
module's split is:

1. identities seen by at least two cameras are eligible (a query needs a match in another camera);
2. ``num_ids`` of them are drawn with ``numpy.random.default_rng(seed)`` (sorted-ID order first, so
   the draw depends only on the set of IDs and the seed); they leave the training set, which is
   relabelled ``0..C-1``;
3. for each drawn identity and each of its cameras, ``queries_per_camera`` images are drawn as
   queries (without a track, as AI City queries), leaving at least one image of that camera in the
   gallery; all other images form the gallery and keep their track IDs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from common.reid.dataset import ReIDItem

from .datasets import relabel_training
from .track_files import NO_TRACK


@dataclass
class SplitTest:
    """Remaining training items (relabelled) and the carved query / gallery items (original pids)."""

    train: list[ReIDItem]
    query: list[ReIDItem]
    gallery: list[ReIDItem]
    held_out_pids: list[int]


def carve_split_test(train: Sequence[ReIDItem], num_ids: int, seed: int = 0, queries_per_camera: int = 1
                     ) -> SplitTest:
    """Split ``train`` (items with pid, camera and track ID) as described in the module docstring.

    Raises:
        ValueError: fewer eligible identities than ``num_ids``.
    """
    cams_of: dict[int, set[int]] = defaultdict(set)
    for item in train:
        cams_of[item.pid].add(item.camid)
    eligible = sorted(pid for pid, cams in cams_of.items() if len(cams) >= 2 and pid != -1)
    if num_ids < 1 or num_ids > len(eligible):
        raise ValueError(f"split_test.num_ids={num_ids}, but only {len(eligible)} training identities are seen "
                         "by two or more cameras; lower data.split_test.num_ids")
    rng = np.random.default_rng(seed)
    held = sorted(int(pid) for pid in rng.choice(eligible, size=num_ids, replace=False))
    held_set = set(held)
    by_pid_cam: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, item in enumerate(train):
        if item.pid in held_set:
            by_pid_cam[(item.pid, item.camid)].append(index)
    query_index: set[int] = set()
    for key in sorted(by_pid_cam):
        indices = by_pid_cam[key]
        take = min(queries_per_camera, len(indices) - 1)  # the camera keeps an image in the gallery
        if take > 0:
            query_index.update(int(i) for i in rng.choice(indices, size=take, replace=False))
    query = [train[i]._replace(extra=NO_TRACK) for i in sorted(query_index)]
    gallery = [item for i, item in enumerate(train) if item.pid in held_set and i not in query_index]
    remaining = relabel_training([item for item in train if item.pid not in held_set])
    return SplitTest(remaining, query, gallery, held)
