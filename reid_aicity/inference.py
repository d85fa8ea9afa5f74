"""Features of a retrieval target with DMT's augmentation test.

Each image is embedded under the views ``test.views`` (``"original"``, ``"flip"``), plus a crop:
``test.crop_test="center"`` adds ``common.reid.features``' centre-crop view, ``"detector"`` adds the
features of the detector-cropped copy of the image (``data.crop_test_dir``, DMT ``CROP_TEST``). The
view features are summed (DMT ``feats[::2] + feats[1::2]`` and ``f1 + f2``) and L2-normalised
(``TEST.FEAT_NORM``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from common.reid.features import extract_features

from .data import TargetSet, detector_crops, test_loader

CROP_TESTS = (None, "center", "detector")


@dataclass
class TargetFeatures:
    """L2-normalised features of a target and its labels.

    Attributes:
        query: ``[Q, D]`` float32; gallery: ``[G, D]`` float32.
        q_cams, g_cams: ``[Q]``, ``[G]`` cameras; g_tracks: ``[G]`` track IDs (-1: none).
        q_pids, g_pids: identities (-1 where unknown).
    """

    query: np.ndarray
    gallery: np.ndarray
    q_cams: np.ndarray
    g_cams: np.ndarray
    g_tracks: np.ndarray
    q_pids: np.ndarray
    g_pids: np.ndarray

    def labels(self) -> dict[str, np.ndarray]:
        """``q_pids``, ``g_pids``, ``q_cams``, ``g_cams`` (for ``evaluation.retrieval_scores``)."""
        return {"q_pids": self.q_pids, "g_pids": self.g_pids, "q_cams": self.q_cams, "g_cams": self.g_cams}


def embed_items(model: nn.Module, cfg: Config, items: Sequence, device: torch.device, views: Sequence[str],
                progress: Callable[[Iterable], Iterable] | None = None) -> torch.Tensor:
    """Sum over ``views`` of the model's features of ``items``, not normalised: ``[N, D]``."""
    feats = extract_features(model, test_loader(cfg, items), device, views=list(views), normalize=False,
                             amp=cfg.test.amp and device.type == "cuda", progress=progress)
    return feats.features * len(views)


def extract_target_features(model: nn.Module, cfg: Config, target: TargetSet, device: torch.device, *,
                            views: Sequence[str] | None = None, crop_test: str | None = "config",
                            progress: Callable[[Iterable], Iterable] | None = None) -> TargetFeatures:
    """Augmentation-test features of ``target``'s queries and gallery.

    Args:
        views: TTA views (default ``cfg.test.views``).
        crop_test: ``None``, ``"center"`` or ``"detector"`` (default ``cfg.test.crop_test``).
    """
    views = list(cfg.test.views if views is None else views)
    crop_test = cfg.test.crop_test if crop_test == "config" else crop_test
    if crop_test not in CROP_TESTS:
        raise ValueError(f"test.crop_test must be one of {CROP_TESTS}, got {crop_test!r}")
    if crop_test == "center":
        views.append("crop")
    items = target.query + target.gallery
    feats = embed_items(model, cfg, items, device, views, progress)
    if crop_test == "detector":
        crops = detector_crops(cfg, target)
        feats = feats + embed_items(model, cfg, crops.query + crops.gallery, device, views, progress)
    feats = F.normalize(feats, dim=1).numpy().astype(np.float32)
    arrays = target.arrays()
    nq = len(target.query)
    return TargetFeatures(feats[:nq], feats[nq:], arrays["q_cams"], arrays["g_cams"], arrays["g_tracks"],
                          arrays["q_pids"], arrays["g_pids"])
