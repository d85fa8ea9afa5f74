"""Feature extraction with test-time augmentation (TTA).

Each image batch is passed through the model once per *view* (``"original"``, ``"flip"``: horizontal
flip, ``"crop"``: a centre crop of ``crop_scale`` of each side resized back to the input size, or any
callable ``[B, 3, H, W] -> [B, 3, H, W]``); the view features are averaged and, by default,
L2-normalised. DMT's augmentation test sums original and flipped (and cropped) features before
normalising, which gives the same normalised feature as averaging.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoint import unwrap_model
from ..device import autocast

View = str | Callable[[torch.Tensor], torch.Tensor]


def hflip(images: torch.Tensor) -> torch.Tensor:
    """Horizontal flip of ``[B, C, H, W]`` images."""
    return images.flip(-1)


def center_crop_resize(images: torch.Tensor, scale: float = 0.9) -> torch.Tensor:
    """Centre crop keeping ``scale`` of height and width, resized back (bilinear) to ``[B, C, H, W]``."""
    h, w = images.shape[-2:]
    ch, cw = max(1, round(h * scale)), max(1, round(w * scale))
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = images[..., top:top + ch, left:left + cw]
    return F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False)


def resolve_views(views: Sequence[View], crop_scale: float = 0.9
                  ) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """Turn view names into functions (``"original"``, ``"flip"``, ``"crop"``); callables pass through."""
    named = {"original": lambda x: x, "flip": hflip, "crop": lambda x: center_crop_resize(x, crop_scale)}
    resolved = []
    for view in views:
        if callable(view):
            resolved.append(view)
        elif view in named:
            resolved.append(named[view])
        else:
            raise ValueError(f"unknown TTA view '{view}': use {', '.join(named)} or a callable")
    if not resolved:
        raise ValueError("at least one TTA view is needed (e.g. ['original'])")
    return resolved


@dataclass
class FeatureSet:
    """Extracted features and labels of a dataset, in loader order.

    Attributes:
        features: ``[N, D]`` float32 (L2-normalised unless extraction was asked not to).
        pids, camids, indices: ``[N]`` int64 (``indices``: dataset indices).
        paths: N image paths.
        extras: N extra labels when the dataset carries them, else ``None``.
    """

    features: torch.Tensor
    pids: torch.Tensor
    camids: torch.Tensor
    indices: torch.Tensor
    paths: list[str]
    extras: list | None = None


@torch.no_grad()
def embed_batch(model: nn.Module, images: torch.Tensor, views: Sequence[View] = ("original", "flip"),
                crop_scale: float = 0.9, normalize: bool = True) -> torch.Tensor:
    """Average of the model's features over the views of one batch.

    ``images``: ``[B, 3, H, W]`` on the model's device -> ``[B, D]`` float32.
    """
    feats = [model(view(images)).float() for view in resolve_views(views, crop_scale)]
    feat = torch.stack(feats).mean(dim=0)
    return F.normalize(feat, dim=1) if normalize else feat


@torch.no_grad()
def extract_features(model: nn.Module, loader: Iterable[dict], device: torch.device | str = "cpu", *,
                     views: Sequence[View] = ("original", "flip"), crop_scale: float = 0.9,
                     normalize: bool = True, amp: bool = False,
                     progress: Callable[[Iterable], Iterable] | None = None) -> FeatureSet:
    """Features of every batch of ``loader`` (batches as produced by ``ReIDDataset``).

    Args:
        model: a ``ReIDModel`` (or DDP-wrapped one); it is put in eval mode and restored afterwards.
        loader: yields dicts with ``img`` ``[B, 3, H, W]``, ``pid``, ``camid``, ``index``, ``path``.
        device: where to run the model.
        views: TTA views, averaged (see the module docstring).
        crop_scale: side fraction kept by the ``"crop"`` view.
        normalize: L2-normalise the averaged feature (the ReID test feature).
        amp: mixed precision (``common.device.autocast``); features are returned as float32.
        progress: optional wrapper of the loader, e.g. ``RunLogger.progress``.
    """
    device = torch.device(device)
    net = unwrap_model(model)
    was_training = net.training
    net.eval()
    feats, pids, camids, indices, paths, extras = [], [], [], [], [], []
    try:
        for batch in (progress(loader) if progress is not None else loader):
            images = batch["img"].to(device, non_blocking=True)
            with autocast(device, amp):
                feats.append(embed_batch(net, images, views, crop_scale, normalize).cpu())
            pids.append(torch.as_tensor(batch["pid"]))
            camids.append(torch.as_tensor(batch["camid"]))
            indices.append(torch.as_tensor(batch["index"]))
            paths.extend(batch["path"])
            if "extra" in batch:
                extra = batch["extra"]
                extras.extend(extra.tolist() if isinstance(extra, torch.Tensor) else list(extra))
    finally:
        net.train(was_training)
    if not feats:
        raise ValueError("extract_features got an empty loader")
    return FeatureSet(torch.cat(feats), torch.cat(pids).long(), torch.cat(camids).long(),
                      torch.cat(indices).long(), paths, extras if extras else None)
