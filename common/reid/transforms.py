"""ReID image augmentation with ``torchvision.transforms.v2``.

Training (DMT / Bias-Eliminate / bag of tricks): resize (bicubic) -> horizontal flip -> pad with zeros
-> random crop back to the size (or, DMT's "recrop" variant, a random resized crop) -> tensor in [0, 1]
-> random erasing filled with the pixel mean (which becomes 0 after ``ReIDModel`` normalises). Test:
resize -> tensor. Normalisation by mean/std happens inside ``ReIDModel``.

Random erasing comes in two samplings of the erased rectangle: torchvision's ``RandomErasing``
(log-uniform aspect ratio, 10 attempts) or ``ZhongRandomErasing``, the original one of Zhong et al.
(AAAI 2020) as reid-strong-baseline and the VisDA winner ship it (uniform aspect ratio in
[r1, 1/r1], 100 attempts). It is written here because torchvision has only the former.
"""
from __future__ import annotations

import math
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


class ZhongRandomErasing(torch.nn.Module):
    """Random erasing as in Zhong et al.'s code: with probability ``p``, up to 100 attempts draw an
    area fraction ``U(scale)`` and an aspect ratio ``U(r1, 1/r1)``; the first rectangle that fits
    strictly inside the image is filled with ``value``. ``[C, H, W]`` tensor -> same tensor."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.4), r1: float = 0.3,
                 value: Sequence[float] = IMAGENET_MEAN) -> None:
        super().__init__()
        if not 0 < r1 <= 1:
            raise ValueError(f"r1 must be in (0, 1], got {r1}")
        self.p, self.scale, self.r1 = p, tuple(scale), r1
        self.value = torch.tensor(list(value), dtype=torch.float32).view(-1, 1, 1)

    def _uniform(self, low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand(()))

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        if float(torch.rand(())) >= self.p:
            return img
        _, height, width = img.shape
        for _ in range(100):
            target_area = self._uniform(*self.scale) * height * width
            aspect = self._uniform(self.r1, 1 / self.r1)
            h = int(round(math.sqrt(target_area * aspect)))
            w = int(round(math.sqrt(target_area / aspect)))
            if w < width and h < height:
                top = int(torch.randint(0, height - h + 1, ()))
                left = int(torch.randint(0, width - w + 1, ()))
                img = img.clone()
                img[:, top:top + h, left:left + w] = self.value.to(img.dtype)
                return img
        return img


def build_train_transform(size: int | Sequence[int], *, flip_prob: float = 0.5, padding: int = 10,
                          erasing_prob: float = 0.5, erasing_value: Sequence[float] = IMAGENET_MEAN,
                          erasing_sampling: str = "torchvision",
                          erasing_scale: Sequence[float] = (0.02, 0.33), erasing_ratio: float = 0.3,
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
        erasing_sampling: ``"torchvision"`` (``T.RandomErasing``) or ``"zhong"`` (``ZhongRandomErasing``,
            Bias-Eliminate: area (0.02, 0.2), r1 0.3).
        erasing_scale: range of the erased area fraction.
        erasing_ratio: smallest aspect ratio r1; the range is [r1, 1/r1] (torchvision: log-uniform over
            [r1, 1/r1 rounded to 3.3], its default).
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
    if erasing_sampling == "zhong":
        erasing = ZhongRandomErasing(erasing_prob, erasing_scale, erasing_ratio, erasing_value)
    elif erasing_sampling == "torchvision":
        erasing = T.RandomErasing(p=erasing_prob, scale=tuple(erasing_scale),
                                  ratio=(erasing_ratio, round(1 / erasing_ratio, 1)), value=list(erasing_value))
    else:
        raise ValueError(f"unknown erasing_sampling '{erasing_sampling}': choose 'torchvision' or 'zhong'")
    return T.Compose([
        T.Resize(size, interpolation=mode),
        T.RandomHorizontalFlip(p=flip_prob),
        T.Pad(padding, fill=0),
        crop,
        T.ToImage(),
        T.ToDtype(torch.float32, scale=True),
        erasing,
    ])


def build_test_transform(size: int | Sequence[int], *, interpolation: str = "bicubic") -> T.Compose:
    """The test transform: PIL image -> resized ``[3, H, W]`` float tensor in [0, 1]."""
    return T.Compose([T.Resize(_size(size), interpolation=_INTERPOLATION[interpolation]), T.ToImage(),
                      T.ToDtype(torch.float32, scale=True)])
