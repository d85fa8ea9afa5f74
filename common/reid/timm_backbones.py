"""Convolutional backbones taken from timm (ResNeSt), as feature extractors for ReID.

``last_stride=1`` uses timm's ``output_stride=16``: stage 4 keeps stride 1 and its later blocks use
dilation 2. This is what DMT's own ResNeSt does for ``LAST_STRIDE 1`` (``if last_stride == 1:
dilation = 2``); the one difference is the shortcut of the first stage-4 block, where timm averages
over a same-padded 2x2 window and DMT's code uses a 1x1 (identity) pool.
"""
from __future__ import annotations

from pathlib import Path

import timm
import torch
from torch import nn

from .pretrained import load_pretrained

#: ResNeSt variants in timm (``resnest101e`` is the converted official ResNeSt-101 used by DMT).
RESNEST_MODELS = ("resnest14d", "resnest26d", "resnest50d", "resnest101e", "resnest200e", "resnest269e")


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
        self.model = timm.create_model(model_name, pretrained=False, num_classes=0, global_pool="",
                                       output_stride=16 if last_stride == 1 else 32, **timm_kwargs)
        self.out_channels = self.model.num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` -> ``[B, out_channels, h, w]`` last-stage feature map."""
        return self.model.forward_features(x)

    def load_pretrained(self, source: str | Path) -> list[str]:
        """Load timm-format weights (e.g. timm's ``resnest101e`` checkpoint) from a file or URL."""
        return load_pretrained(self.model, source, ignore_prefixes=self.pretrained_ignore)
