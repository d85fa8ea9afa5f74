"""Convolutional backbones taken from timm (ResNeSt, HRNet), as feature extractors for ReID.

ResNeSt: ``last_stride=1`` uses timm's ``output_stride=16``: stage 4 keeps stride 1 and its later
blocks use dilation 2. This is what DMT's own ResNeSt does for ``LAST_STRIDE 1`` (``if last_stride ==
1: dilation = 2``); the one difference is the shortcut of the first stage-4 block, where timm averages
over a same-padded 2x2 window and DMT's code uses a 1x1 (identity) pool.

HRNet (``HRNetBackbone``): Bias-Eliminate's fourth backbone, ``hrnetv2_w18`` (official
``modeling/backbones/hrnet.py``, used with ``in_planes = 2048``), is HRNet-W18's classification trunk:
the four-branch stages, then the head's ``incre_modules`` (Bottleneck per branch, 128/256/512/1024
channels), ``downsamp_modules`` (stride-2 3x3 convs merging the branches) and ``final_layer`` (1x1 conv
to 2048 channels). timm's ``hrnet_w18`` is the same network: compared once with the official module
(timm 1.0.31), both have the same 1954 state-dict entries with the same names and shapes and
19,250,004 parameters without the ImageNet classifier (the official module holds 21,299,004 with its
2048->1000 ``classifier``), and timm's ``forward_features`` reproduces the official ``forward`` exactly
with the official weights loaded (max abs difference 0 on a 256x128 input). So weights in either
layout load: timm's ``hrnetv2_w18-8cb57bb9.pth`` and the HRNet-Image-Classification ImageNet file that
the official code reads share these keys; their ``classifier.`` keys are skipped.
"""
from __future__ import annotations

from pathlib import Path

import timm
import torch
from torch import nn

from .pretrained import load_pretrained

#: ResNeSt variants in timm (``resnest101e`` is the converted official ResNeSt-101 used by DMT).
RESNEST_MODELS = ("resnest14d", "resnest26d", "resnest50d", "resnest101e", "resnest200e", "resnest269e")
#: HRNet classification trunks in timm: ``hrnet_w18`` (Bias-Eliminate's ``hrnetv2_w18``) and the light
#: ``hrnet_w18_small`` (11.1 M parameters, for tests and demos); both end in 2048 channels.
HRNET_MODELS = ("hrnet_w18_small", "hrnet_w18")


class TimmBackbone(nn.Module):
    """A timm classification network without its pooling and classifier.

    Args:
        model_name: timm model name (e.g. ``"resnest101e"``).
        last_stride: 1 (ReID; output stride 16) or 2 (output stride 32).
        **timm_kwargs: passed to ``timm.create_model`` (e.g. ``drop_path_rate``).

    Shape: ``[B, 3, H, W] -> [B, out_channels, H/s, W/s]``, ``s = 16 * last_stride``.
    """

    pretrained_ignore = ("fc.", "head.", "classifier.")
    global_feature = False

    def __init__(self, model_name: str, last_stride: int = 1, **timm_kwargs) -> None:
        super().__init__()
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride}")
        self.model = self._create(model_name, last_stride, timm_kwargs)
        self.out_channels = self.model.num_features

    @staticmethod
    def _create(model_name: str, last_stride: int, timm_kwargs: dict) -> nn.Module:
        return timm.create_model(model_name, pretrained=False, num_classes=0, global_pool="",
                                 output_stride=16 if last_stride == 1 else 32, **timm_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` -> ``[B, out_channels, h, w]`` last-stage feature map."""
        return self.model.forward_features(x)

    def load_pretrained(self, source: str | Path) -> list[str]:
        """Load timm-format weights (e.g. timm's ``resnest101e`` checkpoint) from a file or URL."""
        return load_pretrained(self.model, source, ignore_prefixes=self.pretrained_ignore)


class HRNetBackbone(TimmBackbone):
    """An HRNet classification trunk from timm (see the module docstring), ending in 2048 channels.

    Args:
        model_name: ``"hrnet_w18"`` or ``"hrnet_w18_small"`` (``HRNET_MODELS``).
        last_stride: accepted (1 or 2) and ignored: HRNet's head always reduces by 32, as in the
            official ``hrnetv2_w18()``, which takes no stride either.
        **timm_kwargs: passed to ``timm.create_model``.

    Shape: ``[B, 3, H, W] -> [B, 2048, H/32, W/32]`` (e.g. ``384x128 -> 12x4``, ``64x32 -> 2x1``).
    """

    @staticmethod
    def _create(model_name: str, last_stride: int, timm_kwargs: dict) -> nn.Module:
        return timm.create_model(model_name, pretrained=False, num_classes=0, global_pool="", **timm_kwargs)
