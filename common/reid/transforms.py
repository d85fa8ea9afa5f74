"""ReID image augmentation with ``torchvision.transforms.v2``.

Training (DMT / Bias-Eliminate / bag of tricks): resize (bicubic) -> horizontal flip -> pad with zeros
-> random crop back to the size (or, DMT's "recrop" variant, a random resized crop) -> tensor in [0, 1]
-> random erasing filled with the pixel mean (which becomes 0 after ``ReIDModel`` normalises). Test:
resize -> tensor. Normalisation by mean/std happens inside ``ReIDModel``.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torchvision.transforms.v2 as T

from .model import IMAGENET_MEAN

_INTERPOLATION = {"bicubic": T.InterpolationMode.BICUBIC, "bilinear": T.InterpolationMode.BILINEAR,
                  "nearest": T.InterpolationMode.NEAREST}


def _size(size: int | Sequence[int]) -> tuple[int, int]:
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"image size must be (height, width), got {size}")
    return size


def build_train_transform(size: int | Sequence[int], *, flip_prob: float = 0.5, padding: int = 10,
                          erasing_prob: float = 0.5, erasing_value: Sequence[float] = IMAGENET_MEAN,
                          resized_crop_scale: Sequence[float] | None = None,
                          interpolation: str = "bicubic") -> T.Compose:
    """The training augmentation: PIL image -> ``[3, H, W]`` float tensor in [0, 1].

    Args:
        size: output ``(H, W)`` (DMT CNNs: 384x384; Bias-Eliminate: 384x128).
        flip_prob: horizontal flip probability (0.5).
        padding: zero padding before the random crop (10).
        erasing_prob: random erasing probability (DMT 0.5, Bias-Eliminate 1.0), torchvision's default
            area (0.02-0.33) and aspect ratio (0.3-3.3), filled with ``erasing_value``.
        erasing_value: fill colour in [0, 1]; use the model's pixel mean.
        resized_crop_scale: if given, a ``RandomResizedCrop`` with this area range and aspect ratio
            3/4-4/3 replaces the plain random crop (DMT's ``INPUT.RESIZECROP``: ``(0.75, 1.0)``).
        interpolation: ``"bicubic"`` (DMT), ``"bilinear"`` or ``"nearest"``.
    """
    size = _size(size)
    mode = _INTERPOLATION[interpolation]
    if resized_crop_scale is not None:
        crop = T.RandomResizedCrop(size, scale=tuple(resized_crop_scale), ratio=(0.75, 4 / 3),
                                   interpolation=mode)
    else:
        crop = T.RandomCrop(size)
    return T.Compose([
        T.Resize(size, interpolation=mode),
        T.RandomHorizontalFlip(p=flip_prob),
        T.Pad(padding, fill=0),
        crop,
        T.ToImage(),
        T.ToDtype(torch.float32, scale=True),
        T.RandomErasing(p=erasing_prob, value=list(erasing_value)),
    ])


def build_test_transform(size: int | Sequence[int], *, interpolation: str = "bicubic") -> T.Compose:
    """The test transform: PIL image -> resized ``[3, H, W]`` float tensor in [0, 1]."""
    return T.Compose([T.Resize(_size(size), interpolation=_INTERPOLATION[interpolation]), T.ToImage(),
                      T.ToDtype(torch.float32, scale=True)])
